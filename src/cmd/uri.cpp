/* uri.cpp - flux uri: resolve TARGET (a URI or pid:PID) to an instance URI,
 * optionally converting between local:// and ssh:// forms. */
#include <cerrno>
#include <cstring>
#include <fstream>
#include <getopt.h>
#include <sstream>
#include <unistd.h>

#include <string>

#include "cmd.h"
#include "libflux/uri.h"

namespace fluxcmd {

namespace {

/* FLUX_URI from a process's environment, or its broker local URI. */
std::string resolve_pid(const std::string &pidstr)
{
    uint32_t pid = parse_u32_or_die("flux-uri", "pid", pidstr.c_str());
    std::string path = "/proc/" + std::to_string(pid) + "/environ";
    std::ifstream in(path, std::ios::binary);
    if (!in)
        die(1, "flux-uri: pid %u: %s", pid, strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string env = ss.str();
    std::string broker_rundir;
    size_t start = 0;
    while (start < env.size()) {
        size_t end = env.find('\0', start);
        std::string var = env.substr(start, end - start);
        if (var.rfind("FLUX_URI=", 0) == 0)
            return var.substr(9);
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    /* A broker itself: its rundir is on its command line or under its test dir. */
    std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::stringstream cs;
    cs << cmd.rdbuf();
    std::string cl = cs.str();
    std::string dir, rank;
    start = 0;
    while (start < cl.size()) {
        size_t end = cl.find('\0', start);
        std::string a = cl.substr(start, end - start);
        if (a.rfind("--test-dir=", 0) == 0)
            dir = a.substr(11);
        else if (a.rfind("--test-rank=", 0) == 0)
            rank = a.substr(12);
        else if (a.rfind("--setattr=rundir=", 0) == 0)
            return "local://" + a.substr(17) + "/local";
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    if (!dir.empty() && !rank.empty())
        return "local://" + dir + "/rank-" + rank + "/local";
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
                       "TARGET: local:///path, ssh://[user@]host[:port]/path, or pid:PID\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc - 1 || (local && remote))
        die(1, "Usage: flux uri [--local|--remote] TARGET");
    std::string target = argv[optind];
    std::string uri = target.rfind("pid:", 0) == 0 ? resolve_pid(target.substr(4)) : target;
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
