/* early.c - rank 1 exits (code 5) right after MPI_Init, without
 * MPI_Finalize; the others wait in a barrier that never completes. */
#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int rank;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 1)
        exit(5);
    MPI_Barrier(MPI_COMM_WORLD);
    sleep(100);
    MPI_Finalize();
    return 0;
}
