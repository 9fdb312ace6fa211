/* flux.cpp - the flux command: runs a built-in subcommand, or execs
 * flux-CMD found on FLUX_EXEC_PATH and then the install libexec directory,
 * so sites can extend the CLI. */
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"

namespace fluxcmd {

void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

flux_t *open_or_die(const char *prog)
{
    flux_error_t error;
    flux_t *h = flux_open_ex(nullptr, 0, &error);
    if (!h) {
        const char *uri = getenv("FLUX_URI");
        die(1, "%s: %s%s", prog, error.text,
            uri ? "" : " (FLUX_URI is not set: run inside an instance, e.g. flux start)");
    }
    return h;
}

uint32_t parse_u32_or_die(const char *prog, const char *what, const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > 0xfffffff0UL || *s == '-')
        die(1, "%s: invalid %s '%s'", prog, what, s);
    return (uint32_t)v;
}

double parse_double_or_die(const char *prog, const char *what, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v < 0)
        die(1, "%s: invalid %s '%s'", prog, what, s);
    return v;
}


} // namespace fluxcmd

using namespace fluxcmd;

namespace {

struct Builtin {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
};

const Builtin builtins[] = {
    {"start", cmd_start, "start an instance (test size N on this host, or one broker)"},
    {"ping", cmd_ping, "round-trip a request to a rank or service"},
    {"getattr", cmd_getattr, "print a broker attribute"},
    {"setattr", cmd_setattr, "set a broker attribute"},
    {"lsattr", cmd_lsattr, "list broker attributes"},
    {"uri", cmd_uri, "resolve an instance URI"},
    {"dmesg", cmd_dmesg, "print the broker log"},
    {"logger", cmd_logger, "append a message to the broker log"},
    {"module", cmd_module, "load, remove and list broker modules"},
    {"overlay", cmd_overlay, "show the state of the overlay tree"},
    {"shutdown", cmd_shutdown, "stop the instance"},
    {"relay", cmd_relay, "relay a unix socket over stdin/stdout (ssh:// URIs)"},
    {"event", cmd_event, "publish and subscribe to events"},
    {"hwloc", cmd_hwloc, "summarize the hardware of the instance"},
    {"kvs", cmd_kvs, "get, put, list and watch keys in the key-value store"},
    {"resource", cmd_resource, "list resources; drain and undrain nodes"},
    {"submit", cmd_submit, "submit a job (from a command line)"},
    {"bulksubmit", cmd_bulksubmit, "submit one job per input (like xargs or GNU parallel)"},
    {"run", cmd_run, "run a job and show its output"},
    {"job", cmd_job, "job utilities: submit, id, raise, urgency, wait, eventlog, wait-event"},
    {"jobs", cmd_jobs, "list jobs"},
    {"cancel", cmd_cancel, "cancel jobs"},
    {"queue", cmd_queue, "list queues; enable, disable, start, stop, drain them"},
    {"housekeeping", cmd_housekeeping, "list the jobs whose housekeeping holds nodes"},
    {"update", cmd_update, "change a pending job (its time limit)"},
    {"jobtap", cmd_jobtap, "load, remove, list and query jobtap plugins"},
    {"sched-query", cmd_sched_query, "drive the sched-graph matcher without an instance"},
    {"broker", cmd_broker, "run one broker (fluxd), booting over PMI under a job"},
    {"alloc", cmd_alloc, "run a command in a new instance on a job's resources"},
    {"batch", cmd_batch, "submit a script to run in a new instance"},
    {"proxy", cmd_proxy, "run a command connected to a job's instance"},
    {"config", cmd_config, "print, check and reload the instance's configuration"},
};

void usage(FILE *f)
{
    fprintf(f, "Usage: flux [-h|--help] [-V|--version] COMMAND [ARGS...]\n\nCommands:\n");
    for (const auto &b : builtins)
        fprintf(f, "  %-10s %s\n", b.name, b.summary);
    fprintf(f,
            "\nOther commands run flux-COMMAND from FLUX_EXEC_PATH or %s.\n"
            "Run 'flux COMMAND --help' for a command's options.\n",
            FLUX_LIBEXECDIR);
}

bool is_executable(const std::string &path)
{
    struct stat sb;
    return stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) && access(path.c_str(), X_OK) == 0;
}

} // namespace

int main(int argc, char *argv[])
{
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        usage(stdout);
        return 0;
    }
    if (cmd == "-V" || cmd == "--version" || cmd == "version") {
        printf("flux %s\n", PACKAGE_VERSION);
        return 0;
    }
    /* A batch job's SIGUSR1/SIGUSR2 (flux job kill -s USR1, --signal)
     * reach its script's whole process group, flux commands included:
     * the jobs those commands watch get it from the instance's broker, so
     * the commands themselves live on (a handler, not SIG_IGN: a program
     * they start gets the default action back at exec). */
    struct sigaction noop = {};
    noop.sa_handler = [](int) {};
    noop.sa_flags = SA_RESTART;
    sigemptyset(&noop.sa_mask);
    sigaction(SIGUSR1, &noop, nullptr);
    sigaction(SIGUSR2, &noop, nullptr);
    for (const auto &b : builtins) {
        if (cmd == b.name)
            return b.fn(argc - 1, argv + 1);
    }
    /* Site extensions: flux-CMD on FLUX_EXEC_PATH, then the install dir. */
    std::string path;
    if (const char *p = getenv("FLUX_EXEC_PATH"))
        path = p;
    path += std::string(path.empty() ? "" : ":") + FLUX_LIBEXECDIR;
    size_t start = 0;
    while (start <= path.size()) {
        size_t colon = path.find(':', start);
        std::string dir =
            path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        std::string exe = dir + "/flux-" + cmd;
        if (!dir.empty() && is_executable(exe)) {
            argv[1] = exe.data();
            execv(exe.c_str(), argv + 1);
            die(1, "flux: exec %s: %s", exe.c_str(), strerror(errno));
        }
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    fprintf(stderr, "flux: '%s' is not a flux command. See 'flux --help'.\n", cmd.c_str());
    return 1;
}
