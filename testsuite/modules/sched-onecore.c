/* sched-onecore.c - test module: a minimal RFC 27 scheduler written in C
 * against the public API only (flux/schedutil.h), the way a site would
 * write one, and unlike sched-simple in the ways the protocol allows:
 *   - mode "single" (one sched.alloc at a time);
 *   - it owns core 0 of rank 0 only, and commits R to the KVS itself, then
 *     answers SUCCESS without R (the first RFC 27);
 *   - an ANNOTATE response while a job waits, and annotations on SUCCESS;
 *   - DENY for a job that needs more than one core;
 *   - feasibility.check: refuses more than one core with EOVERFLOW, or,
 *     with the argument feasibility=silent, never answers (job-ingest's
 *     timeout), or with feasibility=none is not offered (ENOSYS);
 *   - api=2.0 claims a schedutil ABI this broker does not have (refused);
 *   - free-by-id sets FLUX_SCHEDUTIL_FREE_BY_ID (a final free comes without
 *     R); api=1.1 claims the older table and sets the flag past its end
 *     (the helper must not read it: every free comes with R).  A free that
 *     breaks the rule is logged as an error;
 *   - R-text=good answers SUCCESS with R as text (with a scheduling key),
 *     R-text=bad with a scheduling key that is not JSON (the job manager
 *     must refuse it: an alloc exception), through
 *     flux_schedutil_alloc_success_text().
 * A synchronous RPC right after the handshake is started also exercises
 * the module runtime's look at buffered input when the reactor starts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include <flux/core.h>
#include <flux/kvs.h>
#include <flux/module.h>
#include <flux/schedutil.h>

struct onecore {
    flux_t *h;
    flux_schedutil_t *util;
    int feasibility_silent; /* never answer feasibility.check */
    const flux_msg_t *pending; /* the sched.alloc waiting for the core */
    uint64_t pending_id;
    uint64_t holder; /* job holding core 0, 0 if free */
    int free_by_id;  /* a final free must come without R */
    const char *R_text; /* NULL, "good" or "bad" */
    char hostname[256];
};

static void job_key(char *buf, size_t len, uint64_t id, const char *leaf)
{
    snprintf(buf, len, "job.%04x.%04x.%04x.%04x.%s", (unsigned)(id >> 48) & 0xffff,
             (unsigned)(id >> 32) & 0xffff, (unsigned)(id >> 16) & 0xffff, (unsigned)id & 0xffff,
             leaf);
}

/* Give core 0 to the pending job with R as text (R-text=good|bad). */
static void grant_text(struct onecore *s)
{
    char R[1024];
    int bad = strcmp(s->R_text, "bad") == 0;
    snprintf(R, sizeof(R),
             "{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":"
             "{\"core\":\"0\"}}],\"starttime\":0.0,\"expiration\":0.0,\"nodelist\":[\"%s\"]},"
             "\"scheduling\":{\"graph\":{\"nodes\":[%s],\"edges\":[]}}}",
             s->hostname, bad ? "1,,2" : "{\"id\":\"0\",\"metadata\":{\"type\":\"core\"}}");
    if (flux_schedutil_alloc_success_text(s->util, s->pending, s->pending_id, R, NULL) < 0)
        flux_log(s->h, LOG_ERR, "sched-onecore: alloc_success_text: %s", strerror(errno));
    if (!bad) /* a bad R is refused: the job never holds the core */
        s->holder = s->pending_id;
    flux_msg_decref(s->pending);
    s->pending = NULL;
}

/* Give core 0 to the pending job: commit R, then answer SUCCESS without R. */
static void grant(struct onecore *s)
{
    char key[128];
    if (s->R_text) {
        grant_text(s);
        return;
    }
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
    json_t *annotations = json_pack("{s:{s:s}}", "sched", "resource_summary", "rank0/core0");
    flux_schedutil_alloc_success(s->util, s->pending, s->pending_id, NULL, annotations);
    json_decref(annotations);
    s->holder = s->pending_id;
    flux_msg_decref(s->pending);
    s->pending = NULL;
}

/* slot[nslots] > core[ncores], as flux submit writes it */
static json_int_t cores_of(json_t *jobspec)
{
    json_int_t nslots = 1, ncores = 1;
    json_t *resources = json_object_get(jobspec, "resources");
    json_unpack(json_array_get(resources, 0), "{s?I s?[{s?I}]}", "count", &nslots, "with",
                "count", &ncores);
    return nslots * ncores;
}

static void alloc_cb(flux_schedutil_t *util, const flux_msg_t *msg, json_t *job, void *arg)
{
    struct onecore *s = arg;
    json_int_t id;
    json_t *jobspec;
    if (json_unpack(job, "{s:I s:o}", "id", &id, "jobspec", &jobspec) < 0) {
        flux_respond_error(s->h, msg, EPROTO, NULL);
        return;
    }
    if (cores_of(jobspec) > 1) {
        flux_schedutil_alloc_deny(util, msg, (uint64_t)id, "sched-onecore has one core");
        return;
    }
    if (s->pending) { /* mode single: cannot happen */
        flux_respond_error(s->h, msg, EINVAL, "sched-onecore: two allocs at once in mode single");
        return;
    }
    s->pending = flux_msg_incref(msg);
    s->pending_id = (uint64_t)id;
    if (s->holder == 0)
        grant(s);
    else {
        json_t *a = json_pack("{s:{s:s}}", "sched", "reason_pending", "waiting for core 0");
        flux_schedutil_alloc_annotate(util, msg, (uint64_t)id, a);
        json_decref(a);
    }
}

static void free_cb(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id, json_t *R,
                    void *arg)
{
    struct onecore *s = arg;
    int final = 1;
    if (!R)
        final = 1; /* FLUX_SCHEDUTIL_FREE_BY_ID: only a final free lacks R */
    else
        (void)flux_msg_unpack(msg, "{s?b}", "final", &final);
    if (final && (s->free_by_id ? R != NULL : R == NULL))
        flux_log(s->h, LOG_ERR, "sched-onecore: final free of %ju %s R", (uintmax_t)id,
                 R ? "with" : "without");
    /* Core 0 is free once the job's last part comes back (RFC 27). */
    if (final && id == s->holder)
        s->holder = 0;
    flux_schedutil_free_respond(util, msg, id);
    if (s->pending && s->holder == 0)
        grant(s);
}

static void cancel_cb(flux_schedutil_t *util, uint64_t id, void *arg)
{
    struct onecore *s = arg;
    if (!s->pending || id != s->pending_id)
        return;
    flux_schedutil_alloc_cancel(util, s->pending, id);
    flux_msg_decref(s->pending);
    s->pending = NULL;
}

static int hello_cb(flux_schedutil_t *util, json_t *job, void *arg)
{
    struct onecore *s = arg;
    json_int_t held = 0;
    (void)util;
    /* core 0 is held by a running job */
    if (json_unpack(job, "{s:I}", "id", &held) < 0)
        return -1;
    s->holder = (uint64_t)held;
    return 0;
}

static void feasibility_cb(flux_schedutil_t *util, const flux_msg_t *msg, json_t *jobspec,
                           void *arg)
{
    struct onecore *s = arg;
    if (s->feasibility_silent)
        return; /* job-ingest times out */
    if (cores_of(jobspec) > 1)
        flux_schedutil_feasibility_respond(util, msg, EOVERFLOW,
                                           "sched-onecore: only one core can ever be allocated");
    else
        flux_schedutil_feasibility_respond(util, msg, 0, NULL);
}

static int onecore_main(flux_t *h, int argc, char **argv)
{
    struct onecore s = {.h = h};
    struct flux_schedutil_ops ops = {
        .api_version = FLUX_SCHEDUTIL_API_VERSION,
        .hello = hello_cb,
        .alloc = alloc_cb,
        .free = free_cb,
        .cancel = cancel_cb,
        .feasibility = feasibility_cb,
    };
    flux_error_t error;
    flux_future_t *f;
    const char *host = flux_attr_get(h, "hostname");
    int rc;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "feasibility=silent") == 0)
            s.feasibility_silent = 1;
        else if (strcmp(argv[i], "feasibility=none") == 0)
            ops.feasibility = NULL;
        else if (strcmp(argv[i], "api=2.0") == 0) /* a future helper's ABI */
            ops.api_version = 2u << 16;
        else if (strcmp(argv[i], "api=1.1") == 0) { /* flags lie past its table */
            ops.api_version = (1u << 16) | 1u;
            ops.flags = FLUX_SCHEDUTIL_FREE_BY_ID;
        }
        else if (strcmp(argv[i], "R-text=good") == 0 || strcmp(argv[i], "R-text=bad") == 0)
            s.R_text = argv[i] + 7;
        else if (strcmp(argv[i], "free-by-id") == 0) {
            ops.flags = FLUX_SCHEDUTIL_FREE_BY_ID;
            s.free_by_id = 1;
        }
        else {
            flux_log(h, LOG_ERR, "sched-onecore: unknown argument '%s'", argv[i]);
            return -1;
        }
    }
    snprintf(s.hostname, sizeof(s.hostname), "%s", host ? host : "localhost");
    if (!(s.util = flux_schedutil_create(h, &ops, &s, &error))) {
        flux_log(h, LOG_ERR, "sched-onecore: %s", error.text);
        return -1;
    }
    if (flux_schedutil_start(s.util, "single", &error) < 0) {
        flux_log(h, LOG_ERR, "sched-onecore: %s", error.text);
        flux_schedutil_destroy(s.util);
        return -1;
    }
    /* The hello response may arrive while this waits: it stays buffered
     * until the reactor runs. */
    if (!(f = flux_rpc(h, "job-manager.ping", "{}", 0, 0)) || flux_rpc_get(f, NULL) < 0)
        flux_log(h, LOG_ERR, "sched-onecore: job-manager.ping: %s", flux_future_error_string(f));
    flux_future_destroy(f);
    rc = flux_reactor_run(flux_get_reactor(h), 0);
    if (s.pending)
        flux_msg_decref(s.pending);
    flux_schedutil_destroy(s.util);
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
