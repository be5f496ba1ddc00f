"""Instructions per small call, cmpi against mpi4py, in one process.

The binding's own cost of the small calls (issue 18 item 2), free of any
peer's timing: one process, messages to itself on COMM_SELF (an 8-byte or
small-object send completes at once, and its receive then finds the
message there, as in a ping-pong whose message has arrived), both
bindings in the same process (mpi4py initializes MPI, cmpi shares it).
Each row is (Ir(2N) - Ir(N)) / N of its loop under callgrind, minus the
same for an empty loop, so start-up and the loop itself cancel.

    PYTHONPATH=<mpi4py's site-packages> PYTHONHASHSEED=0 \\
    valgrind --tool=callgrind --collect-atstart=no \\
        --callgrind-out-file=/tmp/cg.%p .venv/openmpi/bin/python \\
        benchmarks/cg_calls.py --helper benchmarks/build/libcgtoggle.so

or simply ``python3 benchmarks/cg_calls.py --mpi openmpi`` (builds the
helper, sets up mpi4py's venv as compare.py does, runs valgrind and
prints the table).
"""
import argparse
import gc
import os
import subprocess
import sys
import tempfile

ROWS = {
    # name: (setup, body); `c` is COMM_SELF, `M` the MPI module
    "Get_rank (2 calls)": ("", "c.Get_rank(); c.Get_rank()"),
    "rank + size (attributes)": ("", "c.rank; c.size"),
    "Send/Recv 8 B keywords": (
        "", "c.Send(buf, dest=0, tag=0); c.Recv(buf, source=0, tag=0)"),
    "Send/Recv 8 B positional": ("", "c.Send(buf, 0, 0); c.Recv(buf, 0, 0)"),
    "Send/Recv 8 B float64": (
        "", "c.Send(dbl, dest=0, tag=0); c.Recv(dbl, source=0, tag=0)"),
    "Send/Recv [buf M.BYTE]": (
        "", "c.Send([buf, M.BYTE], dest=0, tag=0); "
        "c.Recv([buf, M.BYTE], source=0, tag=0)"),
    "send/recv int": ("", "c.send(7, dest=0, tag=0); c.recv(source=0, tag=0)"),
    "send/recv small dict": (
        "", "c.send(obj, dest=0, tag=0); c.recv(source=0, tag=0)"),
    "isend/irecv/wait int": (
        "", "r = c.irecv(source=0, tag=0); c.isend(7, dest=0, tag=0).wait(); "
        "r.wait()"),
    # the lowercase collectives on one rank: the binding's own cost per
    # call (MPI's part is that of a one-process collective)
    "bcast small dict": ("", "c.bcast(obj, root=0)"),
    "gather small dict": ("", "c.gather(obj, root=0)"),
    "allgather small dict": ("", "c.allgather(obj)"),
    "scatter small dict": ("", "c.scatter(objs, root=0)"),
    "allreduce float": ("", "c.allreduce(1.5, op=M.SUM)"),
    "reduce float": ("", "c.reduce(1.5, op=M.SUM, root=0)"),
}


def measure(helper, impls, rows, n):
    import ctypes
    import numpy as np
    lib = ctypes.CDLL(helper)
    lib.cg_end.argtypes = [ctypes.c_char_p]
    buf = np.zeros(8, dtype=np.uint8)
    dbl = np.zeros(1, dtype=np.float64)
    obj = {'a': 7, 'b': 3.14}
    for impl, M in impls:
        c = M.COMM_SELF
        for name in ["control"] + rows:
            body = "pass" if name == "control" else ROWS[name][1]
            src = f"def loop(k):\n    for _ in range(k):\n        {body}\n"
            ns = {"c": c, "M": M, "buf": buf, "dbl": dbl, "obj": obj,
                  "objs": [obj]}
            exec(src, ns)
            loop = ns["loop"]
            loop(200)  # warm: specialised bytecode, caches filled
            gc.collect()
            gc.freeze()
            for k in (n, 2 * n):
                lib.cg_begin()
                loop(k)
                lib.cg_end(f"{impl}|{name}|{k}".encode())


def totals(outdir, pid):
    """{label: Ir} from the dump files of process pid."""
    res = {}
    for f in os.listdir(outdir):
        if not f.startswith(f"cg.{pid}"):
            continue
        label, ir = None, None
        with open(os.path.join(outdir, f)) as fh:
            for line in fh:
                if line.startswith("desc: Trigger: Client Request: "):
                    label = line.split("Client Request: ", 1)[1].strip()
                elif line.startswith("summary:") or line.startswith("totals:"):
                    ir = int(line.split()[1])
        if label and ir is not None:
            res[label] = ir
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mpi", default="openmpi", choices=["openmpi", "mpich"])
    p.add_argument("--helper", help="libcgtoggle.so (run inside valgrind)")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rows", default=",".join(ROWS))
    p.add_argument("--impls", default="mpi4py,cmpi")
    p.add_argument("--cmpi-path", help="import cmpi from DIR")
    a = p.parse_args()
    rows = [r for r in a.rows.split(",") if r]
    if a.helper:  # inside valgrind
        impls = []
        for impl in a.impls.split(","):
            if impl == "mpi4py":
                from mpi4py import MPI as A
                impls.append(("mpi4py", A))
            else:
                if a.cmpi_path:
                    sys.path.insert(0, a.cmpi_path)
                from cmpi import MPI as B
                impls.append(("cmpi", B))
        measure(a.helper, impls, rows, a.n)
        return
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from compare import build, cmpi_python, mpi4py_python
    helper = build(a.mpi)[1]
    site = ""
    if "mpi4py" in a.impls.split(","):
        m4 = mpi4py_python(a.mpi)
        site = subprocess.run(
            [m4, "-c", "import mpi4py, os; "
             "print(os.path.dirname(os.path.dirname(mpi4py.__file__)))"],
            capture_output=True, text=True, check=True).stdout.strip()
    out = tempfile.mkdtemp(prefix="cg_calls.")
    env = dict(os.environ, PYTHONPATH=site, PYTHONHASHSEED="0",
               OMPI_MCA_pml="ob1", OMPI_MCA_btl="self,vader,tcp")
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
           f"--callgrind-out-file={out}/cg.%p", cmpi_python(a.mpi),
           os.path.abspath(__file__), "--helper", helper, "--n", str(a.n),
           "--rows", ",".join(rows), "--impls", a.impls]
    if a.cmpi_path:
        cmd += ["--cmpi-path", a.cmpi_path]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    pids = {f.split(".")[1] for f in os.listdir(out) if f.startswith("cg.")}
    t = {}
    for pid in pids:
        t.update(totals(out, pid))
    impls = a.impls.split(",")
    print(f"Instructions per loop iteration ({a.mpi}, COMM_SELF, "
          f"N={a.n}; (2N-N)/N minus the empty loop's); raw dumps in {out}\n")
    print("| call | " + " | ".join(impls) +
          (" | cmpi / mpi4py |" if len(impls) == 2 else " |"))
    print("|---|" + "---:|" * (len(impls) + (len(impls) == 2)))

    def per(impl, name):
        return (t[f"{impl}|{name}|{2 * a.n}"] - t[f"{impl}|{name}|{a.n}"]) / a.n

    for name in rows:
        vals = [per(i, name) - per(i, "control") for i in impls]
        line = f"| {name} | " + " | ".join(f"{v:.0f}" for v in vals)
        if len(impls) == 2:
            line += f" | {vals[1] / vals[0]:.2f}"
        print(line + " |")


if __name__ == "__main__":
    main()
