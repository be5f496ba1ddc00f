# cmpi: the two commands of the README, and a few more for development.
#   make demo   set everything up, run the seed examples tour on 4 ranks
#   make test   set everything up, run the whole test suite (both MPIs)

PYTHON ?= python3
MPI ?= openmpi
NP ?= 4

.PHONY: all setup demo test test-openmpi test-mpich memcheck format clean

all: test

setup:
	tools/setup.sh

demo:
	tools/setup.sh $(MPI)
	.venv/$(MPI)/bin/python examples/seeds/tour.py --mpi $(MPI) --np $(NP)

test: setup
	$(PYTHON) tests/run_suite.py
	$(MAKE) memcheck

# Memory checks, after the main suite: tests/mpi at 2 ranks under ASan+UBSan
# (each MPI), the point-to-point and collective tests under valgrind.
memcheck:
	tests/memcheck/run-asan.sh openmpi
	tests/memcheck/run-asan.sh mpich
	tests/memcheck/run-valgrind.sh openmpi

test-openmpi:
	tools/setup.sh openmpi
	$(PYTHON) tests/run_suite.py --mpi openmpi

test-mpich:
	tools/setup.sh mpich
	$(PYTHON) tests/run_suite.py --mpi mpich

format:
	clang-format -i csrc/*.c csrc/*.h

clean:
	rm -rf build .venv
