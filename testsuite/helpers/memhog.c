/* memhog MB - allocate MB megabytes and touch every page, so that they
 * are charged to this process's memory cgroup; prints "touched MB" and
 * exits 0 if nothing stopped it (cgroup.t: a job over its memory limit). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2 || atol(argv[1]) <= 0) {
        fprintf(stderr, "Usage: memhog MB\n");
        return 2;
    }
    long mb = atol(argv[1]);
    long page = sysconf(_SC_PAGESIZE);
    for (long i = 0; i < mb; i++) {
        char *p = malloc(1 << 20);
        if (!p) {
            fprintf(stderr, "memhog: out of memory after %ld MB\n", i);
            return 1;
        }
        for (long off = 0; off < (1 << 20); off += page)
            p[off] = 1;
    }
    printf("touched %ld\n", mb);
    return 0;
}
