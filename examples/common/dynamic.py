"""Dynamic scheduling for the use cases: rank 0 hands out tasks as ranks
become free, with plain lowercase send/recv.

Rank 0 works on tasks too, and between two of its own tasks answers the other
ranks.  So that a rank never waits for rank 0 to finish a task before it gets
its next one, every rank holds ``ahead`` tasks (one running, the others
queued): it sends a result and goes straight on with its queued task while
rank 0's reply travels.

    results = run(comm, tasks, work, on_result)

Rank 0 answers only between two of its own tasks, and takes its own from
the end of the list: put the costliest tasks first, the cheapest last.

``work(task)`` runs on any rank and returns a picklable result;
``on_result(task, result)`` runs on rank 0 as each result arrives (progress
display, merging).  On rank 0 ``run`` returns ``[(task, result)]`` in the
order the results arrived; on the other ranks it returns None.
"""

from collections import deque

TASK, RESULT = 101, 102


def run(comm, tasks, work, on_result=None, ahead=2):
    if comm.Get_rank() == 0:
        return _coordinator(comm, list(tasks), work, on_result, ahead)
    _worker(comm, work, ahead)
    return None


def _coordinator(comm, tasks, work, on_result, ahead):
    from mpi4py import MPI   # cmpi under `python -m cmpi`

    size = comm.Get_size()
    todo = deque(enumerate(tasks))
    done = []
    outstanding = 0                 # tasks handed out, results not yet back
    status = MPI.Status()

    def record(index, result):
        done.append((tasks[index], result))
        if on_result is not None:
            on_result(tasks[index], result)

    def reply(dest):
        nonlocal outstanding
        item = todo.popleft() if todo else None
        comm.send(item, dest=dest, tag=TASK)
        if item is not None:
            outstanding += 1

    def collect(block):
        nonlocal outstanding
        while outstanding and (block or comm.iprobe(source=MPI.ANY_SOURCE, tag=RESULT,
                                                    status=status)):
            source = MPI.ANY_SOURCE if block else status.Get_source()
            index, result = comm.recv(source=source, tag=RESULT, status=status)
            outstanding -= 1
            reply(status.Get_source())
            record(index, result)

    for _ in range(ahead):
        for rank in range(1, size):
            reply(rank)
    while todo:
        collect(block=False)
        if not todo:
            break
        index, task = todo.pop()    # rank 0 takes from the back of the queue
        record(index, work(task))
    collect(block=True)
    return done


def _worker(comm, work, ahead):
    queued = deque(comm.recv(source=0, tag=TASK) for _ in range(ahead))
    replies = deque()               # receives posted for rank 0's replies
    while True:
        if not queued:
            queued.append(replies.popleft().wait())
        item = queued.popleft()
        if item is None:
            break
        index, task = item
        result = work(task)
        comm.send((index, result), dest=0, tag=RESULT)
        replies.append(comm.irecv(source=0, tag=TASK))
    # rank 0 answers every result; once it has answered None it has no tasks
    # left, so the answers still on their way are None too
    for req in replies:
        if req.wait() is not None:
            raise RuntimeError("dynamic.run: a task arrived after the end")
    if any(item is not None for item in queued):
        raise RuntimeError("dynamic.run: a task arrived after the end")
