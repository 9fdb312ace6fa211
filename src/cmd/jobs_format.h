/* jobs_format.h - flux jobs --format: Flux's "{field:spec}" format strings
 * over the job records flux_job_list() returns. */
#pragma once

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
     * exception.type, exception.note, ranks, queue.  Spec: [<>^][width][.precision]. */
    static flux::Result<JobsFormat> parse(const std::string &fmt);
    std::string header() const;
    std::string render(json_t *job, double now) const;

  private:
    struct Piece {
        std::string literal; /* text before the field */
        std::string field;   /* empty: literal only */
        char align = '<';
        int width = 0;
        int precision = -1;
    };
    std::vector<Piece> pieces_;
};

/* The default flux jobs format. */
extern const char *jobs_default_format;

} // namespace fluxcmd
