#!/bin/sh
# mpi_run.sh NP PROGRAM [ARGS] — run a test program on NP MPI ranks (one summary line from rank 0),
# bounded by a timeout so that a deadlock fails the test instead of blocking CI; exit 77 (skipped)
# when mpirun is missing. Root needs Open MPI's two opt-in variables; --oversubscribe lets 3 ranks
# run on 2 cores; --bind-to none lets each rank's OpenMP threads use any core. Open MPI's own
# allocations that it never frees are suppressed for LeakSanitizer (tests/lsan_mpi.supp), nabla's not;
# its plugins stay loaded (disable_dlclose) and stacks are unwound fully (Open MPI has no frame
# pointers) so that those stacks name their library.
np=$1; shift
command -v mpirun >/dev/null 2>&1 || { echo "mpirun not found: skipped"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 \
  OMPI_MCA_mca_base_component_disable_dlclose=1
supp="$(dirname "$0")/lsan_mpi.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec timeout -k 5 "${NB_MPI_TIMEOUT:-120}" mpirun --oversubscribe --bind-to none -np "$np" "$@"
