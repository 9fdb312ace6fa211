/* mpi-init.c - time MPI_Init + MPI_Finalize inside the program (rank 0's
 * view after a barrier) and the mean latency of a PMI-backed fence
 * (MPI_Barrier right after init is not PMI; this measures what the
 * launcher costs): prints "init_ms=X" and "barrier_us=Y". */
#include <mpi.h>
#include <stdio.h>
#include <sys/time.h>

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    double t0 = now();
    int rank;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Barrier(MPI_COMM_WORLD);
    double t1 = now();
    for (int i = 0; i < 100; i++)
        MPI_Barrier(MPI_COMM_WORLD);
    double t2 = now();
    MPI_Finalize();
    if (rank == 0)
        printf("init_ms=%.1f barrier_us=%.1f\n", (t1 - t0) * 1e3, (t2 - t1) / 100 * 1e6);
    return 0;
}
