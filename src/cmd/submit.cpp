/* submit.cpp - flux submit (enqueue jobs from a command line, --cc copies
 * as job arrays) and flux run (submit one job and attach to it). */
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <optional>

#include <string>
#include <vector>

#include "cmd.h"
#include "idset/idset.h"
#include "jobspec_opts.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

enum { opt_cc = 2000, opt_bcc, opt_dry_run, opt_help, opt_label_io };

/* Copies one flux submit may ask for (--cc/--bcc): each costs the command
 * 12 bytes and the instance a job; more is almost surely a typo. */
constexpr size_t copies_max = 1000000;

std::string replace_all(std::string s, const std::string &from, const std::string &to)
{
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

std::string jobspec_text(const JobOptions &o, const std::vector<std::string> &command,
                         const char *prog)
{
    auto js = job_options_jobspec(o, command);
    if (!js)
        die(1, "%s: %s", prog, js.error().text.c_str());
    char *s = json_dumps(js->get(), JSON_COMPACT);
    std::string text = s;
    free(s);
    return text;
}

} // namespace

int cmd_submit(int argc, char **argv)
{
    auto opts = job_command_longopts({submit_flag_longopts},
                                     {{"cc", required_argument, nullptr, opt_cc},
                                      {"bcc", required_argument, nullptr, opt_bcc},
                                      {"dry-run", no_argument, nullptr, opt_dry_run},
                                      {"help", no_argument, nullptr, opt_help}});
    std::vector<JobOptionArg> given;
    SubmitFlags flags;
    std::string cc;
    bool bcc = false, dry_run = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, (std::string("+") + job_option_shortopts).c_str(),
                            opts.data(), nullptr))
           != -1) {
        if (!job_option_name(c).empty()) {
            if (!optarg || !strstr(optarg, "{cc}")) {
                JobOptions check;
                job_option_handle(check, c, optarg);
            }
            given.push_back({c, optarg ? optarg : ""});
            continue;
        }
        if (submit_flag_handle(flags, c, optarg))
            continue;
        switch (c) {
            case opt_cc:
            case opt_bcc:
                cc = optarg;
                bcc = c == opt_bcc;
                break;
            case opt_dry_run:
                dry_run = true;
                break;
            case opt_help:
                printf("Usage: flux submit [OPTIONS] COMMAND [ARGS...]\n%s%s"
                       "      --cc=IDSET            submit a copy per id ({cc} in COMMAND and\n"
                       "                            option values; FLUX_JOB_CC=id in its\n"
                       "                            environment)\n"
                       "      --bcc=IDSET           like --cc without setting FLUX_JOB_CC\n"
                       "      --dry-run             print the jobspec, do not submit\n",
                       job_option_help, submit_flag_help);
                return 0;
            default:
                return 1;
        }
    }
    if (optind >= argc)
        die(1, "Usage: flux submit [OPTIONS] COMMAND [ARGS...]");
    std::vector<std::string> command(argv + optind, argv + argc);
    flux::IdSet copies;
    if (!cc.empty()) {
        std::string err;
        auto ids = flux::IdSet::parse(cc, &err);
        if (!ids || ids->empty())
            die(1, "flux-submit: --%s: %s", bcc ? "bcc" : "cc",
                err.empty() ? "empty idset" : err.c_str());
        if (ids->count() > copies_max)
            die(1, "flux-submit: --%s: %zu copies asked for; at most %zu per command", bcc ? "bcc" : "cc",
                ids->count(), copies_max);
        copies = *ids;
    }
    /* One job, or one per --cc id with {cc} replaced in the command, the
     * option values and --log (job{cc}.id: a file per copy).  The options
     * were checked as given above, except a value holding {cc}: that one is
     * checked once replaced. */
    bool per_job_log = !copies.empty() && flags.log.find("{cc}") != std::string::npos;
    const std::string log_template = flags.log; /* flags.log is cleared below */
    auto make = [&](const std::string *id) {
        JobOptions o;
        for (const auto &g : given) {
            std::string arg = id ? replace_all(g.arg, "{cc}", *id) : g.arg;
            job_option_handle(o, g.code, arg.c_str());
        }
        if (id && !bcc)
            o.env_rules.push_back("FLUX_JOB_CC=" + *id);
        std::vector<std::string> cmd = command;
        if (id) {
            for (auto &a : cmd)
                a = replace_all(a, "{cc}", *id);
        }
        std::string log = per_job_log && id ? replace_all(log_template, "{cc}", *id) : "";
        JobRequest r(jobspec_text(o, cmd, "flux-submit"), o.urgency, log);
        r.flags = o.flags;
        r.json = true;
        return r;
    };
    /* The copies, made one at a time as they are sent: the ids only are
     * held (4 bytes a copy). */
    std::vector<uint32_t> ccs;
    ccs.reserve(copies.count());
    copies.for_each([&](uint32_t i) { ccs.push_back(i); });
    std::optional<JobList> jobs;
    /* Copies that differ only in FLUX_JOB_CC (no {cc} anywhere): build the
     * jobspec once and set the id in its text. */
    bool templated = !copies.empty() && !per_job_log
                     && std::none_of(given.begin(), given.end(),
                                     [](const JobOptionArg &g) {
                                         return g.arg.find("{cc}") != std::string::npos;
                                     })
                     && std::none_of(command.begin(), command.end(), [](const std::string &a) {
                            return a.find("{cc}") != std::string::npos;
                        });
    if (templated) {
        const std::string mark = "@@FLUX_JOB_CC@@";
        std::string id = mark;
        JobRequest tmpl = make(&id);
        size_t at = tmpl.jobspec.find("\"" + mark + "\"");
        if (bcc || (at != std::string::npos
                    && tmpl.jobspec.find(mark, at + mark.size() + 2) == std::string::npos)) {
            /* One shared text for every copy. */
            auto text = std::make_shared<const std::string>(std::move(tmpl.jobspec));
            int urgency = tmpl.urgency, flags = tmpl.flags;
            size_t len = mark.size() + 2;
            jobs.emplace(ccs.size(), [text, urgency, flags, at, len, bcc, &ccs](size_t k) {
                JobRequest r;
                r.urgency = urgency;
                r.flags = flags;
                r.tmpl = text;
                r.json = true;
                r.cc = ccs[k];
                r.bcc = bcc;
                if (!bcc) {
                    r.at = at;
                    r.len = len;
                    r.subst = "\"" + std::to_string(ccs[k]) + "\"";
                }
                return r;
            });
        }
        else
            templated = false;
    }
    if (copies.empty())
        jobs.emplace(std::vector<JobRequest>{make(nullptr)});
    else if (!templated) {
        auto make_copy = [&make, &ccs](size_t k) {
            std::string id = std::to_string(ccs[k]);
            JobRequest r = make(&id);
            r.cc = ccs[k]; /* for messages: a single request each */
            return r;
        };
        /* Check every copy's options before submitting any. */
        if (!dry_run) {
            for (size_t k = 0; k < ccs.size(); k++)
                make_copy(k);
        }
        jobs.emplace(ccs.size(), make_copy);
    }
    if (dry_run) {
        for (size_t k = 0; k < jobs->size(); k++)
            printf("%s\n", (*jobs)[k].text().c_str());
        return 0;
    }
    if (per_job_log)
        flags.log.clear();
    submit_flags_open_logs("flux-submit", flags);
    flux_t *h = open_or_die("flux-submit");
    int rc = submit_and_wait(h, "flux", *jobs, flags);
    flux_close(h);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    auto opts = job_command_longopts({}, {{"label-io", no_argument, nullptr, opt_label_io},
                                          {"dry-run", no_argument, nullptr, opt_dry_run},
                                          {"help", no_argument, nullptr, opt_help}});
    JobOptions o;
    bool label = false, dry_run = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, (std::string("+l") + job_option_shortopts).c_str(),
                            opts.data(), nullptr))
           != -1) {
        if (job_option_handle(o, c, optarg))
            continue;
        if (c == opt_label_io || c == 'l') {
            label = true;
            continue;
        }
        if (c == opt_dry_run) {
            dry_run = true;
            continue;
        }
        if (c == opt_help) {
            printf("Usage: flux run [OPTIONS] COMMAND [ARGS...]\n%s"
                   "  -l, --label-io            prefix each output line with its task rank\n"
                   "      --dry-run             print the jobspec, do not submit\n",
                   job_option_help);
            return 0;
        }
        return 1;
    }
    if (optind >= argc)
        die(1, "Usage: flux run [OPTIONS] COMMAND [ARGS...]");
    std::vector<std::string> command(argv + optind, argv + argc);
    /* --input=RANKS (an idset, as Flux): stdin goes to those tasks only. */
    std::string ranks = "all";
    if (!o.input.empty() && o.input.find_first_not_of("0123456789,-") == std::string::npos) {
        ranks = o.input;
        o.input_ranks = o.input;
        o.input.clear();
    }
    /* Nothing to forward (stdin is /dev/null or closed): the tasks read
     * /dev/null and no shell watches guest.input.  --dry-run prints the
     * jobspec of the options alone, as flux submit --dry-run does. */
    bool forward = o.input.empty() && stdin_forwardable();
    o.input_null = o.input.empty() && !forward && !dry_run;
    std::string text = jobspec_text(o, command, "flux-run");
    if (dry_run) { /* as flux submit --dry-run: no instance needed */
        printf("%s\n", text.c_str());
        return 0;
    }
    flux_t *h = open_or_die("flux-run");
    JobRequest req(text, o.urgency, "");
    req.flags = o.flags;
    req.json = true;
    auto ids = submit_jobspecs(h, "flux", JobList(std::vector<JobRequest>{req}), nullptr);
    if (ids[0] == 0)
        return 1;
    int rc = job_attach(h, ids[0], false, label, forward ? ranks.c_str() : nullptr);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
