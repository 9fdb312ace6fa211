/* imp_config.h - flux-imp's configuration: the *.toml files of IMP_CONFIG_DIR.
 *
 *   [exec]
 *   allowed-users = ["flux"]          # callers allowed to exec and kill
 *   allowed-shells = ["/usr/libexec/flux/flux-shell"]   # absolute paths
 *   allow-unprivileged-exec = false   # exec without setuid (tests only;
 *                                     # the J's user must be the caller)
 *   munge-socket = "/run/munge/munge.socket.2"  # optional
 *
 * Files are read in name order; the arrays of every file are appended,
 * a scalar set twice is an error.  Unknown tables and keys are errors.
 */
#ifndef FLUX_IMP_CONFIG_H
#define FLUX_IMP_CONFIG_H

#include <string>
#include <string_view>
#include <vector>

namespace imp {

struct ImpConfig {
    std::vector<std::string> allowed_users;
    std::vector<std::string> allowed_shells;
    bool allow_unprivileged_exec = false;
    bool allow_unprivileged_exec_set = false;
    std::string munge_socket;
    int files = 0; /* how many files were read */
};

/* Parse one file's TEXT (NAME for messages) into CFG, merging.  Returns
 * false with ERR "NAME:LINE:COL: what" on the first problem. */
[[nodiscard]] bool imp_config_parse(std::string_view text, const std::string &name,
                                    ImpConfig &cfg, std::string &err);

/* Read the *.toml files of DIR in name order.  With SECURE (setuid), every file and DIR
 * must be owned by root and not writable by group or others.  A missing or
 * empty DIR is an error: the IMP does nothing without configuration. */
[[nodiscard]] bool imp_config_load(const std::string &dir, bool secure, ImpConfig &cfg,
                                   std::string &err);

} // namespace imp

#endif
