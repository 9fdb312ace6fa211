/* slurm_state.cpp - Slurm job states from Flux job states (slurm_state.h). */
#include "slurm_state.h"

#include <strings.h>
#include <sys/wait.h>

#include <cstring>

namespace slurm {

namespace {

constexpr State states[] = {
    {"PD", "PENDING"},   {"R", "RUNNING"},    {"CG", "COMPLETING"}, {"CD", "COMPLETED"},
    {"F", "FAILED"},     {"CA", "CANCELLED"}, {"TO", "TIMEOUT"},    {"NF", "NODE_FAIL"},
    {"S", "SUSPENDED"},  {"OOM", "OUT_OF_MEMORY"},
};

State by_code(const char *code)
{
    for (const auto &s : states)
        if (!strcmp(s.code, code))
            return s;
    return states[0];
}

} // namespace

State job_state(json_t *job)
{
    const char *st = "";
    int success = 0, waitstatus = 0;
    json_t *exc = nullptr;
    json_unpack(job, "{s?s s?b s?i s?o}", "state", &st, "success", &success, "waitstatus",
                &waitstatus, "exception", &exc);
    if (!strcmp(st, "RUN"))
        return by_code("R");
    if (!strcmp(st, "CLEANUP"))
        return by_code("CG");
    if (strcmp(st, "INACTIVE") != 0)
        return by_code("PD");
    if (success)
        return by_code("CD");
    const char *type = "";
    int severity = 1;
    if (exc)
        json_unpack(exc, "{s?s s?i}", "type", &type, "severity", &severity);
    if (exc && severity == 0) {
        if (!strcmp(type, "cancel"))
            return by_code("CA");
        if (!strcmp(type, "timeout"))
            return by_code("TO");
        if (strstr(type, "node") || strstr(type, "lost") || !strcmp(type, "dead-instance"))
            return by_code("NF");
    }
    return by_code("F");
}

bool parse_state_name(const std::string &s, std::string &code)
{
    if (!strcasecmp(s.c_str(), "all")) {
        code = "ALL";
        return true;
    }
    for (const auto &st : states) {
        if (!strcasecmp(s.c_str(), st.code) || !strcasecmp(s.c_str(), st.name)) {
            code = st.code;
            return true;
        }
    }
    return false;
}

std::string exit_code_pair(json_t *job)
{
    int waitstatus = 0;
    const char *st = "";
    double t_run = 0;
    json_unpack(job, "{s?s s?i s?F}", "state", &st, "waitstatus", &waitstatus, "t_run", &t_run);
    /* A job that never ran (canceled while pending) has no exit: 0:0. */
    if (strcmp(st, "INACTIVE") != 0 || t_run <= 0)
        return "0:0";
    if (WIFSIGNALED(waitstatus))
        return "0:" + std::to_string(WTERMSIG(waitstatus));
    return std::to_string(WEXITSTATUS(waitstatus)) + ":0";
}

} // namespace slurm
