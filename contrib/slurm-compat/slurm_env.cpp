/* slurm_env.cpp - a shim job's environment (slurm_env.h). */
#include "slurm_env.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

extern char **environ;

namespace slurm {

std::string cluster_name()
{
    const char *c = getenv("SLURM_COMPAT_CLUSTER");
    return c && *c ? c : "fluxd";
}

bool inside_allocation()
{
    const char *j = getenv("SLURM_JOB_ID");
    return j && *j && getenv("FLUX_URI");
}

Env job_environment(const Options &o)
{
    Env env;
    bool all = true;
    std::vector<std::string> vars;
    parse_export(o.export_spec, all, vars);
    if (all) {
        for (char **e = environ; *e; e++) {
            const char *eq = strchr(*e, '=');
            if (eq)
                env[std::string(*e, eq - *e)] = eq + 1;
        }
    }
    else {
        /* NONE: a clean environment, but a usable one (Slurm's
         * --export=NONE still gets the user's login basics). */
        for (const char *keep : {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "FLUX_URI", "TMPDIR"})
            if (const char *v = getenv(keep))
                env[keep] = v;
    }
    for (const auto &v : vars) {
        size_t eq = v.find('=');
        if (eq == std::string::npos) {
            if (const char *val = getenv(v.c_str()))
                env[v] = val;
        }
        else
            env[v.substr(0, eq)] = v.substr(eq + 1);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)))
        env["SLURM_SUBMIT_DIR"] = cwd;
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) == 0)
        env["SLURM_SUBMIT_HOST"] = host;
    env["SLURM_CLUSTER_NAME"] = cluster_name();
    return env;
}

std::string env_plugin_path()
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        std::string dir(self);
        dir = dir.substr(0, dir.rfind('/'));
        /* In the build tree programs run from .libs/ (libtool), the plugin
         * is built there too. */
        for (const std::string &cand : {dir + "/slurm_env.so", dir + "/.libs/slurm_env.so"}) {
            struct stat st;
            if (stat(cand.c_str(), &st) == 0)
                return cand;
        }
    }
    return SLURM_ENV_PLUGIN;
}

} // namespace slurm
