/* hello.c - MPI_Init, rank/size, a point-to-point ring, MPI_Allreduce,
 * MPI_Barrier, MPI_Finalize.  Rank 0 prints "size=N sum=N ring=N".
 * Built by testsuite/shell-mpi.t with Open MPI's mpicc and mpicc.mpich. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank, size, sum = 0, one = 1, token = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* Ring: rank 0 starts a token, each adds one, rank 0 gets it back. */
    if (size > 1) {
        int next = (rank + 1) % size, prev = (rank + size - 1) % size;
        if (rank == 0) {
            token = 1;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        else {
            MPI_Recv(&token, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            token++;
            MPI_Send(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD);
        }
    }
    else
        token = 1;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        printf("size=%d sum=%d ring=%d\n", size, sum, token);
    MPI_Finalize();
    return sum == size && (rank != 0 || token == size) ? 0 : 1;
}
