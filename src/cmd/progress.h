/* progress.h - the one-line progress display of flux submit --progress and
 * flux bulksubmit --progress, redrawn in place on stderr.  It draws only
 * when stderr is a terminal; otherwise every call does nothing. */
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace fluxcmd {

class Progress {
  public:
    /* ENABLED: --progress was given.  TOTAL: the number of jobs.  JPS: show
     * the rate in jobs per second (--jps). */
    Progress(bool enabled, size_t total, bool jps);
    ~Progress();
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;

    /* True if the display is drawn (enabled and stderr is a terminal). */
    bool active() const { return active_; }
    /* N of the jobs have been submitted (their ids received). */
    void submitted(size_t n);
    /* The jobs' states while waiting: pending, running, complete. */
    void states(size_t pending, size_t running, size_t complete);
    /* Print LINE (with its newline) to FP, above the display if FP is a
     * terminal. */
    void print_above(FILE *fp, const std::string &line);
    /* Draw the last state and end the line; later calls do nothing. */
    void finish();

  private:
    void draw(bool force);
    void clear();

    bool active_ = false;
    bool jps_ = false;
    bool waiting_ = false;
    bool drawn_ = false;
    bool dirty_ = false; /* changed since last drawn */
    size_t total_ = 0;
    size_t done_ = 0, pending_ = 0, running_ = 0;
    double t_start_ = 0, t_drawn_ = 0;
};

} // namespace fluxcmd
