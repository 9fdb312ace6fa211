/* attach.cpp - follow a job to its end: its main eventlog (exceptions, the
 * exit status, "clean") and its output, through flux_job_event_watch(),
 * whose streams end by themselves once the job is inactive and all of the
 * log has been delivered.  Used by flux job attach, flux run and flux submit
 * --wait/--watch.  flux run and flux job attach also forward their stdin
 * to the job (flux_job_input_create(): RFC 24 guest.input) until its end
 * or the job's. */
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <csignal>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <map>
#include <string>

#include <event2/event.h>

#include "cmd.h"
#include "eventlog/eventlog.h"
#include "ioencode/ioencode.h"
#include "flux/job.h"
#include "jobspec_opts.h"

namespace fluxcmd {

namespace {

/* Printing the job's output: one "data" entry of its output eventlog at a
 * time.  Kept apart from the following of the job so that the output
 * encoding can change here alone. */
struct OutputPrinter {
    bool label = false; /* --label-io: "RANK: " before each line */
    /* Lines without their newline yet, per (stream, rank), with --label-io. */
    std::map<std::pair<std::string, std::string>, std::string> unfinished;

    /* Write DATA of task RANK to FP, each line after "RANK: ". */
    void write_labeled(FILE *fp, const char *rank, std::string &partial, const char *data,
                       size_t len)
    {
        partial.append(data, len);
        size_t start = 0, nl;
        while ((nl = partial.find('\n', start)) != std::string::npos) {
            fprintf(fp, "%s: ", rank);
            fwrite(partial.data() + start, 1, nl + 1 - start, fp);
            start = nl + 1;
        }
        partial.erase(0, start);
    }

    void print(const flux::EventlogEntry &e)
    {
        if (e.name == "log" && e.context) {
            const char *comp = "shell", *msg = "";
            int rank = 0;
            if (json_unpack(e.context, "{s?s s?i s:s}", "component", &comp, "rank", &rank,
                            "message", &msg)
                == 0)
                fprintf(stderr, "flux-shell[%d]: %s: %s\n", rank, comp, msg);
            return;
        }
        if (e.name != "data" || !e.context)
            return;
        /* Bytes, base64 when not text (RFC 24 "encoding"); an end-of-stream
         * entry ("eof": true) may carry none. */
        auto d = flux::iodecode(e.context);
        if (!d) {
            fprintf(stderr, "flux-job: %s\n", d.error().text.c_str());
            return;
        }
        if (d->data.empty())
            return;
        FILE *fp = d->stream == "stderr" ? stderr : stdout;
        if (label)
            write_labeled(fp, d->rank.c_str(), unfinished[{d->stream, d->rank}], d->data.data(),
                          d->data.size());
        else
            fwrite(d->data.data(), 1, d->data.size(), fp);
        fflush(fp);
    }

    /* The last lines without a newline, once the job is done. */
    void finish()
    {
        for (auto &[key, rest] : unfinished) {
            if (!rest.empty())
                fprintf(key.first == "stderr" ? stderr : stdout, "%s: %s\n", key.second.c_str(),
                        rest.c_str());
        }
    }
};

/* State of an attached job: eventlog and output are followed together. */
struct Attach {
    flux_t *h = nullptr;
    uint64_t id = 0;
    flux_future_t *events = nullptr;
    flux_future_t *output = nullptr;
    OutputPrinter printer;
    int status = -1;
    bool fatal = false;
    std::string exc_type, exc_note;
    std::string error; /* the job could not be followed */
    bool done = false; /* "clean" was seen */
    bool events_ended = false, output_ended = false, output_cancelled = false;
    const char *stdin_ranks = nullptr; /* forward stdin to these tasks */
    flux_job_input_t *input = nullptr;
    bool raw = false; /* the job has a pty and stdin is a terminal: relay raw */
    struct event *winch = nullptr; /* SIGWINCH: pass the new size on */
};

/* The local terminal in raw mode while it is relayed to a job's pty (the
 * job's terminal echoes, edits and turns ^C into SIGINT, as in Flux);
 * put back on every way out. */
struct termios saved_tio;
volatile sig_atomic_t tio_saved = 0;

void restore_tty()
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
        tio_saved = 0;
    }
}

void restore_tty_signal(int sig)
{
    restore_tty();
    signal(sig, SIG_DFL);
    raise(sig);
}

void raw_tty()
{
    if (tio_saved || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return;
    struct termios t = saved_tio;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
        return;
    tio_saved = 1;
    static bool registered = false;
    if (!registered) {
        atexit(restore_tty);
        for (int sig : {SIGTERM, SIGHUP, SIGQUIT})
            signal(sig, restore_tty_signal);
        registered = true;
    }
}

void winch_cb(evutil_socket_t, short, void *arg)
{
    auto *a = static_cast<Attach *>(arg);
    struct winsize ws;
    if (a->input && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        (void)flux_job_input_resize(a->input, ws.ws_row, ws.ws_col);
}

/* Whether job ID was submitted with -o pty (its jobspec's shell option). */
bool job_has_pty(flux_t *h, uint64_t id)
{
    flux_future_t *f = flux_job_lookup(h, id, "jobspec");
    json_t *js = nullptr;
    bool pty = false;
    if (f && flux_job_lookup_get_unpack(f, "o", &js) == 0) {
        json_t *opts = json_object_get(
            json_object_get(json_object_get(json_object_get(js, "attributes"), "system"), "shell"),
            "options");
        json_t *p = json_object_get(opts, "pty");
        pty = p && !json_is_false(p) && !(json_is_integer(p) && json_integer_value(p) == 0);
    }
    flux_future_destroy(f);
    return pty;
}

/* Stop once both streams have ended. */
void attach_check_done(Attach *a)
{
    if (a->events_ended && (!a->output || a->output_ended))
        flux_reactor_stop(flux_get_reactor(a->h));
}

void attach_output_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Attach *>(arg);
    const char *line;
    if (flux_job_event_watch_get(f, &line) < 0) {
        /* Ended (the job is inactive: all of its output was shown) or
         * cancelled (the job could not be followed). */
        a->output_ended = true;
        attach_check_done(a);
        return;
    }
    if (auto e = flux::eventlog_entry_decode(line))
        a->printer.print(*e);
    flux_future_reset(f);
}

void input_cb(flux_job_input_t *in, void *)
{
    const char *err = nullptr;
    if (flux_job_input_status(in, &err) < 0)
        fprintf(stderr, "flux-job: stdin: %s\n", err);
}

void attach_event(Attach *a, const flux::EventlogEntry &e)
{
    /* stdin is read while the job runs: not before (a pending job keeps
     * it unread), not after (attaching to a finished job takes none). */
    if (e.name == "start" && a->stdin_ranks && !a->input) {
        a->input = flux_job_input_create(a->h, a->id, STDIN_FILENO, a->stdin_ranks, input_cb,
                                         nullptr);
        if (!a->input)
            fprintf(stderr, "flux-job: stdin: %s\n", strerror(errno));
        else if (a->raw) {
            raw_tty();
            struct event_base *base = flux_reactor_get_event_base(flux_get_reactor(a->h));
            a->winch = base ? evsignal_new(base, SIGWINCH, winch_cb, a) : nullptr;
            if (a->winch)
                evsignal_add(a->winch, nullptr);
        }
    }
    else if (e.name == "finish" && a->input) {
        flux_job_input_destroy(a->input);
        a->input = nullptr;
        restore_tty();
    }
    if (e.name == "exception" && e.context) {
        int sev = 1;
        const char *type = "", *note = "";
        json_unpack(e.context, "{s?i s?s s?s}", "severity", &sev, "type", &type, "note", &note);
        if (sev == 0 && !a->fatal) {
            a->fatal = true;
            a->exc_type = type;
            a->exc_note = note;
        }
    }
    else if (e.name == "finish" && e.context)
        json_unpack(e.context, "{s:i}", "status", &a->status);
    else if (e.name == "clean")
        a->done = true;
}

void attach_events_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Attach *>(arg);
    const char *line;
    if (flux_job_event_watch_get(f, &line) < 0) {
        a->events_ended = true;
        /* After "clean" the stream ends with ENODATA; before, the job could
         * not be followed. */
        if (!a->done || errno != ENODATA) {
            a->error = flux_future_error_string(f);
            a->done = true;
            if (a->output && !a->output_ended && !a->output_cancelled) {
                a->output_cancelled = true;
                flux_job_event_watch_cancel(a->output);
            }
        }
        attach_check_done(a);
        return;
    }
    if (auto e = flux::eventlog_entry_decode(line))
        attach_event(a, *e);
    flux_future_reset(f);
}

} // namespace

bool stdin_forwardable()
{
    int fl = fcntl(STDIN_FILENO, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
        return false;
    struct stat st, null;
    if (fstat(STDIN_FILENO, &st) < 0)
        return false;
    if (S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev)
        return false;
    return true;
}

int job_attach(flux_t *h, uint64_t id, bool quiet, bool label, const char *stdin_ranks)
{
    Attach a;
    if (stdin_ranks && stdin_forwardable())
        a.stdin_ranks = stdin_ranks;
    /* Looked up only for a terminal: flux run < file pays nothing. */
    if (a.stdin_ranks && isatty(STDIN_FILENO) && job_has_pty(h, id))
        a.raw = true;
    a.printer.label = label;
    a.h = h;
    a.id = id;
    if (!quiet) {
        a.output = flux_job_event_watch(h, id, "guest.output", FLUX_JOB_EVENT_WATCH_WAITCREATE);
        if (!a.output || flux_future_then(a.output, -1, attach_output_cb, &a) < 0)
            die(1, "flux-job: attach: %s", strerror(errno));
    }
    a.events = flux_job_event_watch(h, id, "eventlog", 0);
    if (!a.events || flux_future_then(a.events, -1, attach_events_cb, &a) < 0)
        die(1, "flux-job: attach: %s", strerror(errno));
    flux_reactor_run(flux_get_reactor(h), 0);
    if (a.winch)
        event_free(a.winch);
    flux_job_input_destroy(a.input);
    restore_tty();
    a.printer.finish();
    flux_future_destroy(a.output);
    flux_future_destroy(a.events);
    if (!a.error.empty()) {
        fprintf(stderr, "flux-job: attach: %s: %s\n", jobid_str(id).c_str(), a.error.c_str());
        return 1;
    }
    if (a.fatal)
        fprintf(stderr, "flux-job: %s: %s%s%s\n", jobid_str(id).c_str(), a.exc_type.c_str(),
                a.exc_note.empty() ? "" : ": ", a.exc_note.c_str());
    if (a.status >= 0)
        return WIFSIGNALED(a.status) ? 128 + WTERMSIG(a.status) : WEXITSTATUS(a.status);
    return a.fatal ? 1 : 0;
}

} // namespace fluxcmd
