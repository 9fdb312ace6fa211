/* flux/kvs.h - the key-value store client API.
 *
 * Keys are paths of dot-separated names ("job.123.eventlog"); values are
 * JSON.  Every value a lookup returns, and every value a transaction puts,
 * is JSON text.  Namespaces separate stores ("primary" is the default;
 * NULL means the default).
 */
#ifndef FLUX_KVS_H
#define FLUX_KVS_H

#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flux_kvs_txn flux_kvs_txn_t;

enum {
    FLUX_KVS_WATCH = 0x01,        /* lookup: stream the value now and at each change */
    FLUX_KVS_WAITCREATE = 0x02,   /* lookup+watch: wait for a missing key to appear */
    FLUX_KVS_WATCH_APPEND = 0x04, /* lookup+watch: stream only what is appended */
    FLUX_KVS_APPEND = 0x08,       /* txn put: append to a string value */
    FLUX_KVS_ORDERED = 0x10,      /* commit: answered once ordered, not once stored */
};

/* Transactions: a list of operations committed atomically. */
FLUX_API flux_kvs_txn_t *flux_kvs_txn_create(void);
FLUX_API void flux_kvs_txn_destroy(flux_kvs_txn_t *txn);
/* VALUE is JSON text (EINVAL if it does not parse). */
FLUX_API int flux_kvs_txn_put(flux_kvs_txn_t *txn, int flags, const char *key, const char *value);
FLUX_API int flux_kvs_txn_pack(flux_kvs_txn_t *txn, int flags, const char *key, const char *fmt,
                               ...);
/* Store a string value (JSON-encoded for you). */
FLUX_API int flux_kvs_txn_put_string(flux_kvs_txn_t *txn, int flags, const char *key,
                                     const char *s);
FLUX_API int flux_kvs_txn_unlink(flux_kvs_txn_t *txn, int flags, const char *key);

/* Commit; the future is fulfilled once the change is durable.  With
 * FLUX_KVS_ORDERED it is fulfilled as soon as the KVS has the change in
 * its commit order: every commit it receives later, from anyone, lands
 * after it, and readers see it once stored, but the answer does not wait
 * for the write (no version in it; a failure to store is only logged by
 * the broker).  For a writer that must come before what follows it and
 * need not read back, such as the job shell's output. */
FLUX_API flux_future_t *flux_kvs_commit(flux_t *h, const char *ns, int flags,
                                        flux_kvs_txn_t *txn);
FLUX_API int flux_kvs_commit_get_version(flux_future_t *f, uint64_t *version);

/* Lookup (or, with FLUX_KVS_WATCH, a stream: call flux_future_reset() for
 * the next value; flux_kvs_lookup_cancel() ends it with ENODATA). */
FLUX_API flux_future_t *flux_kvs_lookup(flux_t *h, const char *ns, int flags, const char *key);
/* *value is JSON text, valid until the future is reset or destroyed. */
FLUX_API int flux_kvs_lookup_get(flux_future_t *f, const char **value);
FLUX_API int flux_kvs_lookup_get_unpack(flux_future_t *f, const char *fmt, ...);
FLUX_API int flux_kvs_lookup_cancel(flux_future_t *f);

/* Directory listing: *entries is a JSON object {name: "dir"|"val"}. */
FLUX_API flux_future_t *flux_kvs_dir(flux_t *h, const char *ns, const char *key);
FLUX_API int flux_kvs_dir_get(flux_future_t *f, const char **entries);

FLUX_API flux_future_t *flux_kvs_namespace_create(flux_t *h, const char *ns, uint32_t owner,
                                                  int flags);
FLUX_API flux_future_t *flux_kvs_namespace_remove(flux_t *h, const char *ns);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_KVS_H */
