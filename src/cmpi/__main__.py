"""``python -m cmpi job.py``: run an mpi4py program on cmpi."""

from cmpi.run import main

if __name__ == "__main__":
    main()
