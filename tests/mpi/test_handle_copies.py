"""Copies of a handle (issue 16, item 3): objects made from one another with
Comm(c), Request(r), Group(g) ... share one MPI handle.  Freeing it through
any of them must leave the others raising MPI.Exception (the error class of
the handle's kind, saying it was freed through another object), never
passing a dead handle to MPI, which crashed the process (mpi4py too).

Each case runs in a fresh singleton process with a time limit: before the
fix they crashed, and a crash must fail the test, not kill the suite.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from mpiimpl import IS_CMPI, MPI

pytestmark = pytest.mark.skipif(not IS_CMPI,
                                reason="mpi4py crashes on stale copies")

PRELUDE = """
def raises(call, eclass, *words):
    try:
        call()
    except MPI.Exception as e:
        assert e.Get_error_class() == eclass, (e.Get_error_class(), str(e))
        for w in words:
            assert w in str(e), (w, str(e))
    else:
        raise AssertionError(f"{call} raised nothing")
"""


def run_singleton(code, timeout=60):
    """Run `code` in a fresh singleton MPI process (launcher variables
    dropped); it must print OK and exit with status 0."""
    drop = ("OMPI_", "PMIX_", "PMI_", "HYDRA_", "MPIR_", "OPAL_", "ORTE_",
            "PRTE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    pkg = MPI.__name__.rsplit(".", 1)[0]
    code = (f"from {pkg} import MPI\n" + textwrap.dedent(PRELUDE)
            + textwrap.dedent(code))
    try:
        p = subprocess.run([sys.executable, "-c", code], env=env,
                           timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired as e:
        # the partial output of a timed-out run is bytes even with text=True
        out, err = (x.decode(errors="replace") if isinstance(x, bytes) else x
                    for x in (e.stdout, e.stderr))
        pytest.fail(f"timed out after {timeout} s\nstdout:\n{out}\n"
                    f"stderr:\n{err}")
    assert p.returncode == 0 and p.stdout.strip().endswith("OK"), (
        f"rc={p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr[-3000:]}")


def test_issue_reproducers_end_cleanly():
    # the two reproducers of the issue, as written there
    run_singleton("""
        r = MPI.COMM_SELF.Irecv(bytearray(8), 0, 0)
        a = MPI.Request(r)
        r.Cancel()
        r.Wait()
        raises(a.Test, MPI.ERR_REQUEST, "through another Request")
        c = MPI.COMM_WORLD.Dup()
        a = MPI.Intracomm(c)
        c.Free()
        raises(a.Barrier, MPI.ERR_COMM, "freed through another Comm")
        print("OK")
        """)


def test_comm_copies():
    run_singleton("""
        STALE = "freed through another Comm"
        c = MPI.COMM_WORLD.Dup()
        a = MPI.Intracomm(c)
        b = MPI.Comm(a)  # a copy of a copy
        assert a == c and b == c and a
        c.Free()
        assert a == MPI.COMM_NULL and not b
        for call in (a.Barrier, a.Get_rank, a.Get_size, a.Dup, a.Free,
                     a.Disconnect, lambda: a.send(1, 0),
                     lambda: a.Send(b"x", 0), lambda: b.bcast(1),
                     a.Get_group, lambda: a.Split(0, 0)):
            raises(call, MPI.ERR_COMM, STALE)
        # free through the copy, use the original
        c = MPI.COMM_SELF.Dup()
        a = MPI.Comm(c)
        a.Free()
        raises(c.Barrier, MPI.ERR_COMM, STALE)
        raises(c.Free, MPI.ERR_COMM, STALE)
        # Disconnect frees too
        c = MPI.COMM_SELF.Dup()
        a = MPI.Intracomm(c)
        c.Disconnect()
        raises(a.Barrier, MPI.ERR_COMM, STALE)
        # a topology communicator and its copies
        cart = MPI.COMM_WORLD.Create_cart([1], periods=[True])
        a = MPI.Cartcomm(cart)
        cart.Free()
        raises(a.Get_topo, MPI.ERR_COMM, STALE)
        raises(lambda: a.Shift(0, 1), MPI.ERR_COMM, STALE)
        # a dropped copy frees nothing; copies of the predefined ones work
        c = MPI.COMM_SELF.Dup()
        a = MPI.Comm(c)
        del a
        c.Barrier()
        c.Free()
        w = MPI.Intracomm(MPI.COMM_WORLD)
        w.Barrier()
        w.free()  # a copy of a predefined handle: forgotten, not freed
        assert not w and MPI.COMM_WORLD
        MPI.COMM_WORLD.Barrier()
        # a null copy says what it is, as before
        raises(MPI.Comm().Barrier, MPI.ERR_COMM, "COMM_NULL")
        print("OK")
        """)


def test_request_copies():
    run_singleton("""
        STALE = "completed or freed through another Request"
        self_ = MPI.COMM_SELF
        r = self_.Irecv(bytearray(8), 0, 0)
        a = MPI.Request(r)
        r.Cancel()
        r.Wait()
        assert a == MPI.REQUEST_NULL
        for call in (a.Test, a.Wait, a.Get_status, a.Cancel, a.Free,
                     a.test, a.wait, lambda: MPI.Request.Waitall([a]),
                     lambda: MPI.Request.Testany([a]),
                     lambda: MPI.Request.waitall([a])):
            raises(call, MPI.ERR_REQUEST, STALE)
        # completed through the copy: the original knows
        r = self_.Isend(b"abc", 0, 1)
        a = MPI.Request(r)
        buf = bytearray(3)
        self_.Recv(buf, 0, 1)
        assert a.Test()
        raises(r.Wait, MPI.ERR_REQUEST, STALE)
        # through a list of copies
        r = self_.Isend(b"abc", 0, 1)
        a = MPI.Request(r)
        self_.Recv(buf, 0, 1)
        MPI.Request.Waitall([a])
        raises(r.Test, MPI.ERR_REQUEST, STALE)
        # freed through the copy
        r = self_.Irecv(bytearray(8), 0, 2)
        a = MPI.Request(r)
        r.Cancel()
        a.Free()
        raises(r.Wait, MPI.ERR_REQUEST, STALE)
        # lowercase requests
        r = self_.isend({"a": 1}, 0, 3)
        a = MPI.Request(r)
        assert self_.recv(source=0, tag=3) == {"a": 1}
        r.wait()
        raises(a.wait, MPI.ERR_REQUEST, STALE)
        # a dropped copy leaves the original usable, as before
        r = self_.Isend(b"abc", 0, 4)
        a = MPI.Request(r)
        del a
        self_.Recv(buf, 0, 4)
        r.Wait()
        # an untouched request and a null one raise nothing
        MPI.Request().Wait()
        assert MPI.Request(MPI.REQUEST_NULL).Test()
        print("OK")
        """)


def test_prequest_copies():
    run_singleton("""
        STALE = "completed or freed through another Request"
        p = MPI.COMM_SELF.Send_init(bytearray(4), MPI.PROC_NULL)
        a = MPI.Prequest(p)
        # copies share the active state of the persistent request
        a.Start()
        raises(p.Start, MPI.ERR_REQUEST, "already active")
        p.Wait()
        a.Start()
        a.Wait()
        assert p.Test() and a.Test()
        p.Free()
        assert not a
        for call in (a.Start, a.Wait, a.Test, a.Free,
                     lambda: MPI.Prequest.Startall([a])):
            raises(call, MPI.ERR_REQUEST, STALE)
        # freed through the copy
        p = MPI.COMM_SELF.Recv_init(bytearray(4), MPI.PROC_NULL)
        a = MPI.Prequest(p)
        a.Free()
        raises(p.Start, MPI.ERR_REQUEST, STALE)
        # a copy kept alive does not keep the original from working
        p = MPI.COMM_SELF.Send_init(bytearray(4), MPI.PROC_NULL)
        a = MPI.Request(p)
        for _ in range(3):
            p.Start()
            p.Wait()
        del a
        p.Free()
        print("OK")
        """)


def test_group_datatype_op_copies():
    run_singleton("""
        g = MPI.COMM_WORLD.Get_group()
        a = MPI.Group(g)
        g.Free()
        assert a == MPI.GROUP_NULL
        raises(a.Free, MPI.ERR_GROUP, "freed through another Group")
        raises(a.Get_size, MPI.ERR_GROUP)
        g = MPI.COMM_WORLD.Get_group()
        a = MPI.Group(g)
        a.Free()
        raises(g.Free, MPI.ERR_GROUP, "freed through another Group")

        t = MPI.INT.Create_contiguous(2).Commit()
        a = MPI.Datatype(t)
        t.Free()
        assert a == MPI.DATATYPE_NULL
        raises(a.Free, MPI.ERR_TYPE, "freed through another Datatype")
        raises(a.Get_size, MPI.ERR_TYPE)
        try:  # in a message, as any null datatype
            MPI.COMM_SELF.Send([bytearray(8), a], MPI.PROC_NULL)
        except ValueError as e:
            assert "DATATYPE_NULL" in str(e), e
        else:
            raise AssertionError("no exception")
        t = MPI.INT.Dup()
        a = MPI.Datatype(t)
        a.Free()
        raises(t.Free, MPI.ERR_TYPE, "freed through another Datatype")
        # copies of predefined datatypes are not affected
        a = MPI.Datatype(MPI.INT)
        a.free()
        assert MPI.INT.Get_size() == 4

        o = MPI.Op.Create(lambda x, y: x)
        a = MPI.Op(o)
        o.Free()
        assert a == MPI.OP_NULL
        raises(a.Free, MPI.ERR_OP, "freed through another Op")
        o = MPI.Op.Create(lambda x, y: x)
        a = MPI.Op(o)
        a.Free()
        raises(o.Free, MPI.ERR_OP, "freed through another Op")
        print("OK")
        """)


def test_info_errhandler_copies():
    run_singleton("""
        i = MPI.Info.Create()
        a = MPI.Info(i)
        i.Free()
        raises(lambda: a.Set("k", "v"), MPI.ERR_INFO,
               "freed through another Info")
        raises(a.Free, MPI.ERR_INFO, "freed through another Info")
        i = MPI.Info.Create()
        a = MPI.Info(i)
        a.Free()
        raises(i.Get_nkeys, MPI.ERR_INFO, "freed through another Info")

        e = MPI.Comm.Create_errhandler(lambda comm, code: None)
        a = MPI.Errhandler(e)
        e.Free()
        assert not a
        raises(a.Free, MPI.ERR_ARG, "freed through another Errhandler")
        e = MPI.Comm.Create_errhandler(lambda comm, code: None)
        a = MPI.Errhandler(e)
        a.Free()
        raises(e.Free, MPI.ERR_ARG, "freed through another Errhandler")
        print("OK")
        """)


def test_win_file_message_session_copies(tmp_path):
    path = str(tmp_path / f"copies.{MPI.COMM_WORLD.Get_rank()}")
    run_singleton(f"""
        STALE = "freed through another Win"
        w = MPI.Win.Allocate(8, comm=MPI.COMM_SELF)
        a = MPI.Win(w)
        w.Free()
        assert a == MPI.WIN_NULL
        raises(a.Fence, MPI.ERR_WIN, STALE)
        raises(lambda: a.Put(bytearray(8), 0), MPI.ERR_WIN, STALE)
        raises(a.Free, MPI.ERR_WIN, STALE)
        w = MPI.Win.Allocate(8, comm=MPI.COMM_SELF)
        mem = w.tomemory()
        a = MPI.Win(w)
        a.Free()
        raises(w.Fence, MPI.ERR_WIN, STALE)
        assert len(mem) == 0  # no view of the freed memory is left

        amode = MPI.MODE_CREATE | MPI.MODE_RDWR | MPI.MODE_DELETE_ON_CLOSE
        f = MPI.File.Open(MPI.COMM_SELF, {path!r}, amode)
        a = MPI.File(f)
        f.Close()
        raises(a.Get_size, MPI.ERR_FILE, "closed through another File")
        raises(a.Close, MPI.ERR_FILE, "closed through another File")
        f = MPI.File.Open(MPI.COMM_SELF, {path!r}, amode)
        a = MPI.File(f)
        a.Close()
        raises(lambda: f.Write_at(0, b"x"), MPI.ERR_FILE,
               "closed through another File")

        # a matched message is received once, through any of its copies
        self_ = MPI.COMM_SELF
        for recv_then in (lambda m: m.Recv(bytearray(3)),
                          lambda m: m.Irecv(bytearray(3)),
                          lambda m: m.recv()):
            sreq = self_.Isend(b"abc", 0, 7)  # MPICH: Send to self blocks
            m = self_.mprobe(0, 7)
            a = MPI.Message(m)
            m.Recv(bytearray(3))
            sreq.Wait()
            raises(lambda: recv_then(a), MPI.ERR_REQUEST,
                   "received through another Message")
            sreq = self_.Isend(b"abc", 0, 7)
            m = self_.mprobe(0, 7)
            a = MPI.Message(m)
            a.Recv(bytearray(3))
            sreq.Wait()
            raises(lambda: recv_then(m), MPI.ERR_REQUEST,
                   "received through another Message")

        try:
            s = MPI.Session.Init()
        except NotImplementedError:
            pass
        else:
            a = MPI.Session(s)
            s.Finalize()
            raises(a.Finalize, MPI.ERR_SESSION,
                   "finalized through another Session")
        print("OK")
        """)
