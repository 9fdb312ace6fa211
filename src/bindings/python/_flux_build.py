"""Build flux._core, the cffi (API mode) extension over libflux's public C API.

Run by make:  python3 _flux_build.py --include DIR --libdir DIR [--rpath DIR]... --outdir DIR
The C declarations below are copied from include/flux/{core,job,kvs}.h by hand
(cffi's parser takes no macros or attributes); the C compiler checks them
against the real headers when the extension is compiled, so a drift is a
build error, not a crash.
"""
import argparse
import os
import shutil
import sys
import tempfile

import cffi

CDEF = r"""
typedef struct flux_handle flux_t;
typedef struct flux_msg flux_msg_t;
typedef struct flux_future flux_future_t;
typedef struct flux_reactor flux_reactor_t;
typedef struct { char text[160]; } flux_error_t;
typedef uint64_t flux_jobid_t;
typedef struct flux_kvs_txn flux_kvs_txn_t;
typedef struct json_t json_t;
struct event_base;
struct event;
typedef int evutil_socket_t;
struct timeval { long tv_sec; long tv_usec; };

#define FLUX_MSGTYPE_REQUEST ...
#define FLUX_MSGTYPE_RESPONSE ...
#define FLUX_MSGTYPE_EVENT ...
#define FLUX_MSGTYPE_ANY ...
#define FLUX_NODEID_ANY ...
#define FLUX_NODEID_UPSTREAM ...
#define FLUX_MATCHTAG_NONE ...
#define FLUX_USERID_UNKNOWN ...
#define FLUX_RPC_NORESPONSE ...
#define FLUX_RPC_STREAMING ...
#define FLUX_REACTOR_NOWAIT ...
#define FLUX_REACTOR_ONCE ...
#define FLUX_O_NONBLOCK ...
#define FLUX_JOBID_ANY ...
#define FLUX_JOB_URGENCY_MIN ...
#define FLUX_JOB_URGENCY_HOLD ...
#define FLUX_JOB_URGENCY_DEFAULT ...
#define FLUX_JOB_URGENCY_MAX ...
#define FLUX_JOB_URGENCY_EXPEDITE ...
#define FLUX_JOB_STATE_NEW ...
#define FLUX_JOB_STATE_DEPEND ...
#define FLUX_JOB_STATE_PRIORITY ...
#define FLUX_JOB_STATE_SCHED ...
#define FLUX_JOB_STATE_RUN ...
#define FLUX_JOB_STATE_CLEANUP ...
#define FLUX_JOB_STATE_INACTIVE ...
#define FLUX_JOB_STATE_PENDING ...
#define FLUX_JOB_STATE_RUNNING ...
#define FLUX_JOB_STATE_ACTIVE ...
#define FLUX_JOB_DEBUG ...
#define FLUX_JOB_WAITABLE ...
#define FLUX_JOB_EVENT_WATCH_WAITCREATE ...
#define FLUX_JOB_JOURNAL_FULL ...
#define FLUX_KVS_WATCH ...
#define FLUX_KVS_WAITCREATE ...
#define FLUX_KVS_WATCH_APPEND ...
#define FLUX_KVS_APPEND ...
#define EV_TIMEOUT ...
#define EV_READ ...
#define EV_WRITE ...
#define EV_PERSIST ...

struct flux_match {
    int typemask;
    uint32_t matchtag;
    const char *topic_glob;
    ...;
};

/* messages */
void flux_msg_decref(const flux_msg_t *msg);
int flux_msg_get_topic(const flux_msg_t *msg, const char **topic);
int flux_msg_get_string(const flux_msg_t *msg, const char **s);
int flux_msg_get_type(const flux_msg_t *msg, int *type);
int flux_msg_get_seq(const flux_msg_t *msg, uint32_t *seq);
int flux_event_decode(const flux_msg_t *msg, const char **topic, const char **s);

/* reactor */
int flux_reactor_run(flux_reactor_t *r, int flags);
void flux_reactor_stop(flux_reactor_t *r);
void flux_reactor_stop_error(flux_reactor_t *r);
struct event_base *flux_reactor_get_event_base(flux_reactor_t *r);
double flux_reactor_now(flux_reactor_t *r);

/* handle */
flux_t *flux_open_ex(const char *uri, int flags, flux_error_t *error);
void flux_close(flux_t *h);
flux_msg_t *flux_recv(flux_t *h, struct flux_match match, int flags);
flux_reactor_t *flux_get_reactor(flux_t *h);

/* rpc, futures */
typedef void (*flux_continuation_f)(flux_future_t *f, void *arg);
flux_future_t *flux_rpc(flux_t *h, const char *topic, const char *s, uint32_t nodeid, int flags);
int flux_rpc_get(flux_future_t *f, const char **s);
const char *flux_future_error_string(flux_future_t *f);
int flux_future_then(flux_future_t *f, double timeout, flux_continuation_f cb, void *arg);
int flux_future_wait_for(flux_future_t *f, double timeout);
bool flux_future_is_ready(flux_future_t *f);
void flux_future_reset(flux_future_t *f);
void flux_future_destroy(flux_future_t *f);

/* events, attributes */
int flux_event_subscribe(flux_t *h, const char *topic);
int flux_event_unsubscribe(flux_t *h, const char *topic);
flux_future_t *flux_event_publish(flux_t *h, const char *topic, int flags, const char *s);
int flux_event_publish_get_seq(flux_future_t *f, int *seq);
const char *flux_attr_get(flux_t *h, const char *name);
int flux_attr_set(flux_t *h, const char *name, const char *value);
int flux_get_rank(flux_t *h, uint32_t *rank);
int flux_get_size(flux_t *h, uint32_t *size);

/* jobs */
flux_future_t *flux_job_submit(flux_t *h, const char *jobspec, int urgency, int flags);
int flux_job_submit_get_id(flux_future_t *f, flux_jobid_t *id);
flux_future_t *flux_job_wait(flux_t *h, flux_jobid_t id);
int flux_job_wait_get_status(flux_future_t *f, bool *success, const char **errstr);
int flux_job_wait_get_id(flux_future_t *f, flux_jobid_t *id);
flux_future_t *flux_job_event_watch(flux_t *h, flux_jobid_t id, const char *path, int flags);
int flux_job_event_watch_get(flux_future_t *f, const char **event);
int flux_job_event_watch_cancel(flux_future_t *f);
flux_future_t *flux_job_journal(flux_t *h, int flags);
int flux_job_journal_get(flux_future_t *f, flux_jobid_t *id, const char **events);
int flux_job_journal_cancel(flux_future_t *f);
flux_future_t *flux_job_raise(flux_t *h, flux_jobid_t id, const char *type, int severity,
                              const char *note);
flux_future_t *flux_job_cancel(flux_t *h, flux_jobid_t id, const char *reason);
flux_future_t *flux_job_kill(flux_t *h, flux_jobid_t id, int signum);
flux_future_t *flux_job_set_urgency(flux_t *h, flux_jobid_t id, int urgency);
flux_future_t *flux_job_list(flux_t *h, int max_entries, const char *attrs, uint32_t userid,
                             int states);
int flux_job_list_get(flux_future_t *f, json_t **jobs);
flux_future_t *flux_job_list_ids(flux_t *h, const flux_jobid_t *ids, int nids, const char *attrs);
char *json_dumps(const json_t *json, size_t flags);
void free(void *p);
flux_future_t *flux_job_lookup(flux_t *h, flux_jobid_t id, const char *key);
int flux_job_lookup_get(flux_future_t *f, const char **value);
int flux_job_id_parse(const char *s, flux_jobid_t *id);
int flux_job_id_encode(flux_jobid_t id, const char *type, char *buf, size_t bufsz);
int flux_job_kvs_key(char *buf, int bufsz, flux_jobid_t id, const char *key);

/* kvs */
flux_kvs_txn_t *flux_kvs_txn_create(void);
void flux_kvs_txn_destroy(flux_kvs_txn_t *txn);
int flux_kvs_txn_put(flux_kvs_txn_t *txn, int flags, const char *key, const char *value);
int flux_kvs_txn_unlink(flux_kvs_txn_t *txn, int flags, const char *key);
flux_future_t *flux_kvs_commit(flux_t *h, const char *ns, int flags, flux_kvs_txn_t *txn);
int flux_kvs_commit_get_version(flux_future_t *f, uint64_t *version);
flux_future_t *flux_kvs_lookup(flux_t *h, const char *ns, int flags, const char *key);
int flux_kvs_lookup_get(flux_future_t *f, const char **value);
int flux_kvs_lookup_cancel(flux_future_t *f);
flux_future_t *flux_kvs_dir(flux_t *h, const char *ns, const char *key);
int flux_kvs_dir_get(flux_future_t *f, const char **entries);

/* libevent, for the reactor's timer and fd watchers */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);
struct event *event_new(struct event_base *base, evutil_socket_t fd, short events,
                        event_callback_fn cb, void *arg);
int event_add(struct event *ev, const struct timeval *tv);
int event_del(struct event *ev);
void event_free(struct event *ev);
void event_active(struct event *ev, int res, short ncalls);

/* Python callbacks */
extern "Python" void _flux_continuation(flux_future_t *f, void *arg);
extern "Python" void _flux_event_cb(evutil_socket_t fd, short what, void *arg);
"""

SOURCE = r"""
#include <stdlib.h>
#include <sys/time.h>
#include <event2/event.h>
#include <flux/core.h>
#include <flux/job.h>
#include <flux/kvs.h>
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--include", action="append", default=[])
    p.add_argument("--libdir", action="append", default=[])
    p.add_argument("--rpath", action="append", default=[])
    p.add_argument("--cflags", default="")
    p.add_argument("--outdir", required=True)
    a = p.parse_args()
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(
        "flux._core",
        SOURCE,
        include_dirs=a.include,
        library_dirs=a.libdir,
        libraries=["flux-core", "event_core", "jansson"],
        extra_compile_args=[f for f in a.cflags.split() if f],
        extra_link_args=["-Wl,-rpath," + r for r in a.rpath],
    )
    tmp = tempfile.mkdtemp(prefix="flux-cffi-")
    try:
        so = ffi.compile(tmpdir=tmp, verbose=False)
        dest = os.path.join(a.outdir, os.path.basename(so))
        shutil.copyfile(so, dest + ".tmp")
        os.replace(dest + ".tmp", dest)
        print(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
