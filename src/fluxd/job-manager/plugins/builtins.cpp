/* job-manager/plugins/builtins.cpp - the table of built-in jobtap plugins. */
#include "builtins.h"

namespace fluxd {

namespace {

struct Builtin {
    const char *name;
    flux_plugin_init_f init;
};

const Builtin builtins[] = {
    {".dependency", dependency_plugin_init},
    {".priority", priority_plugin_init},
    {".limit-job-size", limit_job_size_plugin_init},
    {".limit-duration", limit_duration_plugin_init},
};

} // namespace

flux_plugin_init_f jobtap_builtin(const std::string &name)
{
    for (const auto &b : builtins) {
        if (name == b.name)
            return b.init;
    }
    return nullptr;
}

std::string jobtap_builtin_names()
{
    std::string s;
    for (const auto &b : builtins)
        s += (s.empty() ? "" : ", ") + std::string(b.name);
    return s;
}

} // namespace fluxd
