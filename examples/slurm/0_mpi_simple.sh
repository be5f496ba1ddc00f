#!/bin/bash -l
# Seed example 0: point-to-point between two ranks.
# Submit from the repository root:  sbatch examples/slurm/0_mpi_simple.sh
# (MPICH build: CMPI_VENV=.venv/mpich sbatch examples/slurm/0_mpi_simple.sh)
#SBATCH --job-name=0_mpi_simple
#SBATCH --time=0-0:05:00
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=2
#SBATCH --cpus-per-task=1
#SBATCH --output=0_mpi_simple.txt

# On a cluster, load the MPI that cmpi was built against, e.g. on MeluXina:
# module load env/release/2024.1
# module load Python
# module load OpenMPI/4.1.6-GCC-13.2.0

cd "${CMPI_ROOT:-$SLURM_SUBMIT_DIR}"
VENV=${CMPI_VENV:-.venv/openmpi}
source "$VENV/bin/activate"
# srun's PMI plugin must match the MPI library: pmix for Open MPI, pmi2 for
# MPICH (with the wrong one every task is rank 0 of a world of size 1)
case $VENV in *mpich*) PLUGIN=pmi2 ;; *) PLUGIN=pmix ;; esac
srun --mpi="${CMPI_SRUN_MPI:-$PLUGIN}" python -u -m cmpi examples/seeds/0_mpi_simple.py ${EXTRA_ARGS:+ $EXTRA_ARGS}
