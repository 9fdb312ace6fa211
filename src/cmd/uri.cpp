/* uri.cpp - flux uri: resolve TARGET (a URI or pid:PID) to an instance URI,
 * optionally converting between local:// and ssh:// forms. */
#include <cerrno>
#include <cstring>
#include <fstream>
#include <getopt.h>
#include <sstream>
#include <unistd.h>

#include <string>
#include <vector>

#include "cmd.h"
#include "flux/job.h"
#include "libflux/uri.h"

namespace fluxcmd {

namespace {

/* NUL-separated contents of a /proc file, as strings. */
std::vector<std::string> proc_strings(uint32_t pid, const char *what)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + what, std::ios::binary);
    if (!in)
        die(1, "flux-uri: pid %u: %s", pid, strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string all = ss.str();
    std::vector<std::string> v;
    size_t start = 0;
    while (start < all.size()) {
        size_t end = all.find('\0', start);
        v.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return v;
}

/* A broker's own local URI (from its command line), else the FLUX_URI in
 * the process's environment.  A broker is checked first: a nested one
 * inherited its parent instance's FLUX_URI. */
std::string resolve_pid(const std::string &pidstr)
{
    uint32_t pid = parse_u32_or_die("flux-uri", "pid", pidstr.c_str());
    std::string dir, rank;
    for (const auto &a : proc_strings(pid, "cmdline")) {
        if (a.rfind("--test-dir=", 0) == 0)
            dir = a.substr(11);
        else if (a.rfind("--test-rank=", 0) == 0)
            rank = a.substr(12);
        else if (a.rfind("--setattr=rundir=", 0) == 0)
            return "local://" + a.substr(17) + "/local";
    }
    if (!dir.empty() && !rank.empty())
        return "local://" + dir + "/rank-" + rank + "/local";
    for (const auto &var : proc_strings(pid, "environ")) {
        if (var.rfind("FLUX_URI=", 0) == 0)
            return var.substr(9);
    }
    die(1, "flux-uri: pid %u is not in a flux instance (no FLUX_URI)", pid);
}

} // namespace

int cmd_uri(int argc, char **argv)
{
    static const struct option opts[] = {
        {"local", no_argument, nullptr, 'l'},
        {"remote", no_argument, nullptr, 'r'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    bool local = false, remote = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+lrh", opts, nullptr)) != -1) {
        switch (c) {
            case 'l':
                local = true;
                break;
            case 'r':
                remote = true;
                break;
            case 'h':
                printf("Usage: flux uri [--local|--remote] TARGET\n"
                       "TARGET: local:///path, ssh://[user@]host[:port]/path, pid:PID, or a JOBID\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc - 1 || (local && remote))
        die(1, "Usage: flux uri [--local|--remote] TARGET");
    std::string target = argv[optind];
    std::string uri;
    if (target.rfind("pid:", 0) == 0)
        uri = resolve_pid(target.substr(4));
    else if (flux_jobid_t jid; target.rfind("jobid:", 0) == 0
                               || (target.find("://") == std::string::npos
                                   && flux_job_id_parse(target.c_str(), &jid) == 0)) {
        /* A job (jobid:ID or ID): the URI its instance recorded. */
        std::string idstr = target.rfind("jobid:", 0) == 0 ? target.substr(6) : target;
        uint64_t id = parse_jobid_or_die("flux-uri", idstr.c_str());
        std::string why;
        flux_error_t error;
        if (flux_t *h = flux_open_ex(nullptr, 0, &error)) {
            uri = job_instance_uri(h, id, &why);
            flux_close(h);
        }
        else
            why = std::string("job ") + idstr + ": " + error.text;
        if (uri.empty() && target.rfind("jobid:", 0) != 0) {
            /* "foo" is also an F58 job id: say what it is not, both ways. */
            std::string err;
            if (!flux::uri_parse(target, &err))
                die(1, "flux-uri: %s; as a URI: %s", why.c_str(), err.c_str());
        }
        if (uri.empty())
            die(1, "flux-uri: %s", why.c_str());
    }
    else
        uri = target;
    std::string err;
    auto u = flux::uri_parse(uri, &err);
    if (!u)
        die(1, "flux-uri: %s", err.c_str());
    if (remote && u->scheme == "local") {
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        uri = std::string("ssh://") + host + u->path;
    }
    else if (local && u->scheme == "ssh")
        uri = "local://" + u->path;
    printf("%s\n", uri.c_str());
    return 0;
}

} // namespace fluxcmd
