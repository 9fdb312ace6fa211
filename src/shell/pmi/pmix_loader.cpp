/* pmix_loader.cpp - built-in shell plugin "pmix-loader": loads the PMIx
 * server plugin (pmix.so, src/shell/pmi/pmix.cpp) when -o pmi offers
 * pmix.
 *
 * The PMIx server lives in its own plugin, not in flux-shell: libpmix
 * and what it pulls in (hwloc, munge, libevent_pthreads) would otherwise
 * be mapped at the start of every job's shell, MPI or not
 * (doc/design/shell-startup.md).  It is loaded through the plugin stack
 * like any site plugin, from this built-in's init(), so its handlers run
 * after the built-ins and before site plugins.  A shell built without
 * OpenPMIx (no pkg-config pmix at configure) offers simple only; asking
 * for pmix by name there fails the job saying so.
 */
#include "config.h"

#include <sys/stat.h>
#include <syslog.h>

#include <string>

#include "select.h"
#include "selfexe/selfexe.h"
#include "shell/internal.h"

#ifndef FLUX_PMI_LIBRARY_DIR
#define FLUX_PMI_LIBRARY_DIR "/usr/local/lib/flux"
#endif

namespace {

#ifdef HAVE_PMIX
std::string plugin_path()
{
    /* Run from the build tree: the plugin beside the shell. */
    std::string built = flux::self_dir() + "/pmi/.libs/pmix.so";
    struct stat st;
    if (stat(built.c_str(), &st) == 0)
        return built;
    return FLUX_PMI_LIBRARY_DIR "/pmix.so";
}
#endif

int init(flux_shell_t *shell)
{
    auto sel = flux::shell::pmi::select(shell);
    if (!sel)
        return 0; /* pmi-simple's shell.init reports the bad option */
    if (!sel->pmix)
        return 0;
#ifndef HAVE_PMIX
    if (sel->pmix_explicit) {
        flux_shell_log(shell, LOG_ERR,
                       "-o pmi=pmix: this flux-shell was built without OpenPMIx (libpmix-dev)");
        return -1;
    }
    return 0;
#else
    if (auto r = shell->stack.load(shell, plugin_path()); !r) {
        flux_shell_log(shell, LOG_ERR, "%s", r.error().text.c_str());
        return -1;
    }
    return 0;
#endif
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "pmix-loader", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::pmix_loader()
{
    return &info;
}
