/* submit.cpp - flux submit (enqueue a job from a command line) and
 * flux job submit|id. */
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <getopt.h>
#include <sstream>

#include <string>
#include <vector>

#include "cmd.h"
#include "fluid/fluid.h"
#include "idset/idset.h"
#include "jobspec_opts.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

enum { opt_cc = 2000, opt_bcc, opt_dry_run, opt_help, opt_label_io };

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
        copies = *ids;
    }
    /* One job, or one per --cc id with {cc} replaced in the command, the
     * option values and --log (job{cc}.id: a file per copy).  The options
     * were checked as given above, except a value holding {cc}: that one is
     * checked once replaced. */
    bool per_job_log = !copies.empty() && flags.log.find("{cc}") != std::string::npos;
    std::vector<JobRequest> jobs;
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
        std::string log = per_job_log && id ? replace_all(flags.log, "{cc}", *id) : "";
        jobs.push_back({jobspec_text(o, cmd, "flux-submit"), o.urgency, log});
        jobs.back().json = true;
    };
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
        make(&id);
        JobRequest tmpl = std::move(jobs.back());
        jobs.pop_back();
        size_t at = tmpl.jobspec.find("\"" + mark + "\"");
        if (bcc || (at != std::string::npos
                    && tmpl.jobspec.find(mark, at + mark.size() + 2) == std::string::npos)) {
            /* One shared text: 100k copies must not hold 100k jobspecs. */
            auto text = std::make_shared<const std::string>(std::move(tmpl.jobspec));
            copies.for_each([&](uint32_t i) {
                JobRequest r;
                r.urgency = tmpl.urgency;
                r.log = tmpl.log;
                r.tmpl = text;
                r.json = true;
                r.cc = i;
                r.bcc = bcc;
                if (!bcc) {
                    r.at = at;
                    r.len = mark.size() + 2;
                    r.subst = "\"" + std::to_string(i) + "\"";
                }
                jobs.push_back(std::move(r));
            });
        }
        else
            templated = false;
    }
    if (copies.empty())
        make(nullptr);
    else if (!templated)
        copies.for_each([&](uint32_t i) {
            std::string id = std::to_string(i);
            make(&id);
        });
    if (dry_run) {
        for (const auto &job : jobs)
            printf("%s\n", job.text().c_str());
        return 0;
    }
    if (per_job_log)
        flags.log.clear();
    submit_flags_open_logs("flux-submit", flags);
    flux_t *h = open_or_die("flux-submit");
    int rc = submit_and_wait(h, "flux", jobs, flags);
    flux_close(h);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    auto opts = job_command_longopts({}, {{"label-io", no_argument, nullptr, opt_label_io},
                                          {"help", no_argument, nullptr, opt_help}});
    JobOptions o;
    bool label = false;
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
        if (c == opt_help) {
            printf("Usage: flux run [OPTIONS] COMMAND [ARGS...]\n%s"
                   "  -l, --label-io            prefix each output line with its task rank\n",
                   job_option_help);
            return 0;
        }
        return 1;
    }
    if (optind >= argc)
        die(1, "Usage: flux run [OPTIONS] COMMAND [ARGS...]");
    std::vector<std::string> command(argv + optind, argv + argc);
    std::string text = jobspec_text(o, command, "flux-run");
    flux_t *h = open_or_die("flux-run");
    JobRequest req(text, o.urgency, "");
    req.json = true;
    auto ids = submit_jobspecs(h, "flux", {req}, nullptr);
    if (ids[0] == 0)
        return 1;
    int rc = job_attach(h, ids[0], false, label);
    flux_close(h);
    return rc;
}

namespace {

int job_submit(int argc, char **argv)
{
    int urgency = 16, c;
    static const struct option opts[] = {
        {"urgency", required_argument, nullptr, 'u'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    while ((c = getopt_long(argc, argv, "+u:h", opts, nullptr)) != -1) {
        if (c == 'u') {
            JobOptions o;
            job_option_handle(o, urgency_option(), optarg);
            urgency = o.urgency;
        }
        else if (c == 'h') {
            printf("Usage: flux job submit [--urgency=N] [FILE]\n");
            return 0;
        }
        else
            return 1;
    }
    std::stringstream ss;
    if (optind < argc) {
        std::ifstream in(argv[optind]);
        if (!in)
            die(1, "flux-job: submit: %s: %s", argv[optind], strerror(errno));
        ss << in.rdbuf();
    }
    else
        ss << std::cin.rdbuf();
    flux_t *h = open_or_die("flux-job");
    auto ids = submit_jobspecs(h, "flux", {{ss.str(), urgency, ""}}, nullptr);
    if (ids[0] == 0)
        return 1;
    printf("%s\n", jobid_str(ids[0]).c_str());
    flux_close(h);
    return 0;
}

int job_id(int argc, char **argv)
{
    std::string to = "dec";
    int c;
    static const struct option opts[] = {
        {"to", required_argument, nullptr, 't'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:h", opts, nullptr)) != -1) {
        if (c == 't')
            to = optarg;
        else if (c == 'h') {
            printf("Usage: flux job id [--to=dec|hex|dothex|f58|kvs] ID...\n");
            return 0;
        }
        else
            return 1;
    }
    if (optind >= argc)
        die(1, "Usage: flux job id [--to=dec|hex|dothex|f58|kvs] ID...");
    for (int i = optind; i < argc; i++) {
        auto id = flux::fluid_parse(argv[i]);
        if (!id)
            die(1, "flux-job: %s", id.error().text.c_str());
        std::string out;
        if (to == "dec")
            out = flux::fluid_encode(*id, flux::FluidFormat::dec);
        else if (to == "hex")
            out = flux::fluid_encode(*id, flux::FluidFormat::hex);
        else if (to == "dothex")
            out = flux::fluid_encode(*id, flux::FluidFormat::dothex);
        else if (to == "f58")
            out = flux::fluid_encode(*id, flux::FluidFormat::f58);
        else if (to == "kvs")
            out = "job." + flux::fluid_encode(*id, flux::FluidFormat::dothex);
        else
            die(1, "flux-job: id: unknown format '%s' (dec, hex, dothex, f58, kvs)", to.c_str());
        printf("%s\n", out.c_str());
    }
    return 0;
}

} // namespace

int cmd_job(int argc, char **argv)
{
    const char *usage = "Usage: flux job submit [--urgency=N] [FILE]\n"
                        "       flux job id [--to=dec|hex|dothex|f58|kvs] ID...\n"
                        "       flux job raise [--severity=N] [--type=TYPE] JOBID [NOTE...]\n"
                        "       flux job cancel [-m NOTE] JOBID...\n"
                        "       flux job urgency JOBID N|hold|default|expedite\n"
                        "       flux job wait JOBID\n"
                        "       flux job attach JOBID\n"
                        "       flux job info JOBID KEY...\n"
                        "       flux job kill [--signal=SIG] JOBID...\n"
                        "       flux job eventlog [-f] JOBID\n"
                        "       flux job wait-event [-t TIMEOUT] [-q] JOBID NAME";
    if (argc < 2)
        die(1, "%s", usage);
    std::string sub = argv[1];
    if (sub == "submit")
        return job_submit(argc - 1, argv + 1);
    if (sub == "id")
        return job_id(argc - 1, argv + 1);
    if (sub == "cancel") /* as flux cancel */
        return cmd_cancel(argc - 1, argv + 1);
    if (sub == "raise" || sub == "urgency" || sub == "wait" || sub == "eventlog"
        || sub == "wait-event" || sub == "attach" || sub == "info" || sub == "kill") {
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
                printf("%s\n", usage);
                return 0;
            }
        }
        return job_manager_cmd(sub, argc - 1, argv + 1);
    }
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage);
        return 0;
    }
    die(1, "flux-job: unknown subcommand '%s'\n%s", sub.c_str(), usage);
}

} // namespace fluxcmd
