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
#include "flux/job.h"
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

const char *opt_states(int argc, char **argv)
{
    static const struct option opts[] = {
        {"states", required_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *states = nullptr;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:h", opts, nullptr)) != -1) {
        if (c == 's')
            states = optarg;
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

/* flux resource list -o FORMAT: Flux's "{field[:[<>^][width][.precision][+][h]]}"
 * over one row per state (and property set). */
struct ListRow {
    std::string state;
    flux::Rv1 R;
    std::string properties;
};

const char *list_default_format =
    "{state:>10} ?:{properties:<10.10+} {nnodes:>6} {ncores:>8} {ngpus:>8} {nodelist}";

const std::map<std::string, std::string> list_headers = {
    {"state", "STATE"},     {"nnodes", "NNODES"},   {"ncores", "NCORES"},
    {"ngpus", "NGPUS"},     {"nodelist", "NODELIST"}, {"ranks", "RANKS"},
    {"properties", "PROPERTIES"}, {"rlist", "LIST"},
};

struct ListPiece {
    std::string literal, field;
    char align = '<';
    int width = 0, precision = -1;
    bool plus = false, hyphen = false, optional = false;
};

std::vector<ListPiece> list_format_parse(const std::string &fmt)
{
    std::vector<ListPiece> out;
    std::string lit;
    for (size_t i = 0; i < fmt.size();) {
        if ((fmt[i] == '{' || fmt[i] == '}') && i + 1 < fmt.size() && fmt[i + 1] == fmt[i]) {
            lit += fmt[i];
            i += 2;
            continue;
        }
        if (fmt[i] != '{') {
            lit += fmt[i++];
            continue;
        }
        size_t close = fmt.find('}', i);
        if (close == std::string::npos)
            die(1, "flux-resource: list: format: unmatched '{' in '%s'", fmt.c_str());
        std::string spec = fmt.substr(i + 1, close - i - 1);
        ListPiece p;
        if (lit.ends_with("?:")) {
            lit.resize(lit.size() - 2);
            p.optional = true;
        }
        p.literal = lit;
        lit.clear();
        size_t colon = spec.find(':');
        p.field = spec.substr(0, colon);
        if (!list_headers.count(p.field))
            die(1, "flux-resource: list: format: unknown field '%s' (state, nnodes, ncores, "
                   "ngpus, nodelist, ranks, properties, rlist)",
                p.field.c_str());
        if (colon != std::string::npos) {
            std::string s = spec.substr(colon + 1);
            size_t k = 0;
            if (k < s.size() && strchr("<>^", s[k]))
                p.align = s[k++];
            while (k < s.size() && isdigit((unsigned char)s[k]))
                p.width = p.width * 10 + (s[k++] - '0');
            if (k < s.size() && s[k] == '.') {
                p.precision = 0;
                for (k++; k < s.size() && isdigit((unsigned char)s[k]); k++)
                    p.precision = p.precision * 10 + (s[k] - '0');
            }
            if (k < s.size() && s[k] == '+') {
                p.plus = true;
                k++;
            }
            if (k < s.size() && s[k] == 'h') {
                p.hyphen = true;
                k++;
            }
            if (k != s.size())
                die(1, "flux-resource: list: format: invalid spec '%s' for field '%s'", s.c_str(),
                    p.field.c_str());
        }
        out.push_back(p);
        i = close + 1;
    }
    if (!lit.empty()) {
        ListPiece p;
        p.literal = lit;
        out.push_back(p);
    }
    return out;
}

/* "rank0/core[0-3],gpu0 rank1/core[0-3]": RFC 20-like short form. */
std::string rlist(const flux::Rv1 &R)
{
    std::string out;
    for (const auto &[rank, rr] : R.by_rank()) {
        std::string one = "rank" + std::to_string(rank) + "/";
        bool first = true;
        for (const auto &[type, ids] : rr.children) {
            std::string set = ids.encode();
            bool many = ids.count() > 1;
            one += (first ? "" : ",") + type + (many ? "[" + set + "]" : set);
            first = false;
        }
        out += (out.empty() ? "" : " ") + one;
    }
    return out;
}

std::string list_value(const ListRow &row, const std::string &f)
{
    if (f == "state")
        return row.state;
    if (f == "nnodes")
        return std::to_string(row.R.nnodes());
    if (f == "ncores")
        return std::to_string(row.R.ncores());
    if (f == "ngpus")
        return std::to_string(row.R.ngpus());
    if (f == "ranks")
        return row.R.ranks().encode();
    if (f == "properties")
        return row.properties;
    if (f == "rlist")
        return rlist(row.R);
    /* nodelist: hostnames, or ranks where R names no host */
    flux::Hostlist hl;
    for (const auto &[rank, rr] : row.R.by_rank())
        hl.append(rr.hostname.empty() ? std::to_string(rank) : rr.hostname);
    return hl.encode();
}

std::string list_pad(std::string v, const ListPiece &p)
{
    if (p.hyphen && v.empty())
        v = "-";
    if (p.plus && p.precision > 0 && (int)v.size() > p.precision)
        v = v.substr(0, p.precision - 1) + "+";
    if (p.precision >= 0 && (int)v.size() > p.precision)
        v = v.substr(0, p.precision);
    if ((int)v.size() < p.width) {
        size_t fill = p.width - v.size();
        v = p.align == '>'   ? std::string(fill, ' ') + v
            : p.align == '^' ? std::string(fill / 2, ' ') + v + std::string(fill - fill / 2, ' ')
                             : v + std::string(fill, ' ');
    }
    return v;
}

void add_R(flux_t *h, flux::Rv1 &all, flux_jobid_t id, const flux::IdSet *ranks = nullptr)
{
    flux_future_t *rf = flux_job_lookup(h, id, "R");
    json_t *o;
    if (rf && flux_job_lookup_get_unpack(rf, "o", &o) == 0) {
        auto R = json_is_string(o) ? flux::Rv1::decode(std::string_view(json_string_value(o)))
                                   : flux::Rv1::decode(o);
        if (R) {
            if (ranks)
                *R = R->copy_ranks(*ranks);
            if (auto u = all.union_with(*R))
                all = std::move(*u);
        }
    }
    flux_future_destroy(rf);
}

/* Cores held by running jobs (the union of their R) and by housekeeping
 * (the nodes it has not given back yet, as Flux shows them): a
 * scheduler's view without asking the scheduler, so any scheduler module
 * will do. */
flux::Rv1 allocated(flux_t *h)
{
    flux::Rv1 all;
    flux_future_t *hk = flux_job_housekeeping_list(h);
    json_t *held;
    if (hk && flux_job_housekeeping_list_get(hk, &held) == 0) {
        size_t k;
        json_t *job;
        json_array_foreach(held, k, job)
        {
            json_int_t id;
            const char *ranks;
            if (json_unpack(job, "{s:I s:s}", "id", &id, "ranks", &ranks) < 0)
                continue;
            if (auto r = flux::IdSet::parse(ranks))
                add_R(h, all, (flux_jobid_t)id, &*r);
        }
    }
    flux_future_destroy(hk);
    flux_future_t *f = flux_job_list(h, 0, nullptr, FLUX_USERID_UNKNOWN, FLUX_JOB_STATE_RUNNING);
    json_t *jobs;
    if (!f || flux_job_list_get(f, &jobs) < 0)
        die(1, "flux-resource: list: %s", f ? flux_future_error_string(f) : strerror(errno));
    size_t k;
    json_t *job;
    json_array_foreach(jobs, k, job)
    {
        json_int_t id;
        if (json_unpack(job, "{s:I}", "id", &id) < 0)
            continue;
        add_R(h, all, (flux_jobid_t)id);
    }
    flux_future_destroy(f);
    return all;
}

int res_list(flux_t *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"states", required_argument, nullptr, 's'},
        {"format", required_argument, nullptr, 'o'},
        {"no-header", no_argument, nullptr, 'n'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *s = nullptr;
    std::string format = list_default_format;
    bool header = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:o:nh", opts, nullptr)) != -1) {
        if (c == 's')
            s = optarg;
        else if (c == 'o')
            format = optarg;
        else if (c == 'n')
            header = false;
        else if (c == 'h') {
            printf("%s\n", usage_text);
            return 0;
        }
        else
            return 1;
    }
    if (optind != argc)
        die(1, "flux-resource: unexpected argument '%s'", argv[optind]);
    std::vector<std::string> states = s ? parse_states(s) : std::vector<std::string>{};
    for (const auto &st : states) {
        if (st != "free" && st != "allocated" && st != "down" && st != "all")
            die(1, "flux-resource: unknown state '%s' (free, allocated, down, all)", st.c_str());
    }
    auto pieces = list_format_parse(format);
    State st = fetch(h);
    flux::Rv1 up = st.R.copy_ranks(st.up);
    flux::Rv1 alloc = allocated(h).intersect(up);
    std::vector<ListRow> rows;
    auto add = [&](const char *name, const flux::Rv1 &R) {
        if (!wanted(states, name))
            return;
        /* One row per property set, as Flux; a single row when empty. */
        std::map<std::string, IdSet> groups;
        for (const auto &[rank, rr] : R.by_rank()) {
            std::string props;
            for (const auto &p : rr.properties)
                props += (props.empty() ? "" : ",") + p;
            groups[props].insert(rank);
        }
        if (groups.empty())
            groups[""];
        for (const auto &[props, ranks] : groups)
            rows.push_back({name, R.copy_ranks(ranks), props});
    };
    add("free", up.diff(alloc));
    add("allocated", alloc);
    add("down", st.R.copy_ranks(st.all.difference(st.up)));
    /* "?:" columns empty in every row are left out. */
    std::vector<bool> shown(pieces.size(), true);
    for (size_t i = 0; i < pieces.size(); i++) {
        if (pieces[i].optional)
            shown[i] = std::any_of(rows.begin(), rows.end(), [&](const ListRow &r) {
                return !list_value(r, pieces[i].field).empty();
            });
    }
    auto line = [&](const ListRow *row) {
        std::string out;
        for (size_t i = 0; i < pieces.size(); i++) {
            const auto &p = pieces[i];
            if (!shown[i]) /* with the text before it */
                continue;
            out += p.literal;
            if (p.field.empty())
                continue;
            out += row ? list_pad(list_value(*row, p.field), p)
                       : list_pad(list_headers.at(p.field), ListPiece{"", "", p.align, p.width,
                                                                       p.precision});
        }
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        printf("%s\n", out.c_str());
    };
    if (header)
        line(nullptr);
    for (const auto &r : rows)
        line(&r);
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
