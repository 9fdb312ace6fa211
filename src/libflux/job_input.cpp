/* job_input.cpp - a job's standard input (include/flux/job.h,
 * flux_job_input_*): the bytes of a local fd appended to the job's RFC 24
 * guest.input eventlog, where every shell of the job watches them.
 *
 * Entries: a header {version: 1, encoding: {stdin: "UTF-8"}, count:
 * {stdin: 1}, options: {}} with the first commit, then "data" entries
 * {stream: "stdin", rank, data[, encoding: "base64"]} (src/common/ioencode:
 * base64 unless NUL-free UTF-8) and one {stream, rank, eof: true}.
 *
 * Flow control: one commit at a time, and the fd is not watched while it
 * is outstanding, so a producer faster than the instance blocks in its
 * write(2) instead of growing this process or the KVS's backlog.  epoll
 * refuses regular files, which are always readable: those are read from
 * an event made active by hand.
 */
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "flux/job.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "ioencode/ioencode.h"
#include "ptr.h"

struct flux_job_input {
    flux_t *h = nullptr;
    std::string key;
    std::string ranks;
    int fd = -1;
    bool regular = false; /* read without waiting: epoll cannot watch it */
    bool header_sent = false;
    bool eof = false;
    int status = 0;
    std::string error;
    struct event *ev = nullptr;
    flux_future_t *commit = nullptr;
    std::string queued; /* entries waiting for the outstanding commit */
    flux_job_input_f cb = nullptr;
    void *arg = nullptr;
};

namespace {

constexpr size_t chunk_max = 256 * 1024;

double now_s()
{
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

/* One eventlog line (RFC 18), stealing CONTEXT. */
std::string entry_line(const char *name, json_t *context)
{
    flux::JsonPtr e(json_pack("{s:f s:s s:o}", "timestamp", now_s(), "name", name, "context",
                              context));
    if (!e)
        return {};
    char *s = json_dumps(e.get(), JSON_COMPACT);
    if (!s)
        return {};
    std::string line = std::string(s) + "\n";
    free(s);
    return line;
}

void finish(flux_job_input_t *in, int status, const std::string &error)
{
    in->status = status;
    in->error = error;
    if (in->ev)
        event_del(in->ev);
    if (in->cb)
        in->cb(in, in->arg);
}

void resume(flux_job_input_t *in)
{
    if (in->regular)
        event_active(in->ev, EV_READ, 0);
    else if (event_add(in->ev, nullptr) < 0)
        finish(in, -1, "cannot watch the input");
}

void send(flux_job_input_t *in, std::string lines);

void commit_cb(flux_future_t *f, void *arg)
{
    auto *in = static_cast<flux_job_input_t *>(arg);
    in->commit = nullptr;
    if (flux_rpc_get(f, nullptr) < 0) {
        std::string e = flux_future_error_string(f);
        flux_future_destroy(f);
        finish(in, -1, e);
        return;
    }
    flux_future_destroy(f);
    if (!in->queued.empty()) {
        send(in, std::move(in->queued));
        in->queued.clear();
        return;
    }
    if (in->eof)
        finish(in, 1, "");
    else
        resume(in);
}

void send(flux_job_input_t *in, std::string lines)
{
    if (!in->regular)
        event_del(in->ev); /* not read until this commit is done */
    if (!in->header_sent) {
        json_t *hdr = json_pack("{s:i s:{s:s} s:{s:i} s:{}}", "version", 1, "encoding", "stdin",
                                "UTF-8", "count", "stdin", 1, "options");
        lines = entry_line("header", hdr) + lines;
        in->header_sent = true;
    }
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    if (!txn || flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, in->key.c_str(), lines.c_str()) < 0) {
        flux_kvs_txn_destroy(txn);
        finish(in, -1, strerror(errno));
        return;
    }
    flux_future_t *f = flux_kvs_commit(in->h, nullptr, 0, txn);
    flux_kvs_txn_destroy(txn);
    if (!f || flux_future_then(f, -1, commit_cb, in) < 0) {
        flux_future_destroy(f);
        finish(in, -1, strerror(errno));
        return;
    }
    in->commit = f;
}

void read_cb(evutil_socket_t, short, void *arg)
{
    auto *in = static_cast<flux_job_input_t *>(arg);
    if (in->commit || in->status != 0)
        return;
    std::string buf(chunk_max, '\0');
    ssize_t n = read(in->fd, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        if (in->regular)
            resume(in);
        return;
    }
    if (n < 0) {
        finish(in, -1, std::string("reading the input: ") + strerror(errno));
        return;
    }
    if (!in->regular)
        event_del(in->ev); /* until this commit is done */
    if (n == 0) {
        in->eof = true;
        send(in, entry_line("data", flux::ioencode_eof("stdin", in->ranks.c_str())));
        return;
    }
    send(in, entry_line("data", flux::ioencode("stdin", in->ranks.c_str(),
                                               std::string_view(buf.data(), (size_t)n))));
}

bool valid_ranks(const char *r)
{
    if (!r || !*r)
        return false;
    if (strcmp(r, "all") == 0)
        return true;
    for (const char *p = r; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
            return false;
    return true;
}

} // namespace

flux_job_input_t *flux_job_input_create(flux_t *h, flux_jobid_t id, int fd, const char *ranks,
                                        flux_job_input_f cb, void *arg)
{
    struct stat st;
    if (!h || id == FLUX_JOBID_ANY || fd < 0 || !valid_ranks(ranks) || fstat(fd, &st) < 0) {
        errno = EINVAL;
        return nullptr;
    }
    struct event_base *base = flux_reactor_get_event_base(flux_get_reactor(h));
    if (!base) {
        errno = EINVAL;
        return nullptr;
    }
    auto *in = new flux_job_input;
    in->h = h;
    in->key = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex) + ".guest.input";
    in->ranks = ranks;
    in->fd = fd;
    in->regular = S_ISREG(st.st_mode);
    in->cb = cb;
    in->arg = arg;
    in->ev = in->regular ? event_new(base, -1, 0, read_cb, in)
                         : event_new(base, fd, EV_READ | EV_PERSIST, read_cb, in);
    if (!in->ev) {
        delete in;
        errno = ENOMEM;
        return nullptr;
    }
    if (in->regular)
        event_active(in->ev, EV_READ, 0);
    else if (event_add(in->ev, nullptr) < 0) {
        event_free(in->ev);
        delete in;
        errno = EINVAL;
        return nullptr;
    }
    return in;
}

int flux_job_input_resize(flux_job_input_t *in, int rows, int cols)
{
    if (!in || rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535 || in->status != 0) {
        errno = EINVAL;
        return -1;
    }
    std::string line = entry_line("resize", json_pack("{s:s s:i s:i}", "rank", in->ranks.c_str(),
                                                      "rows", rows, "cols", cols));
    if (in->commit)
        in->queued += line;
    else
        send(in, line);
    return 0;
}

int flux_job_input_status(flux_job_input_t *in, const char **errstr)
{
    if (!in) {
        errno = EINVAL;
        return -1;
    }
    if (errstr)
        *errstr = in->error.c_str();
    return in->status;
}

void flux_job_input_destroy(flux_job_input_t *in)
{
    if (!in)
        return;
    int saved = errno;
    if (in->ev)
        event_free(in->ev);
    flux_future_destroy(in->commit);
    delete in;
    errno = saved;
}
