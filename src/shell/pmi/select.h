/* select.h - which PMI servers a job's shell offers (-o pmi=LIST).
 *
 * LIST is a comma list of "simple" (PMI-1 on PMI_FD; aliases pmi1, pmi)
 * and "pmix" (the OpenPMIx server plugin), or "off"/"none".  Unset: both
 * are offered to a job of two or more tasks, simple only to a one-task job
 * (pmix only where the shell was built with OpenPMIx).
 * Errors name the bad entry.
 */
#ifndef FLUX_SHELL_PMI_SELECT_H
#define FLUX_SHELL_PMI_SELECT_H

#include "flux/shell.h"
#include "result/result.h"

namespace flux::shell::pmi {

struct Selection {
    bool simple = false;
    bool pmix = false;
    bool pmix_explicit = false; /* named in -o pmi, not by default */
};

Result<Selection> select(flux_shell_t *shell);

} // namespace flux::shell::pmi

#endif // FLUX_SHELL_PMI_SELECT_H
