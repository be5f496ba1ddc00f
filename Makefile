# cmpi: the two commands of the README, and a few more for development.
#   make demo   set everything up, run the seed examples tour on 4 ranks
#   make test   set everything up, run the whole test suite (both MPIs)

PYTHON ?= python3
MPI ?= openmpi
NP ?= 4
# Seconds for each run of mpi4py's test suite (per MPI and rank count).
COMPAT_TIMEOUT ?= 240

.PHONY: all setup demo test test-openmpi test-mpich test-compat format clean

all: test

setup:
	tools/setup.sh

demo:
	tools/setup.sh $(MPI)
	.venv/$(MPI)/bin/python examples/seeds/tour.py --mpi $(MPI) --np $(NP)

test: setup
	$(PYTHON) tests/run_suite.py
	$(PYTHON) tests/compat/run-mpi4py-suite --timeout $(COMPAT_TIMEOUT)

test-openmpi:
	tools/setup.sh openmpi
	$(PYTHON) tests/run_suite.py --mpi openmpi

test-mpich:
	tools/setup.sh mpich
	$(PYTHON) tests/run_suite.py --mpi mpich

# mpi4py's own test suite against cmpi, compared with tests/compat/expected.
test-compat:
	tools/setup.sh
	$(PYTHON) tests/compat/run-mpi4py-suite --timeout $(COMPAT_TIMEOUT)

format:
	clang-format -i csrc/*.c csrc/*.h

clean:
	rm -rf build .venv
