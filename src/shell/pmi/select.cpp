/* select.cpp - parse -o pmi=LIST (see select.h). */
#include "select.h"

#include <string>

namespace flux::shell::pmi {

Result<Selection> select(flux_shell_t *shell)
{
    Selection sel;
    json_t *opt = flux_shell_getopt(shell, "pmi");
    if (!opt) {
        /* Both, for a job of two or more tasks.  A one-task job has no
         * peers to wire up (an MPI singleton needs no server; Open MPI
         * 4.1 and MPICH use simple): it gets simple only, and is spared
         * the PMIx server's start (~15 ms of CPU per shell, most of
         * a `true` job's cost; doc/design/shell-pmix.md). */
        int size = 0;
        (void)json_unpack(flux_shell_get_info(shell), "{s:i}", "size", &size);
        sel.simple = true;
        sel.pmix = size > 1;
        return sel;
    }
    if (!json_is_string(opt))
        return make_error(EINVAL, "-o pmi: expected a comma list of simple, pmix or off");
    std::string list = json_string_value(opt);
    bool off = false;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos)
            end = list.size();
        std::string name = list.substr(start, end - start);
        if (name == "simple" || name == "pmi1" || name == "pmi")
            sel.simple = true;
        else if (name == "pmix")
            sel.pmix = sel.pmix_explicit = true;
        else if (name == "off" || name == "none")
            off = true;
        else
            return make_error(EINVAL, "-o pmi: unknown PMI '" + name
                                          + "' (expected simple, pmix or off)");
        start = end + 1;
    }
    if (off && list != "off" && list != "none")
        return make_error(EINVAL, "-o pmi: 'off' cannot be combined with another PMI");
    if (off)
        sel.simple = sel.pmix = sel.pmix_explicit = false;
    return sel;
}

} // namespace flux::shell::pmi
