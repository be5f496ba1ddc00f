# cmpi: the two commands of the README, and a few more for development.
#   make demo   set everything up, run the seed examples tour on 4 ranks
#   make test   set everything up, run the whole test suite (both MPIs)

PYTHON ?= python3
MPI ?= openmpi
NP ?= 4

.PHONY: all setup demo test test-openmpi test-mpich format clean

all: test

setup:
	tools/setup.sh

demo:
	tools/setup.sh $(MPI)
	.venv/$(MPI)/bin/python examples/seeds/tour.py --mpi $(MPI) --np $(NP)

test: setup
	$(PYTHON) tests/run_suite.py

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
