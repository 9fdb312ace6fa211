/* jobs_format.h - flux jobs --format: Flux's "{field:spec}" format strings
 * over the job records flux_job_list() returns. */
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <jansson.h>

#include "result/result.h"

namespace fluxcmd {

class JobsFormat {
  public:
    /* Parse FMT, e.g. "{id.f58:>12} {username:<8} {state_single}".  Fields:
     * id, id.f58, id.f58plain, id.dec, id.hex, id.dothex, id.kvs, id.words,
     * userid, username, name,
     * state, state_single, ntasks, nnodes, urgency, priority, t_submit, t_run,
     * t_cleanup, t_inactive, runtime, result, status, returncode,
     * exception.type, exception.note, ranks, queue, cwd, project, bank, uri,
     * instance.* (from the job entry's "instance" summary),
     * sched.t_estimate, sched.reason_pending
     * (also as annotations.sched.*).  Spec: [<>^][width][.precision]. */
    static flux::Result<JobsFormat> parse(const std::string &fmt);
    std::string header() const;
    /* Whether a field of the format starts with PREFIX ("uri"). */
    bool uses(const std::string &prefix) const;
    std::string render(json_t *job, double now) const;
    /* The header (if HEADER) and one line per job of JOBS, trailing blanks
     * trimmed; "?:" columns empty in every row are left out. */
    std::vector<std::string> render_table(json_t *jobs, double now, bool header) const;
    /* Print the named formats and every field to FP (--format=help). */
    static void help(FILE *fp);

    struct Piece {
        std::string literal; /* text before the field */
        std::string field;   /* empty: literal only */
        char align = '<';
        int width = 0;
        int precision = -1;
        char conv = 0;        /* !D !d !F !H !P, 0: none */
        std::string strftime; /* !d's format */
        bool plus = false;    /* mark truncation with '+' */
        bool hyphen = false;  /* 'h': '-' for an empty value */
        bool optional = false; /* "?:": dropped when empty in every row */
    };

  private:
    std::vector<Piece> pieces_;
};

/* The default flux jobs format. */
extern const char *jobs_default_format;

/* flux jobs --format=NAME: a named format stands for its format string. */
struct JobsNamedFormat {
    const char *name;
    const char *description;
    const char *format;
};
extern const std::vector<JobsNamedFormat> jobs_named_formats;

} // namespace fluxcmd
