/* spawn-ceiling.c - the raw ceiling for end-to-end job throughput: a bare
 * loop that posix_spawn()s /bin/true and waits, keeping K children in
 * flight, with nothing else.  bench/exec.sh prints its rate beside the
 * instance's, so the two are compared on the same machine in the same run.
 *
 *   spawn-ceiling [N [K]]    N spawns (default 2000), K in flight (default 2)
 *
 * Prints: "N spawns of /bin/true, K in flight: R/s".
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int spawn_true(void)
{
    char *argv[] = {"/bin/true", NULL};
    pid_t pid;
    int e = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
    if (e != 0) {
        fprintf(stderr, "spawn-ceiling: posix_spawn: error %d\n", e);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    long k = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    if (n < 1 || k < 1) {
        fprintf(stderr, "usage: spawn-ceiling [N [K]]\n");
        return 1;
    }
    long started = 0, done = 0;
    double t0 = now();
    while (started < k && started < n) {
        if (spawn_true() < 0)
            return 1;
        started++;
    }
    while (done < n) {
        int status;
        if (wait(&status) < 0) {
            perror("spawn-ceiling: wait");
            return 1;
        }
        done++;
        if (started < n) {
            if (spawn_true() < 0)
                return 1;
            started++;
        }
    }
    double dt = now() - t0;
    printf("%ld spawns of /bin/true, %ld in flight: %.0f/s\n", n, k, n / dt);
    return 0;
}
