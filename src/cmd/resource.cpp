/* resource.cpp - flux resource list|status|info|drain|undrain. */
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <getopt.h>

#include <map>
#include <string>
#include <vector>

#include "cmd.h"
#include "hostlist/hostlist.h"
#include "idset/idset.h"
#include "rv1/rv1.h"

namespace fluxcmd {

namespace {

using flux::IdSet;

const char *usage_text = "Usage: flux resource list [-s STATES] [-n] [-o FORMAT]\n"
                         "       flux resource status [-s STATES]\n"
                         "       flux resource info\n"
                         "       flux resource drain [-f] [TARGETS [REASON...]]\n"
                         "       flux resource undrain TARGETS";

struct Drain {
    double timestamp;
    std::string reason;
};

struct State {
    flux::Rv1 R;
    IdSet all, online, up, excluded, drained;
    std::map<uint32_t, Drain> drains;
};

State fetch(flux_t *h)
{
    flux_future_t *f = flux_rpc(h, "resource.list", nullptr, FLUX_NODEID_ANY, 0);
    json_t *R, *drained;
    const char *online, *up, *excluded;
    if (!f
        || flux_rpc_get_unpack(f, "{s:o s:s s:s s:o s:s}", "R", &R, "online", &online, "up", &up,
                               "drained", &drained, "excluded", &excluded)
               < 0)
        die(1, "flux-resource: %s", f ? flux_future_error_string(f) : strerror(errno));
    State st;
    auto r = flux::Rv1::decode(R);
    if (!r)
        die(1, "flux-resource: %s", r.error().text.c_str());
    st.R = std::move(*r);
    st.all = st.R.ranks();
    st.online = IdSet::parse(online).value_or(IdSet());
    st.up = IdSet::parse(up).value_or(IdSet());
    st.excluded = IdSet::parse(excluded).value_or(IdSet());
    const char *key;
    json_t *v;
    json_object_foreach(drained, key, v)
    {
        double ts = 0;
        const char *reason = "";
        json_unpack(v, "{s:F s:s}", "timestamp", &ts, "reason", &reason);
        uint32_t rank = (uint32_t)strtoul(key, nullptr, 10);
        st.drains[rank] = Drain{ts, reason};
        st.drained.insert(rank);
    }
    flux_future_destroy(f);
    return st;
}

std::string nodelist(const State &st, const IdSet &ranks)
{
    flux::Hostlist hl;
    ranks.for_each([&](uint32_t r) {
        const auto *rr = st.R.find(r);
        hl.append(rr && !rr->hostname.empty() ? rr->hostname : std::to_string(r));
    });
    return hl.encode();
}

void counts(const State &st, const IdSet &ranks, size_t *cores, size_t *gpus)
{
    flux::Rv1 sub = st.R.copy_ranks(ranks);
    *cores = sub.ncores();
    *gpus = sub.ngpus();
}

std::vector<std::string> parse_states(const char *s)
{
    std::vector<std::string> v;
    std::string str = s;
    size_t start = 0;
    while (start <= str.size()) {
        size_t comma = str.find(',', start);
        v.push_back(str.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return v;
}

bool wanted(const std::vector<std::string> &states, const std::string &s)
{
    return states.empty() || std::find(states.begin(), states.end(), s) != states.end()
           || std::find(states.begin(), states.end(), "all") != states.end();
}

/* flux resource list -n (no header), -o FORMAT ({state} {nnodes} {ncores}
 * {ngpus} {nodelist} {ranks}; "{name:SPEC}" takes a width, "<" or ">"). */
bool no_header = false;
std::string list_format;

std::string format_row(const std::string &fmt, const std::map<std::string, std::string> &fields)
{
    std::string out;
    for (size_t i = 0; i < fmt.size(); i++) {
        size_t end = fmt[i] == '{' ? fmt.find('}', i) : std::string::npos;
        if (end == std::string::npos) {
            out += fmt[i];
            continue;
        }
        std::string name = fmt.substr(i + 1, end - i - 1), spec;
        if (size_t colon = name.find(':'); colon != std::string::npos) {
            spec = name.substr(colon + 1);
            name = name.substr(0, colon);
        }
        auto it = fields.find(name);
        if (it == fields.end())
            die(1, "flux-resource: unknown format field '{%s}' (state, nnodes, ncores, ngpus,"
                   " nodelist, ranks)", name.c_str());
        std::string v = it->second;
        bool left = !spec.empty() && spec[0] == '<';
        if (!spec.empty() && (spec[0] == '<' || spec[0] == '>'))
            spec = spec.substr(1);
        size_t width = spec.empty() ? 0 : strtoul(spec.c_str(), nullptr, 10);
        if (v.size() < width)
            v = left ? v + std::string(width - v.size(), ' ') : std::string(width - v.size(), ' ') + v;
        out += v;
        i = end;
    }
    return out;
}

const char *opt_states(int argc, char **argv)
{
    static const struct option opts[] = {
        {"states", required_argument, nullptr, 's'},
        {"no-header", no_argument, nullptr, 'n'},
        {"format", required_argument, nullptr, 'o'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *states = nullptr;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:no:h", opts, nullptr)) != -1) {
        if (c == 's')
            states = optarg;
        else if (c == 'n')
            no_header = true;
        else if (c == 'o')
            list_format = optarg;
        else if (c == 'h') {
            printf("%s\n", usage_text);
            exit(0);
        }
        else
            exit(1);
    }
    if (optind != argc)
        die(1, "flux-resource: unexpected argument '%s'", argv[optind]);
    return states;
}

int res_list(flux_t *h, int argc, char **argv)
{
    const char *s = opt_states(argc, argv);
    std::vector<std::string> states = s ? parse_states(s) : std::vector<std::string>{};
    for (const auto &st : states) {
        if (st != "free" && st != "allocated" && st != "down" && st != "all")
            die(1, "flux-resource: unknown state '%s' (free, allocated, down, all)", st.c_str());
    }
    State st = fetch(h);
    /* Nothing is allocated until a scheduler is loaded. */
    IdSet free = st.up;
    IdSet down = st.all.difference(st.up);
    if (!list_format.empty()) {
        if (!no_header)
            printf("%s\n", format_row(list_format, {{"state", "STATE"}, {"nnodes", "NNODES"},
                                                    {"ncores", "NCORES"}, {"ngpus", "NGPUS"},
                                                    {"nodelist", "NODELIST"}, {"ranks", "RANKS"}})
                               .c_str());
    }
    else if (!no_header)
        printf("%10s %6s %8s %8s %s\n", "STATE", "NNODES", "NCORES", "NGPUS", "NODELIST");
    auto row = [&](const char *name, const IdSet &ranks) {
        if (!wanted(states, name))
            return;
        size_t cores, gpus;
        counts(st, ranks, &cores, &gpus);
        if (!list_format.empty()) {
            printf("%s\n", format_row(list_format, {{"state", name},
                                                    {"nnodes", std::to_string(ranks.count())},
                                                    {"ncores", std::to_string(cores)},
                                                    {"ngpus", std::to_string(gpus)},
                                                    {"nodelist", nodelist(st, ranks)},
                                                    {"ranks", ranks.encode()}})
                               .c_str());
            return;
        }
        printf("%10s %6zu %8zu %8zu %s\n", name, ranks.count(), cores, gpus,
               nodelist(st, ranks).c_str());
    };
    row("free", free);
    row("allocated", IdSet());
    row("down", down);
    return 0;
}

int res_status(flux_t *h, int argc, char **argv)
{
    const char *s = opt_states(argc, argv);
    std::vector<std::string> states = s ? parse_states(s) : std::vector<std::string>{};
    State st = fetch(h);
    IdSet offline = st.all.difference(st.online);
    IdSet avail = st.online.difference(st.drained).difference(st.excluded);
    IdSet drained_up = st.drained.intersect(st.online).difference(st.excluded);
    IdSet drained_down = st.drained.intersect(offline).difference(st.excluded);
    printf("%10s %2s %6s %s\n", "STATE", "UP", "NNODES", "NODELIST");
    auto row = [&](const char *name, bool up, const IdSet &ranks) {
        if (ranks.empty() || !wanted(states, name))
            return;
        printf("%10s %2s %6zu %s\n", name, up ? "y" : "n", ranks.count(),
               nodelist(st, ranks).c_str());
    };
    row("avail", true, avail);
    row("exclude", true, st.excluded.intersect(st.online));
    row("exclude", false, st.excluded.intersect(offline));
    row("drained", true, drained_up);
    row("drained", false, drained_down);
    row("offline", false, offline.difference(st.drained).difference(st.excluded));
    return 0;
}

int res_info(flux_t *h, int argc, char **argv)
{
    opt_states(argc, argv);
    State st = fetch(h);
    printf("%zu Nodes, %zu Cores, %zu GPUs\n", st.R.nnodes(), st.R.ncores(), st.R.ngpus());
    return 0;
}

int res_drain(flux_t *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, nullptr, 'f'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    bool force = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+fh", opts, nullptr)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h') {
            printf("%s\n", usage_text);
            return 0;
        }
        else
            return 1;
    }
    if (optind == argc) {
        State st = fetch(h);
        printf("%-20s %-8s %-30s %s\n", "TIME", "STATE", "REASON", "NODELIST");
        /* One line per distinct (time, reason). */
        std::map<std::pair<double, std::string>, IdSet> groups;
        for (const auto &[rank, d] : st.drains)
            groups[{d.timestamp, d.reason}].insert(rank);
        for (const auto &[key, ranks] : groups) {
            char ts[32];
            time_t t = (time_t)key.first;
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
            bool any_up = !ranks.intersect(st.online).empty();
            printf("%-20s %-8s %-30s %s\n", ts, any_up ? "drained" : "drained*",
                   key.second.c_str(), nodelist(st, ranks).c_str());
        }
        return 0;
    }
    std::string reason;
    for (int i = optind + 1; i < argc; i++)
        reason += (reason.empty() ? "" : " ") + std::string(argv[i]);
    flux_future_t *f = flux_rpc_pack(h, "resource.drain", 0, 0, "{s:s s:s s:b}", "targets",
                                     argv[optind], "reason", reason.c_str(), "force", force);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-resource: drain: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    return 0;
}

int res_undrain(flux_t *h, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
            printf("%s\n", usage_text);
            return 0;
        }
        die(1, "%s", usage_text);
    }
    flux_future_t *f = flux_rpc_pack(h, "resource.undrain", 0, 0, "{s:s}", "targets", argv[1]);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-resource: undrain: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    return 0;
}

} // namespace

int cmd_resource(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage_text);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage_text);
        return 0;
    }
    int (*fn)(flux_t *, int, char **) = sub == "list"      ? res_list
                                        : sub == "status"  ? res_status
                                        : sub == "info"    ? res_info
                                        : sub == "drain"   ? res_drain
                                        : sub == "undrain" ? res_undrain
                                                           : nullptr;
    if (!fn)
        die(1, "flux-resource: unknown subcommand '%s'\n%s", sub.c_str(), usage_text);
    flux_t *h = open_or_die("flux-resource");
    int rc = fn(h, argc - 1, argv + 1);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
