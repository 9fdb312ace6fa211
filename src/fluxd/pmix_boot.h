/* pmix_boot.h - the broker's PMIx client, for booting under a PMIx
 * launcher (mpirun/prterun, srun --mpi=pmix, flux run -o pmi=pmix).
 *
 * It lives in a module of its own (pmix_boot.so, linked with libpmix)
 * that the broker dlopens only when it was started by a PMIx server, so a
 * broker booted any other way never maps libpmix
 * (doc/design/pmi-boot.md).  The broker finds the table of operations
 * through the one exported symbol, fluxd_pmix_boot_ops.
 *
 * Every call returns 0, or -1 with a message in ERR (ERRLEN bytes). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct fluxd_pmix_ops {
    /* PMIx_Init: this process's rank and the job's size. */
    int (*init)(uint32_t *rank, uint32_t *size, char *err, size_t errlen);
    /* Publish KEY=VALUE for the other processes (PMIx_Put + Commit). */
    int (*put)(const char *key, const char *value, char *err, size_t errlen);
    /* Wait for every process, exchanging what they put (PMIx_Fence with
     * data collection), at most TIMEOUT seconds. */
    int (*fence)(double timeout, char *err, size_t errlen);
    /* What process RANK put under KEY, into BUF (BUFLEN bytes). */
    int (*get)(uint32_t rank, const char *key, char *buf, size_t buflen, char *err,
               size_t errlen);
    void (*finalize)(void);
};

#define FLUXD_PMIX_BOOT_SYMBOL "fluxd_pmix_boot_ops"
typedef const struct fluxd_pmix_ops *(*fluxd_pmix_boot_ops_f)(void);

__attribute__((visibility("default"))) const struct fluxd_pmix_ops *fluxd_pmix_boot_ops(void);

#ifdef __cplusplus
}
#endif
