/* sched-onecore.c - test module: a minimal RFC 27 scheduler written in C
 * against the public API only, the way a site would write one, and unlike
 * sched-simple in the ways the protocol allows:
 *   - mode "single" (one sched.alloc at a time);
 *   - it owns core 0 of rank 0 only, and commits R to the KVS itself, then
 *     answers SUCCESS without R (the first RFC 27);
 *   - an ANNOTATE response while a job waits, and annotations on SUCCESS;
 *   - DENY for a job that needs more than one core.
 * Its synchronous startup RPCs also exercise the module runtime's look at
 * buffered input when the reactor starts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include <flux/core.h>
#include <flux/kvs.h>
#include <flux/module.h>

struct onecore {
    flux_t *h;
    const flux_msg_t *pending; /* the sched.alloc waiting for the core */
    uint64_t pending_id;
    uint64_t holder; /* job holding core 0, 0 if free */
    char hostname[256];
};

static void job_key(char *buf, size_t len, uint64_t id, const char *leaf)
{
    snprintf(buf, len, "job.%04x.%04x.%04x.%04x.%s", (unsigned)(id >> 48) & 0xffff,
             (unsigned)(id >> 32) & 0xffff, (unsigned)(id >> 16) & 0xffff, (unsigned)id & 0xffff,
             leaf);
}

/* Give core 0 to the pending job: commit R, then answer SUCCESS without R. */
static void grant(struct onecore *s)
{
    char key[128];
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    flux_future_t *f;
    job_key(key, sizeof(key), s->pending_id, "R");
    if (!txn
        || flux_kvs_txn_pack(txn, 0, key,
                             "{s:i s:{s:[{s:s s:{s:s}}] s:f s:f s:[s]}}", "version", 1,
                             "execution", "R_lite", "rank", "0", "children", "core", "0",
                             "starttime", 0.0, "expiration", 0.0, "nodelist", s->hostname)
               < 0
        || !(f = flux_kvs_commit(s->h, NULL, 0, txn)) || flux_rpc_get(f, NULL) < 0) {
        flux_log(s->h, LOG_ERR, "sched-onecore: cannot commit R");
        flux_kvs_txn_destroy(txn);
        return;
    }
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
    flux_respond_pack(s->h, s->pending, "{s:I s:i s:{s:{s:s}}}", "id", (json_int_t)s->pending_id,
                      "type", 0, "annotations", "sched", "resource_summary", "rank0/core0");
    s->holder = s->pending_id;
    flux_msg_decref(s->pending);
    s->pending = NULL;
}

static void alloc_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    struct onecore *s = arg;
    json_int_t id, nslots = 1, ncores = 1;
    json_t *resources = NULL;
    (void)mh;
    if (flux_msg_unpack(msg, "{s:I s:{s:o}}", "id", &id, "jobspec", "resources", &resources) < 0) {
        flux_respond_error(h, msg, EPROTO, NULL);
        return;
    }
    /* slot[nslots] > core[ncores], as flux submit writes it */
    json_unpack(json_array_get(resources, 0), "{s?I s?[{s?I}]}", "count", &nslots, "with",
                "count", &ncores);
    if (nslots * ncores > 1) {
        flux_respond_pack(h, msg, "{s:I s:i s:s}", "id", id, "type", 2, "note",
                          "sched-onecore has one core");
        return;
    }
    if (s->pending) { /* mode single: cannot happen */
        flux_respond_error(h, msg, EINVAL, "sched-onecore: two allocs at once in mode single");
        return;
    }
    s->pending = flux_msg_incref(msg);
    s->pending_id = (uint64_t)id;
    if (s->holder == 0)
        grant(s);
    else
        flux_respond_pack(h, msg, "{s:I s:i s:{s:{s:s}}}", "id", id, "type", 1, "annotations",
                          "sched", "reason_pending", "waiting for core 0");
}

static void free_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    struct onecore *s = arg;
    json_int_t id;
    (void)mh;
    if (flux_msg_unpack(msg, "{s:I}", "id", &id) < 0) {
        flux_respond_error(h, msg, EPROTO, NULL);
        return;
    }
    if ((uint64_t)id == s->holder)
        s->holder = 0;
    flux_respond_pack(h, msg, "{s:I}", "id", id);
    if (s->pending && s->holder == 0)
        grant(s);
}

static void cancel_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    struct onecore *s = arg;
    json_int_t id;
    (void)mh;
    if (flux_msg_unpack(msg, "{s:I}", "id", &id) < 0 || !s->pending
        || (uint64_t)id != s->pending_id)
        return;
    flux_respond_pack(h, s->pending, "{s:I s:i}", "id", id, "type", 3);
    flux_msg_decref(s->pending);
    s->pending = NULL;
}

static void prioritize_cb(flux_t *h, flux_msg_handler_t *mh, const flux_msg_t *msg, void *arg)
{
    (void)h;
    (void)mh;
    (void)msg;
    (void)arg; /* one request at a time: nothing to reorder */
}

static const struct flux_msg_handler_spec htab[] = {
    {FLUX_MSGTYPE_REQUEST, "sched.alloc", alloc_cb, 0},
    {FLUX_MSGTYPE_REQUEST, "sched.free", free_cb, 0},
    {FLUX_MSGTYPE_REQUEST, "sched.cancel", cancel_cb, 0},
    {FLUX_MSGTYPE_REQUEST, "sched.prioritize", prioritize_cb, 0},
    FLUX_MSGHANDLER_TABLE_END,
};

static int onecore_main(flux_t *h, int argc, char **argv)
{
    struct onecore s = {.h = h};
    flux_msg_handler_t **handlers = NULL;
    flux_future_t *f;
    json_t *jobs;
    const char *host = flux_attr_get(h, "hostname");
    int rc;
    (void)argc;
    (void)argv;
    snprintf(s.hostname, sizeof(s.hostname), "%s", host ? host : "localhost");
    if (!(f = flux_service_register(h, "sched")) || flux_rpc_get(f, NULL) < 0) {
        flux_log(h, LOG_ERR, "sched-onecore: register sched: %s", flux_future_error_string(f));
        return -1;
    }
    flux_future_destroy(f);
    if (flux_msg_handler_addvec(h, htab, &s, &handlers) < 0)
        return -1;
    if (!(f = flux_rpc(h, "job-manager.sched-hello", "{}", 0, 0))
        || flux_rpc_get_unpack(f, "{s:o}", "alloc", &jobs) < 0) {
        flux_log(h, LOG_ERR, "sched-onecore: hello: %s", flux_future_error_string(f));
        return -1;
    }
    if (json_array_size(jobs) > 0) { /* core 0 is held by a running job */
        json_int_t held = 0;
        json_unpack(json_array_get(jobs, 0), "{s:I}", "id", &held);
        s.holder = (uint64_t)held;
    }
    flux_future_destroy(f);
    if (!(f = flux_rpc(h, "job-manager.sched-ready", "{\"mode\":\"single\"}", 0, 0))
        || flux_rpc_get(f, NULL) < 0) {
        flux_log(h, LOG_ERR, "sched-onecore: ready: %s", flux_future_error_string(f));
        return -1;
    }
    flux_future_destroy(f);
    rc = flux_reactor_run(flux_get_reactor(h), 0);
    if (s.pending)
        flux_msg_decref(s.pending);
    flux_msg_handler_delvec(handlers);
    return rc;
}

static const struct flux_module_info info = {
    .api_version = FLUX_MODULE_API_VERSION,
    .name = "sched-onecore",
    .main = onecore_main,
};

FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
