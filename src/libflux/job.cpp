/* job.cpp - the client job API (include/flux/job.h).
 *
 * Each call is one request to the service that owns the operation:
 * job-ingest.submit (submit, arrays), job-manager.* (wait, raise, kill,
 * urgency, update, list, queue, events-journal) and the KVS for a job's
 * eventlogs and data (job.<dothex>.KEY, RFC 16).  Those topics and keys are
 * spelled here and nowhere in the commands.  Ids: src/common/fluid (RFC 19).
 */
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <string>
#include <vector>

#include "flux/job.h"
#include "flux/kvs.h"
#include "flux/sign.h"
#include "fluid/fluid.h"
#include "handle_internal.h"
#include "message_internal.h"
#include "ptr.h"

namespace {

constexpr int submit_flags_valid = FLUX_JOB_PRE_SIGNED | FLUX_JOB_DEBUG | FLUX_JOB_WAITABLE;
constexpr size_t array_max = 256;

bool valid_id(flux_jobid_t id)
{
    return id != FLUX_JOBID_ANY;
}

std::string job_key(flux_jobid_t id, const char *key)
{
    std::string k = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
    if (key && *key)
        k += std::string(".") + key;
    return k;
}

/* A job key the caller may name: words of [a-zA-Z0-9_-] joined by dots. */
bool valid_key(const char *key)
{
    if (!key || !*key || *key == '.')
        return false;
    char prev = 0;
    for (const char *p = key; *p; p++) {
        char c = *p;
        if (c == '.' && prev == '.')
            return false;
        if (!(isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'))
            return false;
        prev = c;
    }
    return prev != '.';
}

/* The last JSON jobspec text found valid on this handle: submitting copies
 * of one jobspec checks it once, not once per job. */
struct CheckedJobspec {
    std::string text;
};

void checked_destroy(void *p)
{
    delete static_cast<CheckedJobspec *>(p);
}

/* Whether TEXT is a JSON object (spliced into the request as it is) rather
 * than YAML (sent as a string for the server to convert). */
bool jobspec_is_json(flux_t *h, const char *text, size_t len)
{
    auto *c = static_cast<CheckedJobspec *>(flux_aux_get(h, "flux::job_checked"));
    if (c && c->text.size() == len && memcmp(c->text.data(), text, len) == 0)
        return true;
    json_error_t jerr;
    flux::JsonPtr o(json_loadb(text, len, 0, &jerr));
    if (!json_is_object(o.get()))
        return false;
    if (!c) {
        c = new (std::nothrow) CheckedJobspec;
        if (!c || flux_aux_set(h, "flux::job_checked", c, checked_destroy) < 0) {
            delete c;
            return true;
        }
    }
    c->text.assign(text, len);
    return true;
}

/* A future already failed with ERRNUM and TEXT (a request never sent). */
flux_future_t *failed_future(flux_t *h, int errnum, const char *text)
{
    flux_future_t *f = flux::future_create(h, FLUX_MATCHTAG_NONE, false);
    flux_msg_t *rsp = f ? flux_msg_create(FLUX_MSGTYPE_RESPONSE) : nullptr;
    if (!rsp) {
        flux_future_destroy(f);
        errno = ENOMEM;
        return nullptr;
    }
    flux_msg_set_errnum(rsp, errnum);
    flux_msg_set_string(rsp, text);
    flux::future_push(f, rsp);
    return f;
}

/* "{\"J\":\"J\"": JOBSPEC signed (or, with FLUX_JOB_PRE_SIGNED, as it is);
 * NULL: a failed future in *FAIL. */
bool signed_value(flux_t *h, const char *jobspec, int flags, std::string &out,
                  flux_future_t **fail)
{
    std::string j;
    if (flags & FLUX_JOB_PRE_SIGNED) {
        j = jobspec;
        /* The alphabet of base64url, dots and munge's credential text:
         * nothing to escape in a JSON string. */
        for (char c : j) {
            if (!isalnum((unsigned char)c) && !strchr("-_.:+/=", c)) {
                *fail = failed_future(h, EINVAL, "pre-signed jobspec: not a J"
                                                 " (HEADER.PAYLOAD.SIGNATURE)");
                return false;
            }
        }
    }
    else {
        flux_error_t error;
        char *w = flux_sign_wrap(h, jobspec, strlen(jobspec), nullptr, &error);
        if (!w) {
            int e = errno;
            *fail = failed_future(h, e, (std::string("sign jobspec: ") + error.text).c_str());
            return false;
        }
        j = w;
        free(w);
    }
    out.reserve(j.size() + 64);
    out += "{\"J\":\"";
    out += j;
    out += '"';
    return true;
}

/* Event watch: split each KVS watch response (appended eventlog text) into
 * one response per complete line; keep a partial line for the next.
 *
 * The stream ends (ENODATA) once the job is inactive and every entry written
 * so far has been delivered.  The main eventlog ends at its "clean" entry.
 * Another log (guest.output, ...) is followed alongside a second watch, of
 * the main eventlog: once that shows "clean", nothing more is written to the
 * job's logs, so the log's own KVS watch is cancelled.  The KVS answers a
 * cancel after every update it sent before it (one service, one connection,
 * in order), and every write to the log was answered before "clean" was
 * committed, so the stream delivers all of it and then ENODATA.  With
 * FLUX_JOB_EVENT_WATCH_WAITCREATE, a log still not written by then ends the
 * stream with no entries.  A guest log (PATH "guest.*") is always waited
 * for, as Flux's job-info waits for the job's start before watching one. */
struct EventWatch {
    std::string partial;
    bool main_log = false; /* PATH is "eventlog": it ends at "clean" */
    bool ending = false;   /* the KVS watch was cancelled: its ENODATA ends it */
    int end_errnum = 0;    /* the end is this error instead of ENODATA */
    std::string end_text;
    flux_future_t *job = nullptr; /* another log: the main eventlog's watch */
    std::string job_partial;
    bool job_cancelled = false;
};

void event_watch_destroy(void *p)
{
    auto *w = static_cast<EventWatch *>(p);
    if (w->job) {
        if (!w->job->done && !w->job_cancelled)
            flux_kvs_lookup_cancel(w->job);
        flux_future_destroy(w->job);
    }
    delete w;
}

void push_error(flux_future_t *f, const flux_msg_t *msg, int errnum, const char *text)
{
    flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
    if (rsp) {
        flux_msg_set_matchtag(rsp, msg->matchtag);
        flux_msg_set_errnum(rsp, errnum);
        if (text)
            flux_msg_set_string(rsp, text);
    }
    flux_msg_decref(msg);
    if (rsp)
        flux::future_push(f, rsp);
}

/* Whether LINE is an eventlog entry named "clean". */
bool is_clean(const std::string &line)
{
    if (line.find("\"clean\"") == std::string::npos)
        return false;
    json_error_t jerr;
    flux::JsonPtr o(json_loadb(line.data(), line.size(), 0, &jerr));
    const char *name = json_string_value(json_object_get(o.get(), "name"));
    return name && strcmp(name, "clean") == 0;
}

/* Stop the main eventlog's companion watch (another log's stream). */
void stop_job_watch(EventWatch *w)
{
    if (w->job && !w->job->done && !w->job_cancelled) {
        w->job_cancelled = true;
        flux_kvs_lookup_cancel(w->job);
    }
}

/* End F's stream: cancel its KVS watch; entries already sent still come,
 * then the KVS's ENODATA. */
void end_stream(flux_future_t *f, EventWatch *w)
{
    stop_job_watch(w);
    if (!w->ending && !f->done) {
        w->ending = true;
        flux_kvs_lookup_cancel(f);
    }
}

void event_watch_filter(flux_future_t *f, const flux_msg_t *msg)
{
    auto *w = static_cast<EventWatch *>(flux_future_aux_get(f, "flux::job_event_watch"));
    if (msg->errnum != 0) {
        if (w)
            stop_job_watch(w);
        /* Hide the KVS's own words for an eventlog that is not there; a
         * refusal (another user's job) keeps its EPERM and its reason. */
        int e = (int)msg->errnum;
        if (e == ENODATA && w && w->ending && w->end_errnum)
            push_error(f, msg, w->end_errnum, w->end_text.c_str());
        else if (e == ENOENT)
            push_error(f, msg, ENOENT, "unknown job id");
        else
            flux::future_push(f, msg);
        return;
    }
    json_t *value = nullptr;
    const char *text = nullptr;
    if (!w || flux_msg_unpack(msg, "{s:o}", "value", &value) < 0
        || !(text = json_string_value(value))) {
        push_error(f, msg, EPROTO, "malformed eventlog watch response");
        return;
    }
    w->partial.append(text, json_string_length(value));
    size_t start = 0, nl;
    bool clean = false;
    while ((nl = w->partial.find('\n', start)) != std::string::npos) {
        flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
        if (!rsp)
            break;
        flux_msg_set_matchtag(rsp, msg->matchtag);
        std::string line = w->partial.substr(start, nl - start);
        if (w->main_log && is_clean(line))
            clean = true;
        flux_msg_set_string(rsp, line.c_str());
        flux::future_push(f, rsp);
        start = nl + 1;
    }
    w->partial.erase(0, start);
    flux_msg_decref(msg);
    if (clean)
        end_stream(f, w);
}

/* The main eventlog's watch beside another log's stream F: at "clean", end
 * F.  If the main eventlog cannot be read (an unknown job), F ends with
 * that error.  Nothing here is delivered to the caller. */
void job_watch_filter(flux_future_t *job, const flux_msg_t *msg)
{
    auto *f = static_cast<flux_future_t *>(flux_future_aux_get(job, "flux::job_event_watch_of"));
    auto *w = f ? static_cast<EventWatch *>(flux_future_aux_get(f, "flux::job_event_watch"))
                : nullptr;
    if (msg->errnum != 0) {
        if (w && !w->job_cancelled && !f->done && !w->ending) {
            int e = (int)msg->errnum;
            const char *text = nullptr;
            (void)flux_msg_get_string(msg, &text);
            w->end_errnum = e;
            w->end_text = e == ENOENT ? "unknown job id" : text && *text ? text : strerror(e);
            end_stream(f, w);
        }
        flux::future_push(job, msg); /* the final response: frees its matchtag */
        return;
    }
    json_t *value = nullptr;
    const char *text = nullptr;
    if (!w || f->done || w->ending || flux_msg_unpack(msg, "{s:o}", "value", &value) < 0
        || !(text = json_string_value(value))) {
        flux_msg_decref(msg);
        return;
    }
    w->job_partial.append(text, json_string_length(value));
    bool clean = false;
    size_t start = 0, nl;
    while ((nl = w->job_partial.find('\n', start)) != std::string::npos) {
        if (is_clean(w->job_partial.substr(start, nl - start)))
            clean = true;
        start = nl + 1;
    }
    w->job_partial.erase(0, start);
    flux_msg_decref(msg);
    if (clean)
        end_stream(f, w);
}

/* flux_job_list state: the filtered array, built on first get. */
struct ListRequest {
    uint32_t userid = FLUX_USERID_UNKNOWN;
    int max = 0;
    flux::JsonPtr attrs; /* array of names, or null for all */
    flux::JsonPtr result;
};

void list_destroy(void *p)
{
    delete static_cast<ListRequest *>(p);
}

} // namespace

extern "C" {

flux_future_t *flux_job_submit(flux_t *h, const char *jobspec, int urgency, int flags)
{
    if (!h || !jobspec || !*jobspec || urgency < FLUX_JOB_URGENCY_MIN
        || urgency > FLUX_JOB_URGENCY_MAX || (flags & ~submit_flags_valid)) {
        errno = EINVAL;
        return nullptr;
    }
    /* {"J":...,"urgency":N}: the jobspec signed (flux/sign.h). */
    std::string payload;
    flux_future_t *fail = nullptr;
    if (!signed_value(h, jobspec, flags, payload, &fail))
        return fail;
    flags &= ~FLUX_JOB_PRE_SIGNED;
    payload += ",\"urgency\":" + std::to_string(urgency);
    if (flags)
        payload += ",\"flags\":" + std::to_string(flags);
    payload += "}";
    return flux_rpc(h, "job-ingest.submit", payload.c_str(), FLUX_NODEID_ANY, 0);
}

int flux_job_submit_get_id(flux_future_t *f, flux_jobid_t *id)
{
    json_int_t v;
    if (flux_rpc_get_unpack(f, "{s:I}", "id", &v) < 0)
        return -1;
    if (id)
        *id = (flux_jobid_t)v;
    return 0;
}

flux_future_t *flux_job_submit_array(flux_t *h, const char *jobspec, int urgency, int flags,
                                     const char *idset, int array_flags)
{
    if (!h || !jobspec || !idset || !*idset || urgency < FLUX_JOB_URGENCY_MIN
        || urgency > FLUX_JOB_URGENCY_MAX || (flags & ~submit_flags_valid)
        || (array_flags & ~FLUX_JOB_ARRAY_BCC) || strchr(idset, '"') || strchr(idset, '\\')) {
        errno = EINVAL;
        return nullptr;
    }
    size_t len = strlen(jobspec);
    if (!(flags & FLUX_JOB_PRE_SIGNED) && !jobspec_is_json(h, jobspec, len)) {
        errno = EINVAL;
        return nullptr;
    }
    std::string payload;
    flux_future_t *fail = nullptr;
    if (!signed_value(h, jobspec, flags, payload, &fail))
        return fail;
    flags &= ~FLUX_JOB_PRE_SIGNED;
    payload += ",\"urgency\":" + std::to_string(urgency);
    if (flags)
        payload += ",\"flags\":" + std::to_string(flags);
    payload += (array_flags & FLUX_JOB_ARRAY_BCC) ? ",\"bcc\":\"" : ",\"cc\":\"";
    payload += idset;
    payload += "\"}";
    return flux_rpc(h, "job-ingest.submit", payload.c_str(), FLUX_NODEID_ANY, 0);
}

int flux_job_submit_get_ids(flux_future_t *f, const flux_jobid_t **ids, size_t *count)
{
    auto *v = static_cast<std::vector<flux_jobid_t> *>(flux_future_aux_get(f, "flux::job_ids"));
    if (!v) {
        json_t *array = nullptr;
        if (flux_rpc_get_unpack(f, "{s:o}", "ids", &array) < 0)
            return -1;
        if (!json_is_array(array) || json_array_size(array) > array_max * 64) {
            errno = EPROTO;
            return -1;
        }
        v = new (std::nothrow) std::vector<flux_jobid_t>;
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        size_t i;
        json_t *e;
        json_array_foreach(array, i, e) v->push_back((flux_jobid_t)json_integer_value(e));
        flux_future_aux_set(f, "flux::job_ids", v,
                            [](void *p) { delete static_cast<std::vector<flux_jobid_t> *>(p); });
    }
    if (ids)
        *ids = v->data();
    if (count)
        *count = v->size();
    return 0;
}

flux_future_t *flux_job_wait(flux_t *h, flux_jobid_t id)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.wait", FLUX_NODEID_ANY, 0, "{s:I}", "id",
                         (json_int_t)id);
}

int flux_job_wait_get_id(flux_future_t *f, flux_jobid_t *id)
{
    json_int_t v;
    if (flux_rpc_get_unpack(f, "{s:I}", "id", &v) < 0)
        return -1;
    if (id)
        *id = (flux_jobid_t)v;
    return 0;
}

int flux_job_wait_get_status(flux_future_t *f, bool *success, const char **errstr)
{
    int ok = 0;
    const char *why = "";
    if (flux_rpc_get_unpack(f, "{s:b s?s}", "success", &ok, "errstr", &why) < 0)
        return -1;
    if (success)
        *success = ok != 0;
    if (errstr)
        *errstr = why;
    return 0;
}

flux_future_t *flux_job_event_watch(flux_t *h, flux_jobid_t id, const char *path, int flags)
{
    if (!h || !valid_id(id) || !valid_key(path) || (flags & ~FLUX_JOB_EVENT_WATCH_WAITCREATE)) {
        errno = EINVAL;
        return nullptr;
    }
    auto *w = new (std::nothrow) EventWatch;
    if (!w) {
        errno = ENOMEM;
        return nullptr;
    }
    w->main_log = strcmp(path, "eventlog") == 0;
    int kvs_flags = FLUX_KVS_WATCH | FLUX_KVS_WATCH_APPEND;
    /* A guest log (guest.exec.eventlog, guest.output) is written once the
     * job runs: as in Flux, watching one waits for it. */
    if ((flags & FLUX_JOB_EVENT_WATCH_WAITCREATE) || strncmp(path, "guest.", 6) == 0)
        kvs_flags |= FLUX_KVS_WAITCREATE;
    /* The log's watch first: the KVS then answers it before the main
     * eventlog's watch, which may already hold "clean". */
    flux_future_t *f = flux_kvs_lookup(h, nullptr, kvs_flags, job_key(id, path).c_str());
    if (!f || flux_future_aux_set(f, "flux::job_event_watch", w, event_watch_destroy) < 0) {
        delete w;
        flux_future_destroy(f);
        return nullptr;
    }
    f->filter = event_watch_filter;
    if (!w->main_log) {
        w->job = flux_kvs_lookup(h, nullptr, FLUX_KVS_WATCH | FLUX_KVS_WATCH_APPEND,
                                 job_key(id, "eventlog").c_str());
        if (!w->job || flux_future_aux_set(w->job, "flux::job_event_watch_of", f, nullptr) < 0) {
            int e = errno;
            flux_kvs_lookup_cancel(f);
            flux_future_destroy(f);
            errno = e;
            return nullptr;
        }
        w->job->filter = job_watch_filter;
    }
    return f;
}

int flux_job_event_watch_get(flux_future_t *f, const char **event)
{
    if (!f || !flux_future_aux_get(f, "flux::job_event_watch")) {
        errno = EINVAL;
        return -1;
    }
    return flux_rpc_get(f, event);
}

int flux_job_event_watch_cancel(flux_future_t *f)
{
    auto *w = f ? static_cast<EventWatch *>(flux_future_aux_get(f, "flux::job_event_watch"))
                : nullptr;
    if (!w) {
        errno = EINVAL;
        return -1;
    }
    /* Ended already, or ending: a second cancel could name a matchtag the
     * handle has given to another request since. */
    if (f->done || w->ending) {
        stop_job_watch(w);
        return 0;
    }
    stop_job_watch(w);
    w->ending = true;
    return flux_kvs_lookup_cancel(f);
}

flux_future_t *flux_job_journal(flux_t *h, int flags)
{
    if (!h || (flags & ~FLUX_JOB_JOURNAL_FULL)) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.events-journal", FLUX_NODEID_ANY, FLUX_RPC_STREAMING,
                         "{s:b}", "full", (flags & FLUX_JOB_JOURNAL_FULL) != 0);
}

int flux_job_journal_cancel(flux_future_t *f)
{
    if (!f || !f->h || !f->streaming || f->matchtag == FLUX_MATCHTAG_NONE) {
        errno = EINVAL;
        return -1;
    }
    flux_future_t *c = flux_rpc_pack(f->h, "job-manager.events-journal-cancel", FLUX_NODEID_ANY,
                                     FLUX_RPC_NORESPONSE, "{s:i}", "matchtag", (int)f->matchtag);
    if (!c)
        return -1;
    flux_future_destroy(c);
    return 0;
}

int flux_job_journal_get(flux_future_t *f, flux_jobid_t *id, const char **events)
{
    const char *text = nullptr;
    if (flux_rpc_get(f, &text) < 0)
        return -1;
    /* The job manager's own compact form, {"id":N,"events":[...]}: the
     * array's text as sent, no parse and re-encode (a journal carries
     * every event of every job).  Anything else: parsed. */
    static const char head[] = "{\"id\":";
    static const char mid[] = ",\"events\":";
    long long n = 0;
    char *s = nullptr;
    const char *end = nullptr;
    size_t len = text ? strlen(text) : 0;
    if (text && strncmp(text, head, sizeof(head) - 1) == 0) {
        errno = 0;
        n = strtoll(text + sizeof(head) - 1, (char **)&end, 10);
        if (errno != 0 || end == text + sizeof(head) - 1 || strncmp(end, mid, sizeof(mid) - 1) != 0
            || end[sizeof(mid) - 1] != '[' || len < 2 || text[len - 2] != ']'
            || text[len - 1] != '}')
            end = nullptr;
    }
    if (end) {
        const char *array = end + sizeof(mid) - 1;
        if (events)
            s = strndup(array, (size_t)(text + len - 1 - array));
    }
    else {
        json_int_t v;
        json_t *array;
        if (flux_rpc_get_unpack(f, "{s:I s:o}", "id", &v, "events", &array) < 0)
            return -1;
        n = v;
        if (events)
            s = json_dumps(array, JSON_COMPACT);
    }
    if (events) {
        if (!s) {
            errno = ENOMEM;
            return -1;
        }
        flux_future_aux_set(f, "flux::job_journal_events", s, free);
        *events = s;
    }
    if (id)
        *id = n < 0 ? FLUX_JOBID_ANY : (flux_jobid_t)n;
    return 0;
}

flux_future_t *
flux_job_raise(flux_t *h, flux_jobid_t id, const char *type, int severity, const char *note)
{
    if (!h || !valid_id(id) || !type || !*type || strchr(type, ' ') || strchr(type, '=')
        || severity < 0 || severity > 7) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.raise", FLUX_NODEID_ANY, 0, "{s:I s:s s:i s:s}", "id",
                         (json_int_t)id, "type", type, "severity", severity, "note",
                         note ? note : "");
}

flux_future_t *flux_job_cancel(flux_t *h, flux_jobid_t id, const char *reason)
{
    return flux_job_raise(h, id, "cancel", 0, reason);
}

flux_future_t *flux_job_kill(flux_t *h, flux_jobid_t id, int signum)
{
    if (!h || !valid_id(id) || signum <= 0 || signum >= 64) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.kill", FLUX_NODEID_ANY, 0, "{s:I s:i}", "id",
                         (json_int_t)id, "signal", signum);
}

flux_future_t *flux_job_set_urgency(flux_t *h, flux_jobid_t id, int urgency)
{
    if (!h || !valid_id(id) || urgency < FLUX_JOB_URGENCY_MIN || urgency > FLUX_JOB_URGENCY_MAX) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.urgency", FLUX_NODEID_ANY, 0, "{s:I s:i}", "id",
                         (json_int_t)id, "urgency", urgency);
}

flux_future_t *flux_job_update(flux_t *h, flux_jobid_t id, const char *updates)
{
    json_error_t jerr;
    flux::JsonPtr o(updates ? json_loads(updates, 0, &jerr) : nullptr);
    if (!h || !valid_id(id) || !json_is_object(o.get())) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "job-manager.update", FLUX_NODEID_ANY, 0, "{s:I s:O}", "id",
                         (json_int_t)id, "updates", o.get());
}

namespace {

/* The client side of a listing: the attributes to keep (NULL ATTRS or
 * "all": every one), the user filter and the limit; EINVAL on bad ATTRS. */
ListRequest *list_request(const char *attrs, uint32_t userid, int max_entries)
{
    auto *req = new (std::nothrow) ListRequest;
    if (!req) {
        errno = ENOMEM;
        return nullptr;
    }
    req->userid = userid;
    req->max = max_entries;
    if (attrs) {
        json_error_t jerr;
        req->attrs.reset(json_loads(attrs, 0, &jerr));
        size_t i;
        json_t *a;
        bool ok = json_is_array(req->attrs.get());
        bool all = false;
        json_array_foreach(req->attrs.get(), i, a)
        {
            if (!json_is_string(a))
                ok = false;
            else if (!strcmp(json_string_value(a), "all"))
                all = true;
        }
        if (!ok) {
            delete req;
            errno = EINVAL;
            return nullptr;
        }
        if (all)
            req->attrs.reset();
    }
    return req;
}

flux_future_t *list_send(flux_future_t *f, ListRequest *req)
{
    if (!f || flux_future_aux_set(f, "flux::job_list", req, list_destroy) < 0) {
        delete req;
        flux_future_destroy(f);
        return nullptr;
    }
    return f;
}

} // namespace

flux_future_t *flux_job_list_ids(flux_t *h, const flux_jobid_t *ids, int nids, const char *attrs)
{
    if (!h || nids < 0 || (nids > 0 && !ids)) {
        errno = EINVAL;
        return nullptr;
    }
    ListRequest *req = list_request(attrs, FLUX_USERID_UNKNOWN, 0);
    if (!req)
        return nullptr;
    json_t *a = json_array();
    for (int i = 0; i < nids; i++)
        json_array_append_new(a, json_integer((json_int_t)ids[i]));
    return list_send(flux_rpc_pack(h, "job-manager.list", FLUX_NODEID_ANY, 0, "{s:i s:o}",
                                   "states", FLUX_JOB_STATE_ALL, "ids", a),
                     req);
}

flux_future_t *
flux_job_list(flux_t *h, int max_entries, const char *attrs, uint32_t userid, int states)
{
    if (!h || max_entries < 0 || (states & ~FLUX_JOB_STATE_ALL)) {
        errno = EINVAL;
        return nullptr;
    }
    ListRequest *req = list_request(attrs, userid, max_entries);
    if (!req)
        return nullptr;
    /* The job manager applies max before the user filter: ask for every
     * job when filtering by user, and apply max here. */
    return list_send(flux_rpc_pack(h, "job-manager.list", FLUX_NODEID_ANY, 0, "{s:i s:i}",
                                   "states", states ? states : FLUX_JOB_STATE_ACTIVE, "max",
                                   userid == FLUX_USERID_UNKNOWN ? max_entries : 0),
                     req);
}

int flux_job_list_get(flux_future_t *f, json_t **jobs)
{
    auto *req = static_cast<ListRequest *>(flux_future_aux_get(f, "flux::job_list"));
    if (!req) {
        errno = EINVAL;
        return -1;
    }
    if (!req->result) {
        json_t *all;
        if (flux_rpc_get_unpack(f, "{s:o}", "jobs", &all) < 0)
            return -1;
        if (!json_is_array(all)) {
            errno = EPROTO;
            return -1;
        }
        flux::JsonPtr out(json_array());
        size_t i;
        json_t *job;
        json_array_foreach(all, i, job)
        {
            if (req->max > 0 && (int)json_array_size(out.get()) >= req->max)
                break;
            if (req->userid != FLUX_USERID_UNKNOWN) {
                json_int_t uid = -1;
                if (json_unpack(job, "{s:I}", "userid", &uid) < 0 || uid != (json_int_t)req->userid)
                    continue;
            }
            if (!req->attrs) {
                json_array_append(out.get(), job);
                continue;
            }
            json_t *sel = json_object();
            json_object_set(sel, "id", json_object_get(job, "id"));
            size_t k;
            json_t *a;
            json_array_foreach(req->attrs.get(), k, a)
            {
                json_t *v = json_object_get(job, json_string_value(a));
                if (v)
                    json_object_set(sel, json_string_value(a), v);
            }
            json_array_append_new(out.get(), sel);
        }
        req->result = std::move(out);
    }
    if (jobs)
        *jobs = req->result.get();
    return 0;
}

flux_future_t *flux_job_queue_control(flux_t *h, int start)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    if (start < 0)
        return flux_rpc(h, "job-manager.queue", "{}", FLUX_NODEID_ANY, 0);
    return flux_rpc_pack(h, "job-manager.queue", FLUX_NODEID_ANY, 0, "{s:b}", "start",
                         start != 0);
}

int flux_job_queue_get(flux_future_t *f, bool *running, int64_t *active, int64_t *pending,
                       bool *scheduler)
{
    int run = 0, sched = 1;
    json_int_t act = 0, pend = 0;
    if (flux_rpc_get_unpack(f, "{s:b s:I s:I s?b}", "running", &run, "active", &act, "pending",
                            &pend, "scheduler", &sched)
        < 0)
        return -1;
    if (running)
        *running = run != 0;
    if (active)
        *active = act;
    if (pending)
        *pending = pend;
    if (scheduler)
        *scheduler = sched != 0;
    return 0;
}

flux_future_t *flux_job_queue_request(flux_t *h, const char *op, const char *queue, bool all,
                                      const char *reason)
{
    std::string o = op ? op : "status";
    if (!h || (o != "status" && o != "enable" && o != "disable" && o != "start" && o != "stop")
        || (queue && !*queue)) {
        errno = EINVAL;
        return nullptr;
    }
    json_t *req = json_object();
    if (queue)
        json_object_set_new(req, "queue", json_string(queue));
    if (all)
        json_object_set_new(req, "all", json_true());
    if (o == "enable" || o == "disable")
        json_object_set_new(req, "enable", json_boolean(o == "enable"));
    if (o == "start" || o == "stop")
        json_object_set_new(req, "start", json_boolean(o == "start"));
    if (reason && *reason)
        json_object_set_new(req, "reason", json_string(reason));
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text) {
        errno = ENOMEM;
        return nullptr;
    }
    flux_future_t *f = flux_rpc(h, "job-manager.queue", text, FLUX_NODEID_ANY, 0);
    free(text);
    return f;
}

int flux_job_queue_list_get(flux_future_t *f, json_t **queues)
{
    json_t *a = nullptr;
    if (flux_rpc_get_unpack(f, "{s:o}", "queues", &a) < 0)
        return -1;
    if (queues)
        *queues = a;
    return 0;
}

flux_future_t *flux_job_housekeeping_list(flux_t *h)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc(h, "job-manager.housekeeping-list", "{}", FLUX_NODEID_ANY, 0);
}

int flux_job_housekeeping_list_get(flux_future_t *f, json_t **jobs)
{
    json_t *a = nullptr;
    if (flux_rpc_get_unpack(f, "{s:o}", "jobs", &a) < 0)
        return -1;
    if (jobs)
        *jobs = a;
    return 0;
}

flux_future_t *flux_job_queue_drain(flux_t *h)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc(h, "job-manager.drain", "{}", FLUX_NODEID_ANY, 0);
}

flux_future_t *flux_job_queue_idle(flux_t *h)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc(h, "job-manager.idle", "{}", FLUX_NODEID_ANY, 0);
}

flux_future_t *flux_job_lookup(flux_t *h, flux_jobid_t id, const char *key)
{
    if (!h || !valid_id(id) || !valid_key(key)) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_kvs_lookup(h, nullptr, 0, job_key(id, key).c_str());
}

int flux_job_lookup_get(flux_future_t *f, const char **value)
{
    return flux_kvs_lookup_get(f, value);
}

int flux_job_lookup_get_unpack(flux_future_t *f, const char *fmt, ...)
{
    const char *text;
    if (!fmt) {
        errno = EINVAL;
        return -1;
    }
    if (flux_kvs_lookup_get(f, &text) < 0)
        return -1;
    /* The value lives as long as the future: unpacked strings point in it. */
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v || flux_future_aux_set(f, "flux::job_lookup_value", v,
                                  [](void *p) { json_decref(static_cast<json_t *>(p)); })
                  < 0) {
        json_decref(v);
        errno = EPROTO;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(v, &jerr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int flux_job_id_parse(const char *s, flux_jobid_t *id)
{
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    auto r = flux::fluid_parse(s);
    if (!r) {
        errno = EINVAL;
        return -1;
    }
    if (id)
        *id = *r;
    return 0;
}

int flux_job_id_encode(flux_jobid_t id, const char *type, char *buf, size_t bufsz)
{
    if (!buf) {
        errno = EINVAL;
        return -1;
    }
    std::string s;
    std::string t = type ? type : "dec";
    if (t == "dec")
        s = flux::fluid_encode(id, flux::FluidFormat::dec);
    else if (t == "hex")
        s = flux::fluid_encode(id, flux::FluidFormat::hex);
    else if (t == "dothex")
        s = flux::fluid_encode(id, flux::FluidFormat::dothex);
    else if (t == "kvs")
        s = job_key(id, nullptr);
    else if (t == "f58")
        s = flux::fluid_encode(id, flux::FluidFormat::f58);
    else if (t == "f58plain")
        s = flux::fluid_encode(id, flux::FluidFormat::f58plain);
    else if (t == "words")
        s = flux::fluid_encode(id, flux::FluidFormat::words);
    else {
        errno = EPROTO;
        return -1;
    }
    if (s.size() + 1 > bufsz) {
        errno = EOVERFLOW;
        return -1;
    }
    memcpy(buf, s.c_str(), s.size() + 1);
    return 0;
}

int flux_job_kvs_key(char *buf, int bufsz, flux_jobid_t id, const char *key)
{
    if (!buf || bufsz <= 0 || (key && !valid_key(key))) {
        errno = EINVAL;
        return -1;
    }
    std::string k = job_key(id, key);
    if (k.size() + 1 > (size_t)bufsz) {
        errno = EOVERFLOW;
        return -1;
    }
    memcpy(buf, k.c_str(), k.size() + 1);
    return (int)k.size();
}

} // extern "C"
