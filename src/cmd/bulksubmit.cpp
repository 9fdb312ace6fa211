/* bulksubmit.cpp - flux bulksubmit: submit one job per combination of
 * inputs, read from stdin or given after ::: (or read from files after
 * ::::) on the command line, with the inputs filled into the command and
 * the option values (see flux-bulksubmit(1) and bulk_template.h). */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <getopt.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "bulk_template.h"
#include "cmd.h"
#include "idset/idset.h"
#include "jobspec_opts.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

const char *prog = "flux-bulksubmit";
const char *usage_line =
    "Usage: flux bulksubmit [OPTIONS] COMMAND [ARGS...] [::: INPUTS...] [:::: FILE...]";

enum {
    opt_cc = 4000,
    opt_bcc,
    opt_dry_run,
    opt_help,
    opt_sep,
    opt_shuffle,
    opt_define,
    opt_verbose = 'v',
};

/* One list of inputs.  A linked list (after :::+ or ::::+) is paired
 * element by element with the list before it instead of multiplied. */
struct InputList {
    std::vector<std::string> items;
    bool linked = false;
};

/* TEXT cut at SEP ("none": at runs of whitespace); empty pieces dropped. */
std::vector<std::string> split_inputs(const std::string &text, const std::string &sep)
{
    std::vector<std::string> out;
    if (sep == "none") {
        size_t i = 0;
        while ((i = text.find_first_not_of(" \t\n\r\f\v", i)) != std::string::npos) {
            size_t end = text.find_first_of(" \t\n\r\f\v", i);
            out.push_back(text.substr(i, end == std::string::npos ? std::string::npos : end - i));
            i = end;
        }
        return out;
    }
    size_t start = 0;
    for (;;) {
        size_t at = text.find(sep, start);
        std::string piece = text.substr(start, at == std::string::npos ? std::string::npos
                                                                       : at - start);
        if (!piece.empty())
            out.push_back(piece);
        if (at == std::string::npos)
            break;
        start = at + sep.size();
    }
    return out;
}

/* The whole of PATH ("-": stdin); dies naming the file if it cannot. */
std::string read_input(const std::string &path)
{
    FILE *fp = path == "-" ? stdin : fopen(path.c_str(), "r");
    if (!fp)
        die(1, "%s: %s: %s", prog, path.c_str(), strerror(errno));
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        text.append(buf, n);
    if (ferror(fp))
        die(1, "%s: %s: %s", prog, path == "-" ? "stdin" : path.c_str(), strerror(errno));
    if (fp != stdin)
        fclose(fp);
    return text;
}

bool is_separator(const std::string &a)
{
    return a == ":::" || a == ":::+" || a == "::::" || a == "::::+";
}

/* The input lists after the command: ARGS starts at the first separator. */
std::vector<InputList> parse_input_lists(const std::vector<std::string> &args,
                                         const std::string &sep)
{
    std::vector<InputList> lists;
    size_t i = 0;
    while (i < args.size()) {
        std::string mark = args[i++];
        bool from_files = mark.rfind("::::", 0) == 0;
        bool linked = mark.back() == '+';
        if (linked && lists.empty())
            die(1, "%s: '%s' links to the input list before it, but there is none", prog,
                mark.c_str());
        size_t start = i;
        while (i < args.size() && !is_separator(args[i]))
            i++;
        if (i == start)
            die(1, "%s: '%s' is followed by no %s", prog, mark.c_str(),
                from_files ? "file" : "inputs");
        if (!from_files) {
            InputList l;
            l.linked = linked;
            l.items.assign(args.begin() + start, args.begin() + i);
            lists.push_back(std::move(l));
            continue;
        }
        /* Each file is a list of its own, as in GNU parallel. */
        for (size_t k = start; k < i; k++) {
            InputList l;
            l.linked = linked && k == start;
            l.items = split_inputs(read_input(args[k]), sep);
            if (l.items.empty())
                die(1, "%s: %s: no inputs", prog, args[k] == "-" ? "stdin" : args[k].c_str());
            lists.push_back(std::move(l));
        }
    }
    return lists;
}

/* Every combination of the lists, one input from each: the first unlinked
 * list varies slowest, the last fastest; a linked list follows the list it
 * is linked to, cycling when shorter. */
std::vector<std::vector<std::string>> combinations(const std::vector<InputList> &lists)
{
    std::vector<std::vector<size_t>> groups; /* indexes into lists; [0] unlinked */
    for (size_t i = 0; i < lists.size(); i++) {
        if (lists[i].linked)
            groups.back().push_back(i);
        else
            groups.push_back({i});
    }
    std::vector<std::vector<std::string>> out;
    std::vector<size_t> pos(groups.size(), 0);
    for (;;) {
        std::vector<std::string> inputs(lists.size());
        for (size_t g = 0; g < groups.size(); g++) {
            for (size_t i : groups[g])
                inputs[i] = lists[i].items[pos[g] % lists[i].items.size()];
        }
        out.push_back(std::move(inputs));
        /* Advance the odometer, fastest at the end. */
        size_t g = groups.size();
        while (g > 0) {
            g--;
            if (++pos[g] < lists[groups[g][0]].items.size())
                break;
            pos[g] = 0;
            if (g == 0)
                return out;
        }
    }
}

/* A word as a shell would need it to read it back. */
std::string shell_quote(const std::string &s)
{
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_./:=,+@%^-")
                          == std::string::npos)
        return s;
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string expand_or_die(const std::string &tmpl, const BulkFields &fields)
{
    auto r = bulk_template_expand(tmpl, fields);
    if (!r)
        die(1, "%s: %s", prog, r.error().text.c_str());
    return *r;
}

} // namespace

int cmd_bulksubmit(int argc, char **argv)
{
    auto opts = job_command_longopts({submit_flag_longopts},
                                     {{"cc", required_argument, nullptr, opt_cc},
                                      {"bcc", required_argument, nullptr, opt_bcc},
                                      {"dry-run", no_argument, nullptr, opt_dry_run},
                                      {"sep", required_argument, nullptr, opt_sep},
                                      {"shuffle", no_argument, nullptr, opt_shuffle},
                                      {"define", required_argument, nullptr, opt_define},
                                      {"verbose", no_argument, nullptr, opt_verbose},
                                      {"help", no_argument, nullptr, opt_help}});
    std::vector<JobOptionArg> given;
    SubmitFlags flags;
    std::string cc, sep = "\n";
    bool bcc = false, dry_run = false, shuffle = false, verbose = false;
    int c;
    optind = 1;
    opterr = 0; /* the messages below name the command */
    while ((c = getopt_long(argc, argv, (std::string("+:v") + job_option_shortopts).c_str(),
                            opts.data(), nullptr))
           != -1) {
        if (!job_option_name(c).empty()) {
            /* Check a value now unless it varies per job. */
            if (!optarg || !bulk_template_has_fields(optarg)) {
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
            case opt_sep:
                if (!*optarg)
                    die(1, "%s: --sep: the separator must not be empty (use 'none' to split "
                           "at whitespace)",
                        prog);
                sep = optarg;
                break;
            case opt_shuffle:
                shuffle = true;
                break;
            case opt_verbose:
                verbose = true;
                break;
            case opt_define:
                die(1, "%s: --define is not supported (fluxd has no Python to evaluate it); "
                       "use {.%%}, {./}, {.//} or {./%%}",
                    prog);
            case opt_help:
                printf("%s\n\nOne job per combination of inputs: one per line on stdin, or the\n"
                       "words after each ::: (combined), :::+ (paired with the list before),\n"
                       ":::: FILE (read from FILE, - for stdin).  In COMMAND and option values\n"
                       "{} is the input, {0} {1}... the input of each list, {seq} {seq1} the\n"
                       "combination's number from 0 or 1, {cc} the --cc id; {.%%} {./} {.//}\n"
                       "{./%%} drop the extension, take the basename, dirname, or basename\n"
                       "without extension ({0.%%}...).  {{ and }} are literal braces.\n\n%s%s"
                       "      --cc=IDSET            a copy of each job per id ({cc});\n"
                       "                            FLUX_JOB_CC=id in its environment\n"
                       "      --bcc=IDSET           like --cc without setting FLUX_JOB_CC\n"
                       "      --sep=STRING          split inputs at STRING (default newline;\n"
                       "                            'none': at whitespace)\n"
                       "      --shuffle             submit the jobs in random order\n"
                       "      --dry-run             print the jobs, do not submit (with -v, and\n"
                       "                            their jobspecs)\n"
                       "  -v, --verbose             print each job on stderr as it is submitted\n",
                       usage_line, job_option_help, submit_flag_help);
                return 0;
            case ':':
                die(1, "%s: option '%s' needs a value\nTry 'flux bulksubmit --help'.", prog,
                    argv[optind - 1]);
            default: {
                const char *arg = argv[optind - 1];
                if (strncmp(arg, "--", 2) != 0)
                    die(1, "%s: unknown option '-%c'\nTry 'flux bulksubmit --help'.", prog,
                        optopt);
                if (optopt)
                    die(1, "%s: option '%.*s' takes no value", prog,
                        (int)strcspn(arg, "="), arg);
                die(1, "%s: unknown option '%s'\nTry 'flux bulksubmit --help'.", prog, arg);
            }
        }
    }
    std::vector<std::string> rest(argv + optind, argv + argc);
    auto first_sep = std::find_if(rest.begin(), rest.end(), is_separator);
    std::vector<std::string> command(rest.begin(), first_sep);
    std::vector<std::string> list_args(first_sep, rest.end());
    if (command.empty() && list_args.empty())
        die(1, "%s", usage_line);
    std::vector<InputList> lists = parse_input_lists(list_args, sep);
    if (lists.empty()) {
        InputList l;
        l.items = split_inputs(read_input("-"), sep);
        if (l.items.empty())
            die(1, "%s: no inputs on stdin (give them one per line, or after ::: on the "
                   "command line)",
                prog);
        lists.push_back(std::move(l));
    }
    auto combos = combinations(lists);

    /* Build every job before submitting any, so that a bad value stops the
     * command with nothing submitted. */
    struct Job {
        JobRequest request;
        std::string description; /* "bulksubmit: submit ..." */
    };
    std::vector<Job> jobs;
    /* --log=out.{seq}: a file per job. */
    bool per_job_log = bulk_template_has_fields(flags.log);
    auto make = [&](const BulkFields &fields) {
        JobOptions o;
        std::string shown; /* the options that vary, then the command */
        for (const auto &g : given) {
            if (!bulk_template_has_fields(g.arg)) {
                job_option_handle(o, g.code, g.arg.c_str());
                continue;
            }
            std::string arg = expand_or_die(g.arg, fields);
            job_option_handle(o, g.code, arg.c_str());
            shown += " " + shell_quote("--" + job_option_name(g.code) + "=" + arg);
        }
        if (!fields.cc.empty() && !bcc)
            o.env_rules.push_back("FLUX_JOB_CC=" + fields.cc);
        std::vector<std::string> cmd;
        if (command.empty()) {
            /* No COMMAND: the inputs are the command. */
            std::string all;
            for (const auto &in : fields.inputs)
                all += (all.empty() ? "" : " ") + in;
            cmd = split_inputs(all, "none");
        }
        for (const auto &a : command)
            cmd.push_back(expand_or_die(a, fields));
        for (const auto &a : cmd)
            shown += " " + shell_quote(a);
        auto js = job_options_jobspec(o, cmd);
        if (!js)
            die(1, "%s: job %zu (%s): %s", prog, (size_t)fields.seq,
                shown.empty() ? "" : shown.c_str() + 1, js.error().text.c_str());
        char *text = json_dumps(js->get(), JSON_COMPACT);
        std::string log = per_job_log ? expand_or_die(flags.log, fields) : "";
        jobs.push_back({{text, o.urgency, log}, "bulksubmit: submit" + shown});
        jobs.back().request.json = true;
        jobs.back().request.flags = o.flags;
        free(text);
    };
    for (size_t seq = 0; seq < combos.size(); seq++) {
        BulkFields fields;
        fields.inputs = std::move(combos[seq]);
        fields.seq = seq;
        if (cc.empty()) {
            make(fields);
            continue;
        }
        /* The --cc value may itself hold fields: fill them first. */
        std::string ids_text = expand_or_die(cc, fields), err;
        auto ids = flux::IdSet::parse(ids_text, &err);
        if (!ids || ids->empty())
            die(1, "%s: --%s=%s: %s", prog, bcc ? "bcc" : "cc", ids_text.c_str(),
                err.empty() ? "empty idset" : err.c_str());
        ids->for_each([&](uint32_t id) {
            fields.cc = std::to_string(id);
            make(fields);
        });
    }
    if (shuffle) {
        std::random_device rd;
        std::mt19937_64 gen(rd());
        std::shuffle(jobs.begin(), jobs.end(), gen);
    }
    if (dry_run) {
        for (const auto &job : jobs) {
            printf("%s\n", job.description.c_str());
            if (verbose)
                printf("%s\n", job.request.jobspec.c_str());
        }
        return 0;
    }
    if (per_job_log)
        flags.log.clear();
    submit_flags_open_logs(prog, flags);
    if (verbose) {
        for (const auto &job : jobs)
            fprintf(stderr, "%s\n", job.description.c_str());
    }
    std::vector<JobRequest> requests;
    requests.reserve(jobs.size());
    for (auto &job : jobs)
        requests.push_back(std::move(job.request));
    flux_t *h = open_or_die(prog);
    int rc = submit_and_wait(h, prog, JobList(std::move(requests)), flags);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
