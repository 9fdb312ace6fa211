/* progress.cpp - the --progress display of flux submit and flux bulksubmit
 * (see progress.h).  While submitting:
 *   Submitting 1000 jobs [##########..........]  50%  500/1000  0:00:01
 * while waiting (--wait), pending, running and complete jobs:
 *   PD:3 R:2 CD:995 [###################.]  99%  0:00:12
 * With --jps the rate of the phase follows, e.g. "812.5 job/s". */
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "progress.h"

namespace fluxcmd {

namespace {

double monotonic_now()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

size_t terminal_columns()
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

std::string elapsed_str(double secs)
{
    long s = (long)secs;
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
}

/* Redraw at most this often, but always on the last job. */
constexpr double redraw_interval = 0.1;

} // namespace

Progress::Progress(bool enabled, size_t total, bool jps)
    : active_(enabled && isatty(STDERR_FILENO)), jps_(jps), total_(total)
{
    t_start_ = monotonic_now();
    if (active_)
        draw(true);
}

Progress::~Progress()
{
    finish();
}

void Progress::submitted(size_t n)
{
    if (!active_)
        return;
    done_ = n;
    dirty_ = true;
    draw(n == total_);
}

void Progress::states(size_t pending, size_t running, size_t complete)
{
    if (!active_)
        return;
    if (!waiting_) {
        /* Keep the finished submission line; waiting gets its own. */
        if (drawn_)
            fputc('\n', stderr);
        drawn_ = false;
        waiting_ = true;
        t_start_ = monotonic_now();
    }
    dirty_ = dirty_ || pending != pending_ || running != running_ || complete != done_;
    pending_ = pending;
    running_ = running;
    done_ = complete;
    draw(complete == total_);
}

void Progress::clear()
{
    if (drawn_) {
        fputs("\r\033[K", stderr);
        drawn_ = false;
    }
}

void Progress::print_above(FILE *fp, const std::string &line)
{
    /* Only a line to the same terminal would run into the display. */
    if (!active_ || !isatty(fileno(fp))) {
        fputs(line.c_str(), fp);
        return;
    }
    clear();
    fflush(stderr);
    fputs(line.c_str(), fp);
    fflush(fp);
    draw(true);
}

void Progress::draw(bool force)
{
    double now = monotonic_now();
    if (!force && drawn_ && now - t_drawn_ < redraw_interval)
        return;
    dirty_ = false;
    t_drawn_ = now;
    char head[128], tail[128];
    if (waiting_)
        snprintf(head, sizeof(head), "PD:%zu R:%zu CD:%zu ", pending_, running_, done_);
    else
        snprintf(head, sizeof(head), "Submitting %zu job%s ", total_, total_ == 1 ? "" : "s");
    double pct = total_ ? 100.0 * done_ / total_ : 100.0;
    int n = snprintf(tail, sizeof(tail), " %3.0f%%  ", pct);
    if (!waiting_)
        n += snprintf(tail + n, sizeof(tail) - n, "%zu/%zu  ", done_, total_);
    n += snprintf(tail + n, sizeof(tail) - n, "%s", elapsed_str(now - t_start_).c_str());
    if (jps_) {
        double secs = now - t_start_;
        snprintf(tail + n, sizeof(tail) - n, "  %.1f job/s", secs > 0 ? done_ / secs : 0.0);
    }
    /* The bar takes what is left of the line, between 10 and 50 columns. */
    size_t cols = terminal_columns();
    size_t used = strlen(head) + strlen(tail) + 3;
    size_t width = cols > used + 10 ? std::min<size_t>(cols - used, 50) : 10;
    size_t filled = total_ ? width * done_ / total_ : width;
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    fprintf(stderr, "\r\033[K%s%s%s", head, bar.c_str(), tail);
    fflush(stderr);
    drawn_ = true;
}

void Progress::finish()
{
    if (!active_)
        return;
    if (dirty_ || !drawn_)
        draw(true);
    fputc('\n', stderr);
    fflush(stderr);
    active_ = false;
}

} // namespace fluxcmd
