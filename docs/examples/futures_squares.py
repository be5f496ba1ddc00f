"""Squares of 0..99 on a task pool (docs/guide/futures.rst runs it)."""

from cmpi.futures import MPIPoolExecutor


def work(x):
    return x * x


if __name__ == "__main__":
    with MPIPoolExecutor() as ex:
        results = list(ex.map(work, range(100)))
    print(f"{len(results)} results, sum {sum(results)}, last {results[-1]}")
