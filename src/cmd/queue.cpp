/* queue.cpp - flux queue list|status|enable|disable|start|stop|drain|idle:
 * the job manager's queues (RFC 33, flux-queue(1)) through the job API.
 * list also reads [queues] and [policy] (broker attributes conf.queues and
 * conf.policy) for each queue's defaults and limits. */
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <functional>
#include <string>
#include <vector>

#include <jansson.h>

#include "cmd.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"

namespace fluxcmd {

namespace {

const char *usage =
    "Usage: flux queue list [-q QUEUE,...] [-n] [-o FORMAT]\n"
    "       flux queue status [-v] [-q NAME | QUEUE]\n"
    "       flux queue enable|start [-a | -q NAME | QUEUE] [--quiet]\n"
    "       flux queue disable|stop [-a | -q NAME] [--quiet] [-m REASON | REASON...]\n"
    "       flux queue drain|idle [--timeout=FSD]";

struct Opts {
    std::string queue;
    bool all = false, verbose = false, quiet = false, header = true;
    std::string reason, format;
    double timeout = -1;
    std::vector<std::string> args;
};

Opts parse(const std::string &sub, int argc, char **argv)
{
    Opts o;
    auto value = [&](int &i, const std::string &a, const char *shrt, const char *lng,
                     std::string *out) {
        std::string l = std::string(lng) + "=";
        if (a.rfind(l, 0) == 0) {
            *out = a.substr(l.size());
            return true;
        }
        if (a == shrt || a == lng) {
            if (i + 1 >= argc)
                die(1, "flux-queue: %s needs a value\n%s", lng, usage);
            *out = argv[++i];
            return true;
        }
        if (strlen(shrt) == 2 && a.size() > 2 && a.rfind(shrt, 0) == 0) {
            *out = a.substr(2);
            return true;
        }
        return false;
    };
    bool drainlike = sub == "drain" || sub == "idle";
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i], val;
        if (drainlike && value(i, a, "--timeout", "--timeout", &val)) {
            auto t = flux::fsd_parse(val);
            if (!t)
                die(1, "flux-queue: --timeout: invalid duration '%s'", val.c_str());
            /* fsd_parse() reads inf as 0: both mean no limit, as for -t. */
            o.timeout = *t > 0 ? *t : -1;
        }
        else if (drainlike)
            die(1, "flux-queue: %s: unknown argument '%s'\n%s", sub.c_str(), a.c_str(), usage);
        else if (value(i, a, "-q", "--queue", &val))
            o.queue = val;
        else if (value(i, a, "-m", "--message", &val))
            o.reason = val;
        else if (sub == "list" && value(i, a, "-o", "--format", &val))
            o.format = val;
        else if (a == "-a" || a == "--all")
            o.all = true;
        else if (a == "-v" || a == "--verbose")
            o.verbose = true;
        else if (a == "--quiet")
            o.quiet = true;
        else if (sub == "list" && (a == "-n" || a == "--no-header"))
            o.header = false;
        else if (a.rfind("--timeout", 0) == 0)
            die(1, "flux-queue: --timeout: only drain and idle take a timeout");
        else if (a.size() > 1 && a[0] == '-')
            die(1, "flux-queue: %s: unknown option '%s'\n%s", sub.c_str(), a.c_str(), usage);
        else
            o.args.push_back(a);
    }
    if (sub == "disable" || sub == "stop") {
        /* flux queue disable REASON...: the words are the reason. */
        for (const auto &w : o.args)
            o.reason += (o.reason.empty() ? "" : " ") + w;
        o.args.clear();
    }
    else if (sub == "list") {
        if (!o.args.empty())
            die(1, "flux-queue: list: unexpected argument '%s'", o.args[0].c_str());
    }
    else if (!o.args.empty()) {
        /* flux queue status|enable|start QUEUE */
        if (o.args.size() > 1 || !o.queue.empty())
            die(1, "flux-queue: %s: name one queue\n%s", sub.c_str(), usage);
        o.queue = o.args[0];
    }
    if (o.all && !o.queue.empty())
        die(1, "flux-queue: --all and a queue name are mutually exclusive");
    return o;
}

void print_status(json_t *queues, bool verbose, int64_t active, int64_t pending, bool sched)
{
    size_t i;
    json_t *q;
    json_array_foreach(queues, i, q)
    {
        const char *name = "", *dr = "", *sr = "";
        int enabled = 1, started = 1;
        json_unpack(q, "{s?s s?b s?b s?s s?s}", "name", &name, "enabled", &enabled, "started",
                    &started, "disable_reason", &dr, "stop_reason", &sr);
        std::string prefix = *name ? std::string(name) + ": " : "";
        printf("%sJob submission is %s%s%s\n", prefix.c_str(), enabled ? "enabled" : "disabled",
               !enabled && *dr ? ": " : "", !enabled ? dr : "");
        printf("%sScheduling is %s%s%s\n", prefix.c_str(), started ? "started" : "stopped",
               !started && *sr ? ": " : "", !started ? sr : "");
    }
    if (verbose)
        printf("%lld active jobs, %lld waiting for resources\n", (long long)active,
               (long long)pending);
    if (!sched)
        printf("No scheduler is loaded: jobs wait until one is (flux module load sched-simple)\n");
}

/* The attribute NAME (a JSON object), or NULL. */
json_t *conf_attr(flux_t *h, const char *name)
{
    const char *text = flux_attr_get(h, name);
    json_error_t jerr;
    return text && *text ? json_loads(text, 0, &jerr) : nullptr;
}

json_t *path(json_t *o, std::initializer_list<const char *> keys)
{
    for (const char *k : keys)
        o = json_object_get(o, k);
    return o;
}

/* A duration key as flux queue list shows it: FSD, "inf" for none. */
std::string duration_text(json_t *v)
{
    double secs = 0;
    if (json_is_number(v))
        secs = json_number_value(v);
    else if (json_is_string(v)) {
        auto t = flux::fsd_parse(json_string_value(v));
        secs = t ? *t : 0;
    }
    return secs > 0 ? flux::fsd_format(secs) : "inf";
}

/* The queue's KEYS under policy, else the instance's. */
json_t *policy_value(json_t *queues, json_t *policy, const std::string &queue,
                     std::initializer_list<const char *> keys)
{
    json_t *v = nullptr;
    if (!queue.empty()) {
        v = path(json_object_get(queues, queue.c_str()), {"policy"});
        for (const char *k : keys)
            v = json_object_get(v, k);
    }
    if (!v) {
        v = policy;
        for (const char *k : keys)
            v = json_object_get(v, k);
    }
    return v;
}

std::string range_text(json_t *queues, json_t *policy, const std::string &queue, const char *key)
{
    json_t *min = policy_value(queues, policy, queue, {"limits", "job-size", "min", key});
    json_t *max = policy_value(queues, policy, queue, {"limits", "job-size", "max", key});
    json_int_t lo = json_is_integer(min) && json_integer_value(min) > 0 ? json_integer_value(min) : 0;
    json_int_t hi = json_is_integer(max) ? json_integer_value(max) : -1;
    return std::to_string((long long)lo) + "-" + (hi >= 0 ? std::to_string((long long)hi) : "inf");
}

std::string field(const std::string &f, json_t *q, json_t *queues, json_t *policy)
{
    const char *name = "";
    int enabled = 1, started = 1, dflt = 0;
    json_unpack(q, "{s?s s?b s?b s?b}", "name", &name, "enabled", &enabled, "started", &started,
                "default", &dflt);
    if (f == "queue")
        return name;
    if (f == "queuem")
        return std::string(name) + (dflt ? "*" : "");
    if (f == "submission")
        return enabled ? "enabled" : "disabled";
    if (f == "scheduling")
        return started ? "started" : "stopped";
    if (f == "enabled")
        return enabled ? "\u2714" : "\u2717";
    if (f == "started")
        return started ? "\u2714" : "\u2717";
    if (f == "enabled.ascii")
        return enabled ? "y" : "n";
    if (f == "started.ascii")
        return started ? "y" : "n";
    if (f == "defaults.timelimit")
        return duration_text(
            policy_value(queues, policy, name, {"jobspec", "defaults", "system", "duration"}));
    if (f == "limits.timelimit")
        return duration_text(policy_value(queues, policy, name, {"limits", "duration"}));
    for (const char *k : {"nnodes", "ncores", "ngpus"}) {
        if (f == std::string("limits.range.") + k)
            return range_text(queues, policy, name, k);
        for (const char *mm : {"min", "max"}) {
            if (f == std::string("limits.") + mm + "." + k) {
                json_t *v = policy_value(queues, policy, name, {"limits", "job-size", mm, k});
                json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
                return n >= 0 ? std::to_string((long long)n) : (*mm == 'm' && mm[1] == 'i' ? "0" : "inf");
            }
        }
    }
    return "\x01";
}

const char *heading(const std::string &f)
{
    static const std::pair<const char *, const char *> h[] = {
        {"queue", "QUEUE"},           {"queuem", "QUEUE"},
        {"submission", "SUBMIT"},     {"scheduling", "SCHED"},
        {"enabled", "EN"},            {"started", "ST"},
        {"enabled.ascii", "EN"},      {"started.ascii", "ST"},
        {"defaults.timelimit", "TDEFAULT"}, {"limits.timelimit", "TLIMIT"},
        {"limits.range.nnodes", "NNODES"}, {"limits.range.ncores", "NCORES"},
        {"limits.range.ngpus", "NGPUS"}, {"limits.min.nnodes", "MINNODES"},
        {"limits.max.nnodes", "MAXNODES"}, {"limits.min.ncores", "MINCORES"},
        {"limits.max.ncores", "MAXCORES"}, {"limits.min.ngpus", "MINGPUS"},
        {"limits.max.ngpus", "MAXGPUS"},
    };
    for (const auto &[k, v] : h) {
        if (f == k)
            return v;
    }
    return nullptr;
}

/* Display width of S (UTF-8: count code points). */
size_t width_of(const std::string &s)
{
    size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

struct Piece {
    std::string literal, field;
    char align = '<';
    size_t width = 0;
};

std::vector<Piece> parse_format(const std::string &fmt)
{
    std::vector<Piece> out;
    Piece cur;
    for (size_t i = 0; i < fmt.size(); i++) {
        if (fmt[i] != '{') {
            cur.literal += fmt[i];
            continue;
        }
        size_t end = fmt.find('}', i);
        if (end == std::string::npos)
            die(1, "flux-queue: list: --format: unterminated '{' in '%s'", fmt.c_str());
        std::string spec = fmt.substr(i + 1, end - i - 1);
        size_t colon = spec.find(':');
        cur.field = spec.substr(0, colon);
        /* Flux's conversion suffixes (!F, !d) are accepted and ignored. */
        if (size_t bang = cur.field.find('!'); bang != std::string::npos)
            cur.field.resize(bang);
        if (!heading(cur.field))
            die(1, "flux-queue: list: --format: unknown field '%s'", cur.field.c_str());
        if (colon != std::string::npos) {
            std::string w = spec.substr(colon + 1);
            if (!w.empty() && (w[0] == '<' || w[0] == '>' || w[0] == '^'))
                cur.align = w[0], w = w.substr(1);
            if (size_t dot = w.find('.'); dot != std::string::npos)
                w.resize(dot);
            cur.width = (size_t)atoi(w.c_str());
        }
        out.push_back(cur);
        cur = Piece();
        i = end;
    }
    if (!cur.literal.empty())
        out.push_back(cur);
    return out;
}

std::string render(const std::vector<Piece> &pieces,
                   const std::function<std::string(const std::string &)> &value)
{
    std::string line;
    for (const auto &p : pieces) {
        line += p.literal;
        if (p.field.empty())
            continue;
        std::string v = value(p.field);
        size_t w = width_of(v);
        std::string fill = w < p.width ? std::string(p.width - w, ' ') : "";
        line += p.align == '>' ? fill + v : v + fill;
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line;
}

const char *list_default_format =
    "{queuem:<8} {enabled:>2} {started:>2} {defaults.timelimit:>8} {limits.timelimit:>8} "
    "{limits.range.nnodes:>10} {limits.range.ncores:>10} {limits.range.ngpus:>10}";

int list(flux_t *h, const Opts &o)
{
    auto pieces = parse_format(o.format.empty() ? list_default_format : o.format);
    flux::FuturePtr f(flux_job_queue_request(h, "status", nullptr, false, nullptr));
    json_t *qs;
    if (!f || flux_job_queue_list_get(f.get(), &qs) < 0)
        die(1, "flux-queue: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    flux::JsonPtr queues(conf_attr(h, "conf.queues")), policy(conf_attr(h, "conf.policy"));
    std::vector<std::string> want;
    for (size_t pos = 0; !o.queue.empty() && pos <= o.queue.size();) {
        size_t comma = o.queue.find(',', pos);
        if (comma == std::string::npos)
            comma = o.queue.size();
        want.push_back(o.queue.substr(pos, comma - pos));
        pos = comma + 1;
    }
    for (const auto &w : want) {
        bool found = false;
        size_t i;
        json_t *q;
        json_array_foreach(qs, i, q)
        {
            const char *name = "";
            json_unpack(q, "{s?s}", "name", &name);
            found |= w == name;
        }
        if (!found)
            die(1, "flux-queue: list: unknown queue '%s'", w.c_str());
    }
    if (o.header)
        printf("%s\n", render(pieces, [](const std::string &f) { return std::string(heading(f)); })
                           .c_str());
    size_t i;
    json_t *q;
    json_array_foreach(qs, i, q)
    {
        const char *name = "";
        json_unpack(q, "{s?s}", "name", &name);
        if (!want.empty() && std::find(want.begin(), want.end(), name) == want.end())
            continue;
        printf("%s\n", render(pieces, [&](const std::string &f) {
                           return field(f, q, queues.get(), policy.get());
                       }).c_str());
    }
    return 0;
}

} // namespace

int cmd_queue(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", usage);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage);
        return 0;
    }
    if (sub != "list" && sub != "status" && sub != "enable" && sub != "disable"
        && sub != "start" && sub != "stop" && sub != "drain" && sub != "idle")
        die(1, "flux-queue: unknown subcommand '%s'\n%s", sub.c_str(), usage);
    Opts o = parse(sub, argc, argv);
    flux_t *h = open_or_die("flux-queue");
    if (sub == "list")
        list(h, o);
    else if (sub == "drain" || sub == "idle") {
        /* drain: no active jobs at all; idle: none in RUN or CLEANUP.  The
         * job manager answers when that holds. */
        flux::FuturePtr f(sub == "drain" ? flux_job_queue_drain(h) : flux_job_queue_idle(h));
        if (!f)
            die(1, "flux-queue: %s", strerror(errno));
        if (flux_future_wait_for(f.get(), o.timeout) < 0)
            die(1, "flux-queue: %s: %s", sub.c_str(),
                errno == ETIMEDOUT ? "timeout" : strerror(errno));
        if (flux_rpc_get(f.get(), nullptr) < 0)
            die(1, "flux-queue: %s", flux_future_error_string(f.get()));
    }
    else {
        flux::FuturePtr f(flux_job_queue_request(h, sub.c_str(),
                                                 o.queue.empty() ? nullptr : o.queue.c_str(),
                                                 o.all, o.reason.c_str()));
        bool sched = true;
        int64_t active = 0, pending = 0;
        json_t *qs;
        if (!f || flux_job_queue_get(f.get(), nullptr, &active, &pending, &sched) < 0
            || flux_job_queue_list_get(f.get(), &qs) < 0)
            die(1, "flux-queue: %s: %s", sub.c_str(),
                f ? flux_future_error_string(f.get()) : strerror(errno));
        if (sub == "status" || (!o.quiet && o.verbose))
            print_status(qs, o.verbose, active, pending, sched);
        else if (!o.quiet)
            print_status(qs, false, active, pending, true);
    }
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
