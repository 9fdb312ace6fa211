/* jobs_format.cpp - flux jobs --format (Flux field names, Python-like specs). */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <ctime>
#include <cstring>
#include <map>
#include <pwd.h>

#include "flux/job.h"
#include "fsd/fsd.h"
#include "jobs_format.h"

namespace fluxcmd {

const char *jobs_default_format = "{id.f58:>12} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} "
                                  "{ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}";

/* Flux's named formats (flux jobs --format=NAME). */
const std::vector<JobsNamedFormat> jobs_named_formats = {
    {"default", "Default flux-jobs format string", jobs_default_format},
    {"long", "Extended flux-jobs format string",
     "{id.f58:>12} {username:<8.8} {name:<10.10+} {status:>9.9} {ntasks:>6} {nnodes:>6h} "
     "{t_submit!d:%b%d %R::>12} {t_remaining!F:>12h} {contextual_time!F:>8h} {contextual_info}"},
    {"deps", "Show job urgency, priority, and dependencies",
     "{id.f58:>12} {username:<8.8} {name:<10.10+} {urgency:<3} {priority:<12} {state:<8.8} "
     "{dependencies}"},
    {"endreason", "Show why each job ended",
     "{id.f58:>12} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} "
     "{t_inactive!d:%b%d %R::>12h} {inactive_reason}"},
};

namespace {

const std::map<std::string, std::string> headers = {
    {"id", "JOBID"},          {"id.f58", "JOBID"},       {"id.dec", "JOBID"},
    {"id.hex", "JOBID"},      {"id.dothex", "JOBID"},    {"id.kvs", "JOBID"},
    {"id.words", "JOBID"},    {"id.f58plain", "JOBID"},
    {"userid", "UID"},        {"username", "USER"},      {"name", "NAME"},
    {"state", "STATE"},       {"state_single", "ST"},    {"ntasks", "NTASKS"},
    {"nnodes", "NNODES"},     {"ncores", "NCORES"},     {"urgency", "URG"},        {"priority", "PRI"},
    {"t_submit", "T_SUBMIT"}, {"t_run", "T_RUN"},        {"t_cleanup", "T_CLEANUP"},
    {"t_inactive", "T_INACTIVE"}, {"runtime", "TIME"},   {"result", "RESULT"},
    {"status", "STATUS"},     {"status_abbrev", "ST"},   {"result_abbrev", "RS"},
    {"contextual_info", "INFO"}, {"contextual_time", "TIME"}, {"waitstatus", "WSTATUS"},
    {"returncode", "RC"},     {"exception.type", "EXCEPTION-TYPE"},
    {"exception.note", "EXCEPTION-NOTE"},                {"ranks", "RANKS"},
    {"nodelist", "NODELIST"}, {"success", "SUCCESS"},
    {"exception.occurred", "EXCEPTION-OCCURRED"},        {"exception.severity", "EXCEPTION-SEVERITY"},
    {"duration", "DURATION"}, {"expiration", "EXPIRATION"}, {"t_remaining", "T_REMAINING"},
    {"dependencies", "DEPENDENCIES"},                    {"inactive_reason", "INACTIVE-REASON"},
    {"t_depend", "T_DEPEND"},
    /* The scheduler's annotations (RFC 27), under Flux's names. */
    {"sched.t_estimate", "T_ESTIMATE"}, {"annotations.sched.t_estimate", "T_ESTIMATE"},
    {"sched.reason_pending", "REASON"}, {"annotations.sched.reason_pending", "REASON"},
    {"queue", "QUEUE"},
    {"cwd", "CWD"}, {"project", "PROJECT"}, {"bank", "BANK"}, {"uri", "URI"},
    /* A running instance job's own view (flux-jobs(1)), asked over its URI. */
    {"instance.stats", "STATS"}, {"instance.stats.total", "NJOBS"},
    {"instance.utilization", "CORE%"}, {"instance.gpu_utilization", "GPU%"},
    {"instance.progress", "PROG"},
    {"instance.resources.all.ncores", "CORES"}, {"instance.resources.all.ngpus", "GPUS"},
    {"instance.resources.up.ncores", "UP"}, {"instance.resources.up.ngpus", "UP"},
    {"instance.resources.down.ncores", "DOWN"}, {"instance.resources.down.ngpus", "DOWN"},
    {"instance.resources.allocated.ncores", "USED"},
    {"instance.resources.allocated.ngpus", "USED"},
    {"instance.resources.free.ncores", "FREE"}, {"instance.resources.free.ngpus", "FREE"},
};

/* RFC 27 annotations by path, as Flux: {annotations}, {annotations.a.b},
 * and the shorthands {sched[.KEY]} and {user[.KEY]} for annotations.sched
 * and annotations.user. */
bool annotation_field(const std::string &f)
{
    return f == "annotations" || f.starts_with("annotations.") || f == "sched"
           || f.starts_with("sched.") || f == "user" || f.starts_with("user.");
}

std::string field_header(const std::string &f)
{
    auto it = headers.find(f);
    if (it != headers.end())
        return it->second;
    std::string h = f; /* an annotation path: its name in capitals */
    for (char &c : h)
        c = (char)toupper((unsigned char)c);
    return h;
}

/* The annotation at path F of JOB (NULL if none). */
json_t *annotation(json_t *job, const std::string &f)
{
    std::string path = f.starts_with("annotations") ? f.substr(11) : "." + f;
    json_t *v = json_object_get(job, "annotations");
    size_t at = 0;
    while (v && at < path.size()) {
        size_t next = path.find('.', at + 1);
        std::string key = path.substr(at + 1, next == std::string::npos ? std::string::npos
                                                                          : next - at - 1);
        v = json_object_get(v, key.c_str());
        at = next == std::string::npos ? path.size() : next;
    }
    return v;
}

/* What each field holds, for flux jobs --format=help. */
const std::map<std::string, const char *> field_help = {
    {"id", "job ID (F58)"}, {"id.f58", "job ID in RFC 19 F58 (base58) form"},
    {"id.f58plain", "job ID in F58 form with an ASCII f"}, {"id.dec", "job ID in decimal"},
    {"id.hex", "job ID in 0x hexadecimal"}, {"id.dothex", "job ID in dotted hexadecimal"},
    {"id.kvs", "job ID as its KVS directory (job.xxxx.xxxx.xxxx.xxxx)"},
    {"id.words", "job ID in RFC 19 mnemonic words"}, {"userid", "submitter's userid"},
    {"username", "submitter's username"}, {"name", "job name"},
    {"state", "job state (DEPEND, PRIORITY, SCHED, RUN, CLEANUP, INACTIVE)"},
    {"state_single", "job state as one letter"}, {"ntasks", "task count"},
    {"nnodes", "node count (requested while pending, allocated once run)"},
    {"ncores", "allocated core count"}, {"urgency", "job urgency (0 held, 31 expedite)"},
    {"priority", "job priority"}, {"t_submit", "time the job was submitted"},
    {"t_depend", "time the job entered DEPEND"}, {"t_run", "time the job entered RUN"}, {"t_cleanup", "time the job entered CLEANUP"},
    {"t_inactive", "time the job became INACTIVE"}, {"runtime", "time run (so far)"},
    {"result", "result once inactive (COMPLETED, FAILED, CANCELED, TIMEOUT)"},
    {"result_abbrev", "result in at most 2 letters"},
    {"status", "state while active, result once inactive"},
    {"status_abbrev", "status in at most 2 letters"},
    {"contextual_info", "nodelist once run; held, priority-wait, depends: or the "
                        "scheduler's reason while pending"},
    {"contextual_time", "duration while pending, runtime after"},
    {"waitstatus", "the job's wait status (as waitpid(2))"},
    {"returncode", "exit code once inactive, -SIGNO if killed, -128 if canceled before it ran"},
    {"exception.type", "type of the most severe exception"},
    {"exception.note", "note of the most severe exception"},
    {"exception.occurred", "True or False once inactive"},
    {"exception.severity", "severity of the most severe exception"},
    {"ranks", "allocated broker ranks"}, {"nodelist", "allocated hosts"},
    {"success", "True or False once inactive"}, {"duration", "requested time limit"},
    {"expiration", "time the allocation expires"},
    {"t_remaining", "time left before expiration while running"},
    {"dependencies", "outstanding dependencies"},
    {"inactive_reason", "why the job ended (exit code, signal or exception)"},
    {"sched.t_estimate", "a pending job's estimated start (from a planning scheduler)"},
    {"sched.reason_pending", "why a pending job is not running yet (from the scheduler)"},
    {"queue", "the job's named queue"},
    {"cwd", "the job's working directory"}, {"project", "the job's accounting project"},
    {"bank", "the job's accounting bank"},
    {"uri", "the URI of the Flux instance the job runs (empty if it is not one)"},
    {"instance.stats", "a running instance's jobs: PD:pending R:running CD:successful F:failed"},
    {"instance.stats.total", "a running instance's job count"},
    {"instance.utilization", "a running instance's allocated cores / all its cores (!P: %)"},
    {"instance.gpu_utilization", "the same for GPUs"},
    {"instance.progress", "a running instance's inactive jobs / all its jobs (!P: %)"},
    {"instance.resources.all.ncores", "a running instance's cores (all, up, down, allocated, "
                                      "free; ngpus: GPUs)"},
};

std::string pad(const std::string &s, char align, int width, int precision)
{
    std::string v = precision >= 0 && (int)s.size() > precision ? s.substr(0, precision) : s;
    if ((int)v.size() >= width)
        return v;
    size_t fill = width - v.size();
    if (align == '>')
        return std::string(fill, ' ') + v;
    if (align == '^')
        return std::string(fill / 2, ' ') + v + std::string(fill - fill / 2, ' ');
    return v + std::string(fill, ' ');
}

const char *state_single(const char *state)
{
    static const std::map<std::string, const char *> m = {
        {"NEW", "N"},  {"DEPEND", "D"},  {"PRIORITY", "P"}, {"SCHED", "S"},
        {"RUN", "R"},  {"CLEANUP", "C"}, {"INACTIVE", "I"},
    };
    auto it = m.find(state);
    return it == m.end() ? "?" : it->second;
}

std::string num(double v, int precision)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", precision < 0 ? 6 : precision, v);
    return buf;
}

/* {instance.*} as a number, NAN when the job has no instance summary
 * (not an instance, not running, or not reachable) or it is undefined. */
double instance_number(json_t *job, const std::string &f)
{
    json_t *in = json_object_get(job, "instance");
    if (!in)
        return NAN;
    json_t *st = json_object_get(in, "stats");
    json_t *res = json_object_get(in, "resources");
    auto get = [](json_t *o, const char *a, const char *b = nullptr) {
        json_t *v = json_object_get(o, a);
        if (b)
            v = json_object_get(v, b);
        return json_is_number(v) ? json_number_value(v) : NAN;
    };
    if (f == "instance.stats.total")
        return get(st, "total");
    if (f == "instance.progress") {
        double total = get(st, "total");
        return total > 0 ? (get(st, "successful") + get(st, "failed")) / total : 0;
    }
    if (f == "instance.utilization" || f == "instance.gpu_utilization") {
        const char *what = f == "instance.utilization" ? "ncores" : "ngpus";
        double all = get(json_object_get(res, "all"), what);
        return all > 0 ? get(json_object_get(res, "allocated"), what) / all : NAN;
    }
    if (f.starts_with("instance.resources.")) {
        std::string rest = f.substr(19); /* STATE.KIND */
        size_t dot = rest.find('.');
        if (dot == std::string::npos)
            return NAN;
        return get(json_object_get(res, rest.substr(0, dot).c_str()),
                   rest.substr(dot + 1).c_str());
    }
    return NAN;
}

/* A field's value as a number (times, durations, counts), NAN if none. */
double field_number(json_t *job, const std::string &f, double now)
{
    auto get = [job](const char *key) {
        json_t *v = json_object_get(job, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
    };
    const char *state = "";
    json_unpack(job, "{s?s}", "state", &state);
    bool pending = !strcmp(state, "DEPEND") || !strcmp(state, "PRIORITY")
                   || !strcmp(state, "SCHED") || !strcmp(state, "NEW");
    double t_run = get("t_run"), t_cleanup = get("t_cleanup");
    double runtime = t_run > 0 ? (t_cleanup > 0 ? t_cleanup : now) - t_run : NAN;
    if (f == "runtime")
        return runtime;
    if (f.starts_with("instance."))
        return instance_number(job, f);
    if (f == "contextual_time")
        return pending ? get("duration") : runtime;
    if (f == "t_remaining") {
        double exp = get("expiration");
        bool running = !strcmp(state, "RUN") || !strcmp(state, "CLEANUP");
        return running && exp > 0 ? std::max(0.0, exp - now) : NAN;
    }
    if (f.starts_with("t_") || f == "expiration" || f == "duration") {
        double t = get(f.c_str());
        return t > 0 ? t : NAN;
    }
    return get(f.c_str());
}

/* Apply P's conversion (!D !d !F !H !P) to the field's number. */
std::string convert(const JobsFormat::Piece &p, double v)
{
    if (std::isnan(v))
        return "";
    char buf[128];
    switch (p.conv) {
        case 'D':
        case 'd': {
            time_t t = (time_t)v;
            struct tm tm;
            localtime_r(&t, &tm);
            std::string f = p.conv == 'D' ? "%Y-%m-%dT%H:%M:%S" : p.strftime;
            if (f.empty() || strftime(buf, sizeof(buf), f.c_str(), &tm) == 0)
                return "";
            return buf;
        }
        case 'F':
            return flux::fsd_format(v < 0 ? 0 : v);
        case 'H': {
            long s = v < 0 ? 0 : (long)(v + 0.5);
            snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
            return buf;
        }
        case 'P': {
            double pct = v * 100;
            snprintf(buf, sizeof(buf), pct >= 10 || pct == 0 ? "%.0f%%" : pct >= 1 ? "%.1f%%" : "%.2f%%",
                     pct);
            return buf;
        }
    }
    return "";
}

} // namespace

flux::Result<JobsFormat> JobsFormat::parse(const std::string &given)
{
    std::string fmt = given;
    for (const auto &named : jobs_named_formats) {
        if (given == named.name)
            fmt = named.format;
    }
    JobsFormat f;
    size_t i = 0;
    std::string lit;
    while (i < fmt.size()) {
        char c = fmt[i];
        if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
            lit += '{';
            i += 2;
            continue;
        }
        if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            lit += '}';
            i += 2;
            continue;
        }
        if (c != '{') {
            lit += c;
            i++;
            continue;
        }
        size_t close = fmt.find('}', i);
        if (close == std::string::npos)
            return flux::make_error(EINVAL, "format: unmatched '{' in '" + fmt + "'");
        std::string spec = fmt.substr(i + 1, close - i - 1);
        Piece p;
        /* "?:{field}": the column is left out when empty in every row. */
        if (lit.size() >= 2 && lit.ends_with("?:")) {
            lit.resize(lit.size() - 2);
            p.optional = true;
        }
        p.literal = lit;
        lit.clear();
        size_t bang = spec.find('!');
        size_t colon = spec.find(':', bang == std::string::npos ? 0 : bang);
        p.field = spec.substr(0, std::min(bang, colon));
        if (bang != std::string::npos && bang < colon) {
            std::string conv = spec.substr(bang + 1, colon == std::string::npos ? colon
                                                                               : colon - bang - 1);
            if (conv.size() != 1 || !strchr("DdFHP", conv[0]))
                return flux::make_error(EINVAL, "format: unknown conversion '!" + conv
                                                    + "' for field '" + p.field
                                                    + "' (D, d, F, H, P)");
            p.conv = conv[0];
        }
        if (!headers.count(p.field) && !annotation_field(p.field))
            return flux::make_error(EINVAL, "format: unknown field '" + p.field + "'");
        if (colon != std::string::npos && p.conv == 'd') {
            /* {t_submit!d:%b%d %R::>12}: strftime text, then "::" and the spec. */
            std::string rest = spec.substr(colon + 1);
            size_t sep = rest.find("::");
            p.strftime = rest.substr(0, sep);
            spec = p.field + (sep == std::string::npos ? "" : rest.substr(sep + 1));
            colon = sep == std::string::npos ? std::string::npos : p.field.size();
        }
        if (colon != std::string::npos) {
            std::string s = spec.substr(colon + 1);
            size_t k = 0;
            if (k < s.size() && (s[k] == '<' || s[k] == '>' || s[k] == '^'))
                p.align = s[k++];
            while (k < s.size() && isdigit((unsigned char)s[k]))
                p.width = p.width * 10 + (s[k++] - '0');
            if (k < s.size() && s[k] == '.') {
                k++;
                p.precision = 0;
                while (k < s.size() && isdigit((unsigned char)s[k]))
                    p.precision = p.precision * 10 + (s[k++] - '0');
            }
            /* Flux's "+" (mark a truncated value) and "h" (a hyphen for an
             * empty value, 0s, 0.0 or 0:00:00). */
            if (k < s.size() && s[k] == '+') {
                p.plus = true;
                k++;
            }
            if (k < s.size() && s[k] == 'h') {
                p.hyphen = true;
                k++;
            }
            if (k != s.size())
                return flux::make_error(EINVAL, "format: invalid spec '" + s + "' for field '"
                                                    + p.field + "'");
        }
        f.pieces_.push_back(std::move(p));
        i = close + 1;
    }
    if (!lit.empty()) {
        Piece p;
        p.literal = lit;
        f.pieces_.push_back(std::move(p));
    }
    return f;
}

bool JobsFormat::uses(const std::string &prefix) const
{
    for (const auto &p : pieces_)
        if (p.field.starts_with(prefix))
            return true;
    return false;
}

std::string JobsFormat::header() const
{
    std::string out;
    for (const auto &p : pieces_) {
        out += p.literal;
        if (!p.field.empty())
            out += pad(field_header(p.field), p.align, p.width, p.precision);
    }
    return out;
}

std::string JobsFormat::render(json_t *job, double now) const
{
    json_int_t id = 0, ntasks = 0, nnodes = 0, priority = -1;
    int userid = 0, urgency = 0, success = 0, status = -1;
    const char *state = "", *name = "", *ranks = "";
    double t_submit = 0, t_run = 0, t_cleanup = 0, t_inactive = 0;
    json_t *exc = nullptr;
    json_unpack(job, "{s:I s:i s:s s:s s:I s:I s:i s:I s:f s:f s:f s:f s:b s:i s?s s?o}", "id", &id,
                "userid", &userid, "state", &state, "name", &name, "ntasks", &ntasks, "nnodes",
                &nnodes, "urgency", &urgency, "priority", &priority, "t_submit", &t_submit, "t_run",
                &t_run, "t_cleanup", &t_cleanup, "t_inactive", &t_inactive, "success", &success,
                "waitstatus", &status, "ranks", &ranks, "exception", &exc);
    const char *etype = "", *enote = "";
    if (exc)
        json_unpack(exc, "{s?s s?s}", "type", &etype, "note", &enote);
    bool inactive = !strcmp(state, "INACTIVE");
    std::string out;
    for (const auto &p : pieces_) {
        out += p.literal;
        if (p.field.empty())
            continue;
        const std::string &f = p.field;
        std::string v;
        if (f == "id" || f.rfind("id.", 0) == 0) {
            char buf[64];
            const char *type = f == "id" ? "f58" : f.c_str() + 3;
            v = flux_job_id_encode((uint64_t)id, type, buf, sizeof(buf)) == 0 ? buf : "";
        }
        else if (f == "userid")
            v = std::to_string(userid);
        else if (f == "username") {
            struct passwd *pw = getpwuid((uid_t)userid);
            v = pw ? pw->pw_name : std::to_string(userid);
        }
        else if (f == "name")
            v = name;
        else if (f == "queue" || f == "cwd" || f == "project" || f == "bank" || f == "uri") {
            /* uri: filled in by flux jobs for instance jobs, when asked for */
            json_t *s = json_object_get(job, f.c_str());
            v = json_is_string(s) ? json_string_value(s) : "";
        }
        else if (f == "state")
            v = state;
        else if (f == "state_single")
            v = state_single(state);
        else if (f == "ntasks")
            v = std::to_string((long long)ntasks);
        else if (f == "nnodes")
            v = nnodes > 0 ? std::to_string((long long)nnodes) : "";
        else if (f == "ncores") {
            json_int_t ncores = 0;
            json_unpack(job, "{s?I}", "ncores", &ncores);
            v = ncores > 0 ? std::to_string((long long)ncores) : "";
        }
        else if (f == "nodelist") {
            json_t *nl = json_object_get(job, "nodelist");
            v = json_is_string(nl) ? json_string_value(nl) : "";
        }
        else if (f == "success" || f == "exception.occurred")
            v = !inactive ? "" : (f == "success" ? success : exc != nullptr) ? "True" : "False";
        else if (f == "exception.severity") {
            int sev = -1;
            if (exc)
                json_unpack(exc, "{s?i}", "severity", &sev);
            v = sev >= 0 ? std::to_string(sev) : "";
        }
        else if (f == "duration" || f == "t_remaining") {
            double d = field_number(job, f, now);
            v = std::isnan(d) ? "" : flux::fsd_format(d);
        }
        else if (f == "expiration" || f == "t_depend") {
            double t = field_number(job, f, now);
            v = std::isnan(t) ? "" : num(t, p.precision);
        }
        else if (f == "dependencies") {
            size_t k;
            json_t *d;
            json_array_foreach(json_object_get(job, "dependencies"), k, d)
                v += (v.empty() ? "" : ",") + std::string(json_string_value(d) ? json_string_value(d) : "");
        }
        else if (f == "inactive_reason") {
            /* As Flux: why the job ended. */
            if (!inactive)
                v = "";
            else if (exc && !strcmp(etype, "cancel"))
                v = std::string("Canceled") + (*enote ? std::string(": ") + enote : "");
            else if (exc && !strcmp(etype, "timeout"))
                v = "Timeout";
            else if (exc)
                v = std::string("Exception: type=") + etype + (*enote ? std::string(" note=") + enote : "");
            else if (status > 0 && (status & 0x7f) != 0)
                v = std::string("Killed by ") + (sigabbrev_np(status & 0x7f) ? std::string("SIG") + sigabbrev_np(status & 0x7f) : "signal " + std::to_string(status & 0x7f));
            else if (status >= 0)
                v = "Exit " + std::to_string(status >> 8);
        }
        else if (f == "urgency")
            v = std::to_string(urgency);
        else if (f == "priority")
            v = priority >= 0 ? std::to_string((long long)priority) : "";
        else if (f == "t_submit" || f == "t_run" || f == "t_cleanup" || f == "t_inactive") {
            double t = f == "t_submit" ? t_submit : f == "t_run" ? t_run : f == "t_cleanup" ? t_cleanup : t_inactive;
            v = t > 0 ? num(t, p.precision) : "";
        }
        else if (f == "runtime")
            v = t_run > 0 ? flux::fsd_format((t_cleanup > 0 ? t_cleanup : now) - t_run) : "";
        else if (f == "result" || f == "result_abbrev" || f == "status" || f == "status_abbrev") {
            /* Flux: status is the state while active, the result after. */
            bool abbrev = f.ends_with("_abbrev");
            if (!inactive)
                v = f.starts_with("result") ? "" : abbrev ? state_single(state) : state;
            else if (success)
                v = abbrev ? "CD" : "COMPLETED";
            else if (exc && !strcmp(etype, "cancel"))
                v = abbrev ? "CA" : "CANCELED";
            else if (exc && !strcmp(etype, "timeout"))
                v = abbrev ? "TO" : "TIMEOUT";
            else
                v = abbrev ? "F" : "FAILED";
        }
        else if (f == "contextual_time") {
            /* As Flux: the duration while pending, the runtime after. */
            double t = field_number(job, f, now);
            v = std::isnan(t) ? "" : flux::fsd_format(t);
        }
        else if (f == "waitstatus")
            v = status >= 0 ? std::to_string(status) : "";
        else if (f == "returncode")
            /* As Flux: the exit code, -SIGNO for a signal, -128 for a
             * job canceled before it ran. */
            v = !inactive ? "" : t_run <= 0 && exc && !strcmp(etype, "cancel") ? "-128"
                             : status >= 0 && (status & 0x7f) == 0 ? std::to_string(status >> 8)
                             : status > 0                             ? std::to_string(-(status & 0x7f))
                                                                      : exc ? "1" : "";
        else if (f == "contextual_info") {
            /* As Flux: why a pending job waits, where a job ran. */
            json_t *sched = json_object_get(json_object_get(job, "annotations"), "sched");
            json_t *reason = json_object_get(sched, "reason_pending");
            json_t *eta = json_object_get(sched, "t_estimate");
            json_t *nl = json_object_get(job, "nodelist");
            json_t *deps = json_object_get(job, "dependencies");
            if (!strcmp(state, "DEPEND") && json_array_size(deps) > 0) {
                size_t k;
                json_t *d;
                v = "depends:";
                json_array_foreach(deps, k, d)
                    v += (k ? "," : "") + std::string(json_string_value(d) ? json_string_value(d) : "");
            }
            else if (!strcmp(state, "PRIORITY"))
                v = "priority-wait";
            else if (!strcmp(state, "SCHED") && urgency == FLUX_JOB_URGENCY_HOLD)
                v = "held";
            else if (!strcmp(state, "SCHED") && json_is_number(eta))
                v = "eta:" + flux::fsd_format(std::max(0.0, json_number_value(eta) - now));
            else if (!strcmp(state, "SCHED") && json_is_string(reason))
                v = json_string_value(reason);
            else if (!inactive && json_is_string(json_object_get(job, "phase")))
                v = json_string_value(json_object_get(job, "phase")); /* prolog, epilog */
            else if (json_is_string(nl))
                v = json_string_value(nl);
            else if (*ranks)
                v = std::string("rank") + (strpbrk(ranks, ",-") ? "s " : " ") + ranks;
        }
        else if (f == "instance.stats") {
            json_t *st = json_object_get(json_object_get(job, "instance"), "stats");
            int pd = 0, r = 0, cd = 0, fl = 0;
            if (st && json_unpack(st, "{s:i s:i s:i s:i}", "pending", &pd, "running", &r,
                                  "successful", &cd, "failed", &fl) == 0)
                v = "PD:" + std::to_string(pd) + " R:" + std::to_string(r)
                    + " CD:" + std::to_string(cd) + " F:" + std::to_string(fl);
        }
        else if (f.starts_with("instance.")) {
            double d = instance_number(job, f);
            if (!std::isnan(d)) {
                char buf[64];
                snprintf(buf, sizeof(buf), "%g", d);
                v = buf;
            }
        }
        else if (f == "exception.type")
            v = etype;
        else if (f == "exception.note")
            v = enote;
        else if (f == "ranks")
            v = ranks;
        else if (f.ends_with("sched.t_estimate") || f.ends_with("sched.reason_pending")) {
            /* Pending jobs only: the scheduler's last word on them. */
            json_t *val = json_object_get(
                json_object_get(json_object_get(job, "annotations"), "sched"),
                f.ends_with("t_estimate") ? "t_estimate" : "reason_pending");
            if (json_is_number(val))
                v = num(json_number_value(val), p.precision);
            else if (json_is_string(val))
                v = json_string_value(val);
        }
        else if (annotation_field(f)) {
            json_t *val = annotation(job, f);
            if (json_is_string(val))
                v = json_string_value(val);
            else if (json_is_number(val))
                v = num(json_number_value(val), p.precision);
            else if (val && !json_is_null(val)) {
                char *text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
                v = text ? text : "";
                free(text);
            }
        }
        if (p.conv)
            v = convert(p, field_number(job, f, now));
        if (p.hyphen && (v.empty() || v == "0s" || v == "0.0" || v == "0:00:00"))
            v = "-";
        if (p.plus && p.precision > 0 && (int)v.size() > p.precision)
            v = v.substr(0, p.precision - 1) + "+";

        /* Precision limits text, but not the digits of a time. */
        int prec = f.rfind("t_", 0) == 0 || f.ends_with("t_estimate") ? -1 : p.precision;
        out += pad(v, p.align, p.width, prec);
    }
    return out;
}

} // namespace fluxcmd

namespace fluxcmd {

std::vector<std::string> JobsFormat::render_table(json_t *jobs, double now, bool header) const
{
    /* Leave out the "?:" columns that no job fills. */
    JobsFormat shown;
    for (const auto &p : pieces_) {
        bool keep = !p.optional;
        size_t i;
        json_t *job;
        JobsFormat one;
        Piece alone = p;
        alone.literal.clear();
        alone.width = 0;
        alone.hyphen = false;
        one.pieces_.push_back(alone);
        json_array_foreach(jobs, i, job)
        {
            if (keep)
                break;
            keep = !one.render(job, now).empty();
        }
        if (keep) /* a dropped column goes with the text before it */
            shown.pieces_.push_back(p);
    }
    std::vector<std::string> lines;
    auto trim = [](std::string line) {
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        return line;
    };
    if (header)
        lines.push_back(trim(shown.header()));
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
        lines.push_back(trim(shown.render(job, now)));
    return lines;
}

void JobsFormat::help(FILE *fp)
{
    fprintf(fp, "flux-jobs: named formats (--format=NAME):\n");
    for (const auto &n : jobs_named_formats)
        fprintf(fp, "  %-10s %s\n             %s\n", n.name, n.description, n.format);
    fprintf(fp, "\nfields ({FIELD[!CONV][:[<>^][WIDTH][.PRECISION][+][h]]}):\n");
    for (const auto &[name, title] : headers) {
        auto it = field_help.find(name);
        fprintf(fp, "  %-20s %s\n", name.c_str(), it != field_help.end() ? it->second : title.c_str());
    }
    fprintf(fp, "\nconversions: !D ISO 8601 time, !d:STRFTIME::SPEC a time, !F Flux standard\n"
                "duration, !H hours:minutes:seconds, !P percentage; + marks a truncated\n"
                "value, h prints - for an empty one, ?:{FIELD} drops an empty column.\n");
}

} // namespace fluxcmd
