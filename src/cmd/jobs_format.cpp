/* jobs_format.cpp - flux jobs --format (Flux field names, Python-like specs). */
#include <cerrno>
#include <cstring>
#include <map>
#include <pwd.h>

#include "flux/job.h"
#include "fsd/fsd.h"
#include "jobs_format.h"

namespace fluxcmd {

const char *jobs_default_format = "{id.f58:>12} {username:<8.8} {name:<10.10} {status_abbrev:>2.2} "
                                  "{ntasks:>6} {nnodes:>6} {contextual_time:>8} {contextual_info}";

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

} // namespace

flux::Result<JobsFormat> JobsFormat::parse(const std::string &fmt)
{
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
        p.literal = lit;
        lit.clear();
        size_t colon = spec.find(':');
        p.field = spec.substr(0, colon);
        if (!headers.count(p.field))
            return flux::make_error(EINVAL, "format: unknown field '" + p.field + "'");
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
            /* Flux's "h" (blank when empty) is accepted and implied. */
            if (k < s.size() && s[k] == 'h')
                k++;
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

std::string JobsFormat::header() const
{
    std::string out;
    for (const auto &p : pieces_) {
        out += p.literal;
        if (!p.field.empty())
            out += pad(headers.at(p.field), p.align, p.width, p.precision);
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
        else if (f == "contextual_time")
            v = t_run > 0 ? flux::fsd_format((t_cleanup > 0 ? t_cleanup : now) - t_run) : "";
        else if (f == "waitstatus")
            v = status >= 0 ? std::to_string(status) : "";
        else if (f == "returncode")
            v = !inactive ? "" : status >= 0 && (status & 0x7f) == 0 ? std::to_string(status >> 8)
                             : status > 0                             ? std::to_string(128 + (status & 0x7f))
                                                                      : exc ? "1" : "";
        else if (f == "contextual_info") {
            if (!strcmp(state, "DEPEND") &&
                json_array_size(json_object_get(job, "dependencies")) > 0) {
                /* As in Flux: depends:afterok:ƒ2Vb,singleton */
                v = "depends:";
                size_t i;
                json_t *d;
                json_array_foreach(json_object_get(job, "dependencies"), i, d)
                    v += (i ? "," : "") + std::string(json_string_value(d) ? json_string_value(d) : "");
            }
            else if (!strcmp(state, "PRIORITY"))
                v = "priority-wait";
            else if (inactive && exc)
                v = std::string(etype) + (*enote ? std::string(": ") + enote : "");
            else if (inactive && status > 0 && (status & 0x7f) == 0)
                v = "exit " + std::to_string(status >> 8);
            else if (inactive && status > 0)
                v = "signal " + std::to_string(status & 0x7f);
            else if (!inactive && json_is_string(json_object_get(job, "phase")))
                v = json_string_value(json_object_get(job, "phase")); /* prolog, epilog */
            else if (!inactive && *ranks)
                v = std::string("rank ") + ranks;
        }
        else if (f == "exception.type")
            v = etype;
        else if (f == "exception.note")
            v = enote;
        else if (f == "ranks")
            v = ranks;
        /* Precision limits text, but not the digits of a time. */
        int prec = f.rfind("t_", 0) == 0 ? -1 : p.precision;
        out += pad(v, p.align, p.width, prec);
    }
    return out;
}

} // namespace fluxcmd
