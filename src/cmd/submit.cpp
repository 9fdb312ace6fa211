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

namespace fluxcmd {

namespace {

enum { opt_cc = 2000, opt_bcc, opt_quiet, opt_dry_run, opt_help, opt_wait, opt_watch };

std::string replace_all(std::string s, const std::string &from, const std::string &to)
{
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

/* Send every jobspec, then collect the ids in order (pipelined). */
std::vector<uint64_t> submit_all(flux_t *h, const std::vector<std::string> &jobspecs, int urgency)
{
    std::vector<flux_future_t *> fs;
    fs.reserve(jobspecs.size());
    /* A JSON jobspec is spliced into the payload as it is (checked once per
     * distinct text: copies of one jobspec cost a string copy each); any
     * other text (YAML) goes as a string for the server to parse. */
    const std::string *last = nullptr;
    std::string tail = ",\"urgency\":" + std::to_string(urgency) + "}";
    bool last_is_json = false;
    for (const auto &js : jobspecs) {
        if (!last || *last != js) {
            json_error_t jerr;
            json_t *o = json_loads(js.c_str(), 0, &jerr);
            last_is_json = json_is_object(o);
            json_decref(o);
            last = &js;
        }
        std::string payload;
        if (last_is_json)
            payload = "{\"jobspec\":" + js + tail;
        else {
            json_t *str = json_string(js.c_str());
            char *text = str ? json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT) : nullptr;
            json_decref(str);
            if (!text)
                die(1, "flux: submit: jobspec is not valid UTF-8");
            payload = std::string("{\"jobspec\":") + text + tail;
            free(text);
        }
        flux_future_t *f = flux_rpc(h, "job-ingest.submit", payload.c_str(), FLUX_NODEID_ANY, 0);
        if (!f)
            die(1, "flux: submit: %s", strerror(errno));
        fs.push_back(f);
    }
    /* Collect every answer: copies that were accepted stay queued even if
     * others were refused, so report both.  0 marks a refused one. */
    std::vector<uint64_t> ids;
    for (auto *f : fs) {
        json_int_t id;
        if (flux_rpc_get_unpack(f, "{s:I}", "id", &id) < 0) {
            fprintf(stderr, "flux: submit: %s\n", flux_future_error_string(f));
            id = 0;
        }
        ids.push_back((uint64_t)id);
        flux_future_destroy(f);
    }
    return ids;
}

} // namespace

int cmd_submit(int argc, char **argv)
{
    std::vector<struct option> opts;
    for (const struct option *p = job_option_longopts; p->name; p++)
        opts.push_back(*p);
    opts.push_back({"cc", required_argument, nullptr, opt_cc});
    opts.push_back({"bcc", required_argument, nullptr, opt_bcc});
    opts.push_back({"quiet", no_argument, nullptr, opt_quiet});
    opts.push_back({"dry-run", no_argument, nullptr, opt_dry_run});
    opts.push_back({"wait", no_argument, nullptr, opt_wait});
    opts.push_back({"watch", no_argument, nullptr, opt_watch});
    opts.push_back({"help", no_argument, nullptr, opt_help});
    opts.push_back({nullptr, 0, nullptr, 0});
    JobOptions o;
    std::string cc;
    bool bcc = false, quiet = false, dry_run = false, wait = false, watch = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, (std::string("+") + job_option_shortopts).c_str(),
                            opts.data(), nullptr))
           != -1) {
        if (job_option_handle(o, c, optarg))
            continue;
        switch (c) {
            case opt_cc:
            case opt_bcc:
                cc = optarg;
                bcc = c == opt_bcc;
                break;
            case opt_quiet:
                quiet = true;
                break;
            case opt_dry_run:
                dry_run = true;
                break;
            case opt_wait:
                wait = true;
                break;
            case opt_watch:
                watch = true;
                break;
            case opt_help:
                printf("Usage: flux submit [OPTIONS] COMMAND [ARGS...]\n%s"
                       "      --cc=IDSET            submit a copy per id ({cc} in COMMAND)\n"
                       "      --bcc=IDSET           like --cc without {cc} substitution\n"
                       "      --quiet               do not print job ids\n"
                       "      --wait                wait for the jobs; exit with the largest exit code\n"
                       "      --watch               like --wait, showing the jobs' output\n"
                       "      --dry-run             print the jobspec, do not submit\n",
                       job_option_help);
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
            die(1, "flux-submit: --cc: %s", err.empty() ? "empty idset" : err.c_str());
        copies = *ids;
    }
    std::vector<std::string> jobspecs;
    auto make = [&](const std::vector<std::string> &cmd) {
        auto js = job_options_jobspec(o, cmd);
        if (!js)
            die(1, "flux-submit: %s", js.error().text.c_str());
        char *s = json_dumps(js->get(), JSON_COMPACT);
        jobspecs.push_back(s);
        free(s);
    };
    bool substitute = !bcc && std::any_of(command.begin(), command.end(), [](const std::string &a) {
                          return a.find("{cc}") != std::string::npos;
                      });
    if (copies.empty())
        make(command);
    else if (!substitute) {
        /* Identical copies: build and validate the jobspec once. */
        make(command);
        jobspecs.resize(copies.count(), jobspecs.front());
    }
    else
        copies.for_each([&](uint32_t i) {
            std::vector<std::string> cmd = command;
            for (auto &a : cmd)
                a = replace_all(a, "{cc}", std::to_string(i));
            make(cmd);
        });
    if (dry_run) {
        for (const auto &js : jobspecs)
            printf("%s\n", js.c_str());
        return 0;
    }
    flux_t *h = open_or_die("flux-submit");
    auto ids = submit_all(h, jobspecs, o.urgency);
    int rc = 0;
    for (uint64_t id : ids) {
        if (id == 0)
            rc = 1;
        else if (!quiet)
            printf("%s\n", jobid_str(id).c_str());
    }
    fflush(stdout);
    if (wait || watch) {
        /* The largest exit code of the jobs becomes ours. */
        for (uint64_t id : ids) {
            if (id == 0)
                continue;
            int code = job_attach(h, id, !watch);
            rc = std::max(rc, code);
        }
    }
    flux_close(h);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    std::vector<struct option> opts;
    for (const struct option *p = job_option_longopts; p->name; p++)
        opts.push_back(*p);
    opts.push_back({"help", no_argument, nullptr, opt_help});
    opts.push_back({nullptr, 0, nullptr, 0});
    JobOptions o;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, (std::string("+") + job_option_shortopts).c_str(),
                            opts.data(), nullptr))
           != -1) {
        if (job_option_handle(o, c, optarg))
            continue;
        if (c == opt_help) {
            printf("Usage: flux run [OPTIONS] COMMAND [ARGS...]\n%s", job_option_help);
            return 0;
        }
        return 1;
    }
    if (optind >= argc)
        die(1, "Usage: flux run [OPTIONS] COMMAND [ARGS...]");
    std::vector<std::string> command(argv + optind, argv + argc);
    auto js = job_options_jobspec(o, command);
    if (!js)
        die(1, "flux-run: %s", js.error().text.c_str());
    char *s = json_dumps(js->get(), JSON_COMPACT);
    std::string text = s;
    free(s);
    flux_t *h = open_or_die("flux-run");
    auto ids = submit_all(h, {text}, o.urgency);
    if (ids[0] == 0)
        return 1;
    int rc = job_attach(h, ids[0], false);
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
    auto ids = submit_all(h, {ss.str()}, urgency);
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
