/* job-manager/test/job.cpp - Criterion unit tests for the RFC 21 job state
 * machine (job-manager/job.h).
 *
 * Most tests are parameterized over tables (one Criterion test per row):
 * state names, a full lifecycle replay, a simulated manager loop driven by
 * job_next_action(), cancellation in every state, non-fatal exceptions,
 * dependencies, urgency and priority, invalid transitions and malformed
 * contexts with their exact error texts (checking the job is unchanged),
 * replay errors naming the line, and success()/wait_status.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <cstring>
#include <string>
#include <vector>

#include "fluxd/job-manager/job.h"

using flux::EventlogEntry;
using fluxd::Job;
using fluxd::JobAction;
using fluxd::JobState;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

/* Criterion runs each parameterized test in a re-executed child process and
 * copies the parameters there, so pointers inside them (string literals of a
 * position-independent executable) would not survive.  The parameters are
 * therefore row indexes into file-scope tables, which the child has too.
 */
static int row_indexes[256];

#define TABLE_PARAMS(suite, name, table)                                                           \
    ParameterizedTestParameters(suite, name)                                                       \
    {                                                                                              \
        constexpr size_t n_ = sizeof(table) / sizeof((table)[0]);                                  \
        static_assert(n_ <= sizeof(row_indexes) / sizeof(row_indexes[0]));                         \
        for (size_t i = 0; i < n_; i++)                                                            \
            row_indexes[i] = static_cast<int>(i);                                                  \
        return cr_make_param_array(int, row_indexes, n_);                                          \
    }

/* Eventlog lines. */
#define EV(t, name) "{\"timestamp\":" #t ",\"name\":\"" name "\"}\n"
#define EVC(t, name, ctx) "{\"timestamp\":" #t ",\"name\":\"" name "\",\"context\":" ctx "}\n"

#define SUBMIT EVC(1, "submit", R"({"userid":100,"urgency":16,"flags":0,"version":1})")
#define L_NEW SUBMIT
#define L_DEPEND L_NEW EV(2, "validate")
#define L_PRIORITY L_DEPEND EV(3, "depend")
#define L_SCHED L_PRIORITY EVC(4, "priority", R"({"priority":16})")
#define L_RUN L_SCHED EVC(5, "alloc", R"({"annotations":{"sched.resource_summary":"rank0/core0"}})")
#define L_STARTED L_RUN EV(6, "start")
#define L_CLEANUP L_STARTED EVC(7, "finish", R"({"status":0})")
#define L_RELEASED L_CLEANUP EVC(8, "release", R"({"ranks":"all","final":true})")
#define L_FREED L_RELEASED EV(9, "free")
#define L_INACTIVE L_FREED EV(10, "clean")

#define CANCEL EVC(20, "exception", R"({"type":"cancel","severity":0,"note":"","userid":100})")
#define DEP_ADD(d) EVC(2.5, "dependency-add", "{\"description\":\"" d "\"}")
#define DEP_REMOVE(d) EVC(2.6, "dependency-remove", "{\"description\":\"" d "\"}")

namespace {

EventlogEntry entry(const char *line)
{
    auto e = flux::eventlog_entry_decode(line);
    cr_assert(e.has_value(), "test bug: cannot decode %s: %s", line,
              e ? "" : e.error().text.c_str());
    return *e;
}

/* Replay LOG ("" gives a fresh, unsubmitted job), asserting success. */
Job replay(const char *log)
{
    if (*log == '\0')
        return Job{};
    auto r = fluxd::job_replay(42, log);
    cr_assert(r.has_value(), "test bug: replay failed: %s", r ? "" : r.error().text.c_str());
    return *r;
}

/* Apply every line of LOG to JOB, asserting success. */
void apply_all(Job &job, const char *log)
{
    auto entries = flux::eventlog_decode(log);
    cr_assert(entries.has_value(), "test bug: cannot decode %s", log);
    for (const auto &e : *entries) {
        auto r = fluxd::job_apply(job, e);
        cr_assert(r.has_value(), "apply %s failed: %s", e.name.c_str(),
                  r ? "" : r.error().text.c_str());
    }
}

/* Runtime flags from a string: 'a' alloc_pending, 's' start_pending,
 * 'f' free_pending. */
void set_pending(Job &job, const char *flags)
{
    job.alloc_pending = strchr(flags, 'a') != nullptr;
    job.start_pending = strchr(flags, 's') != nullptr;
    job.free_pending = strchr(flags, 'f') != nullptr;
}

std::string state_name(JobState s)
{
    return fluxd::job_state_name(s);
}

} // namespace

/* ---------------------------------------------------------------- names */

struct name_case {
    JobState state;
    const char *name;
    const char *short_name;
};

const name_case states_names_rows[] = {
    {JobState::NEW, "NEW", "N"},           {JobState::DEPEND, "DEPEND", "D"},
    {JobState::PRIORITY, "PRIORITY", "P"}, {JobState::SCHED, "SCHED", "S"},
    {JobState::RUN, "RUN", "R"},           {JobState::CLEANUP, "CLEANUP", "C"},
    {JobState::INACTIVE, "INACTIVE", "I"}, {static_cast<JobState>(3), "?", "?"},
    {static_cast<JobState>(0), "?", "?"},  {static_cast<JobState>(128), "?", "?"},
};
TABLE_PARAMS(states, names, states_names_rows)

ParameterizedTest(int *row, states, names)
{
    const name_case *c = &states_names_rows[*row];
    cr_expect_str_eq(fluxd::job_state_name(c->state), c->name);
    cr_expect_str_eq(fluxd::job_state_short(c->state), c->short_name);
}

struct parse_case {
    const char *input;
    int expected; // JobState value, or 0 for "no such state"
};

const parse_case states_parse_rows[] = {
    {"NEW", 1},       {"new", 1},       {"New", 1},       {"N", 1},        {"n", 1},
    {"DEPEND", 2},    {"depend", 2},    {"d", 2},         {"PRIORITY", 4}, {"priority", 4},
    {"p", 4},         {"SCHED", 8},     {"sched", 8},     {"S", 8},        {"RUN", 16},
    {"run", 16},      {"r", 16},        {"CLEANUP", 32},  {"cleanup", 32}, {"C", 32},
    {"INACTIVE", 64}, {"inactive", 64}, {"I", 64},        {"", 0},         {"x", 0},
    {"NEWX", 0},      {"pending", 0},   {"running", 0},   {"active", 0},   {"RUN ", 0},
    {" RUN", 0},      {"NE", 0},        {"SCHEDULED", 0}, {"?", 0},
};
TABLE_PARAMS(states, parse, states_parse_rows)

ParameterizedTest(int *row, states, parse)
{
    const parse_case *c = &states_parse_rows[*row];
    auto s = fluxd::job_state_parse(c->input);
    if (c->expected == 0) {
        cr_expect(!s.has_value(), "'%s' parsed as %s", c->input,
                  s ? fluxd::job_state_name(*s) : "");
    }
    else {
        cr_assert(s.has_value(), "'%s' did not parse", c->input);
        cr_expect_eq(static_cast<int>(*s), c->expected, "'%s'", c->input);
    }
}

Test(states, round_trip_and_virtual_states)
{
    const JobState all[] = {JobState::NEW, JobState::DEPEND,  JobState::PRIORITY, JobState::SCHED,
                            JobState::RUN, JobState::CLEANUP, JobState::INACTIVE};
    for (JobState s : all) {
        auto p = fluxd::job_state_parse(fluxd::job_state_name(s));
        cr_expect(p && *p == s);
        p = fluxd::job_state_parse(fluxd::job_state_short(s));
        cr_expect(p && *p == s);
    }
    cr_expect(fluxd::job_state_in(JobState::DEPEND, fluxd::JOB_STATE_PENDING));
    cr_expect(fluxd::job_state_in(JobState::PRIORITY, fluxd::JOB_STATE_PENDING));
    cr_expect(fluxd::job_state_in(JobState::SCHED, fluxd::JOB_STATE_PENDING));
    cr_expect(!fluxd::job_state_in(JobState::RUN, fluxd::JOB_STATE_PENDING));
    cr_expect(!fluxd::job_state_in(JobState::NEW, fluxd::JOB_STATE_PENDING));
    cr_expect(fluxd::job_state_in(JobState::RUN, fluxd::JOB_STATE_RUNNING));
    cr_expect(fluxd::job_state_in(JobState::CLEANUP, fluxd::JOB_STATE_RUNNING));
    cr_expect(!fluxd::job_state_in(JobState::SCHED, fluxd::JOB_STATE_RUNNING));
    cr_expect(!fluxd::job_state_in(JobState::NEW, fluxd::JOB_STATE_ACTIVE));
    cr_expect(!fluxd::job_state_in(JobState::INACTIVE, fluxd::JOB_STATE_ACTIVE));
    for (JobState s :
         {JobState::DEPEND, JobState::PRIORITY, JobState::SCHED, JobState::RUN, JobState::CLEANUP})
        cr_expect(fluxd::job_state_in(s, fluxd::JOB_STATE_ACTIVE));
}

/* ------------------------------------------------------------ lifecycle */

Test(lifecycle, full_replay)
{
    Job job = replay(L_INACTIVE);
    cr_expect_eq(job.id, 42u);
    cr_expect(job.state == JobState::INACTIVE);
    cr_expect_eq(job.userid, 100u);
    cr_expect_eq(job.urgency, 16);
    cr_expect_eq(job.priority, 16);
    cr_expect_eq(job.flags, 0);
    cr_expect_eq(job.version, 1);
    cr_expect_eq(job.t_submit, 1.0);
    cr_expect_eq(job.t_depend, 2.0);
    cr_expect_eq(job.t_priority, 3.0);
    cr_expect_eq(job.t_sched, 4.0);
    cr_expect_eq(job.t_run, 5.0);
    cr_expect_eq(job.t_cleanup, 7.0);
    cr_expect_eq(job.t_inactive, 10.0);
    cr_expect_eq(job.states_visited, 127);
    cr_expect_eq(job.event_count, 10u);
    cr_expect(job.submitted && job.allocated && job.started && job.finished && job.released);
    cr_expect(!job.has_resources);
    cr_expect(!job.exception);
    cr_expect_eq(job.exception_severity, -1);
    cr_expect_eq(job.wait_status, 0);
    cr_expect(job.success());
    expect_str(job.end_event, "finish");
    expect_str(job.alloc_annotations, R"({"sched.resource_summary":"rank0/core0"})");
    cr_expect(fluxd::job_next_action(job).action == JobAction::NONE);
}

struct step_case {
    const char *line;
    JobState state;
    const char *next; // job_next_action() after the event, no requests pending
};

const step_case lifecycle_steps_rows[] = {
    {SUBMIT, JobState::NEW, "post-validate"},
    {EV(2, "validate"), JobState::DEPEND, "post-depend"},
    {EV(3, "depend"), JobState::PRIORITY, "post-priority"},
    {EVC(4, "priority", R"({"priority":16})"), JobState::SCHED, "request-alloc"},
    {EVC(5, "alloc", "{}"), JobState::RUN, "request-start"},
    {EV(6, "start"), JobState::RUN, "request-start"},
    {EVC(7, "finish", R"({"status":0})"), JobState::CLEANUP, "request-free"},
    {EVC(8, "release", R"({"ranks":"all","final":true})"), JobState::CLEANUP, "request-free"},
    {EV(9, "free"), JobState::CLEANUP, "post-clean"},
    {EV(10, "clean"), JobState::INACTIVE, "none"},
};
TABLE_PARAMS(lifecycle, steps, lifecycle_steps_rows)

/* Apply the table up to and including this row, one event at a time. */
ParameterizedTest(int *row, lifecycle, steps)
{
    const step_case *c = &lifecycle_steps_rows[*row];
    static const char *lines[] = {
        SUBMIT,
        EV(2, "validate"),
        EV(3, "depend"),
        EVC(4, "priority", R"({"priority":16})"),
        EVC(5, "alloc", "{}"),
        EV(6, "start"),
        EVC(7, "finish", R"({"status":0})"),
        EVC(8, "release", R"({"ranks":"all","final":true})"),
        EV(9, "free"),
        EV(10, "clean"),
    };
    Job job;
    for (const char *line : lines) {
        auto r = fluxd::job_apply(job, entry(line));
        cr_assert(r.has_value(), "%s", r ? "" : r.error().text.c_str());
        cr_expect(*r == job.state);
        if (strcmp(line, c->line) == 0)
            break;
    }
    expect_str(state_name(job.state), state_name(c->state));
    expect_str(fluxd::job_action_name(fluxd::job_next_action(job).action), c->next);
}

/* A manager loop: act on job_next_action() until nothing is left to do,
 * answering each request with the events its service would produce. */
struct loop_case {
    const char *log;    // starting eventlog
    const char *trace;  // actions taken, comma separated
    const char *state;  // final state
    long long priority; // final priority
};

const loop_case lifecycle_manager_loop_rows[] = {
    {L_NEW,
     "post-validate,post-depend,post-priority,request-alloc,request-start,request-free,"
     "post-clean",
     "INACTIVE", 16},
    {EVC(1, "submit", R"({"userid":1,"urgency":31,"flags":0,"version":1})"),
     "post-validate,post-depend,post-priority,request-alloc,request-start,request-free,"
     "post-clean",
     "INACTIVE", 4294967295LL},
    {EVC(1, "submit", R"({"userid":1,"urgency":0,"flags":0,"version":1})"),
     "post-validate,post-depend,post-priority", "SCHED", 0},
    {L_DEPEND DEP_ADD("begin-time=100"), "", "DEPEND", -1},
    {L_DEPEND DEP_ADD("a") DEP_ADD("b") DEP_REMOVE("a") DEP_REMOVE("b"),
     "post-depend,post-priority,request-alloc,request-start,request-free,post-clean", "INACTIVE",
     16},
    {L_SCHED EVC(4.5, "urgency", R"({"urgency":0,"userid":100})"), "post-priority", "SCHED", 0},
    {L_SCHED EVC(4.5, "urgency", R"({"urgency":7,"userid":100})"),
     "post-priority,request-alloc,request-start,request-free,post-clean", "INACTIVE", 7},
    {L_SCHED CANCEL, "post-clean", "INACTIVE", 16},
    {L_STARTED CANCEL, "request-free,post-clean", "INACTIVE", 16},
    {L_RUN EVC(5.5, "prolog-start", R"({"description":"prolog"})"), "", "RUN", 16},
    {L_RELEASED EVC(8.5, "epilog-start", R"({"description":"epilog"})"), "", "CLEANUP", 16},
    {L_NEW EV(2, "invalidate"), "", "INACTIVE", -1},
};
TABLE_PARAMS(lifecycle, manager_loop, lifecycle_manager_loop_rows)

ParameterizedTest(int *row, lifecycle, manager_loop)
{
    const loop_case *c = &lifecycle_manager_loop_rows[*row];
    Job job = replay(c->log);
    std::string trace;
    double t = 100;
    for (int i = 0; i < 20; i++) {
        auto next = fluxd::job_next_action(job);
        if (next.action == JobAction::NONE)
            break;
        if (!trace.empty())
            trace += ",";
        trace += fluxd::job_action_name(next.action);
        switch (next.action) {
            case JobAction::REQUEST_ALLOC:
                job.alloc_pending = true;
                cr_assert(fluxd::job_next_action(job).action == JobAction::NONE);
                apply_all(job, EVC(100, "alloc", "{}"));
                cr_expect(!job.alloc_pending);
                break;
            case JobAction::REQUEST_START:
                job.start_pending = true;
                cr_assert(fluxd::job_next_action(job).action == JobAction::NONE);
                if (!job.started)
                    apply_all(job, EV(101, "start"));
                if (!job.finished)
                    apply_all(job, EVC(102, "finish", R"({"status":0})"));
                cr_assert(fluxd::job_next_action(job).action == JobAction::NONE);
                apply_all(job, EVC(103, "release", R"({"ranks":"all","final":true})"));
                cr_expect(!job.start_pending);
                break;
            case JobAction::REQUEST_FREE:
                job.free_pending = true;
                cr_assert(fluxd::job_next_action(job).action == JobAction::NONE);
                apply_all(job, EV(104, "free"));
                cr_expect(!job.free_pending);
                break;
            default: {
                auto e = fluxd::job_action_event(next, t++);
                cr_assert(e.has_value());
                auto r = fluxd::job_apply(job, *e);
                cr_assert(r.has_value(), "%s", r ? "" : r.error().text.c_str());
                break;
            }
        }
    }
    expect_str(trace, c->trace);
    expect_str(state_name(job.state), c->state);
    cr_expect_eq(job.priority, c->priority);
}

/* -------------------------------------------------------- next action */

struct next_case {
    const char *log;
    const char *pending; // see set_pending()
    const char *action;
    long long priority;
};

const next_case next_action_rows[] = {
    {"", "", "none", -1},
    {L_NEW, "", "post-validate", -1},
    {L_NEW EV(2, "invalidate"), "", "none", -1},
    {L_DEPEND, "", "post-depend", -1},
    {L_DEPEND DEP_ADD("x"), "", "none", -1},
    {L_DEPEND DEP_ADD("x") DEP_REMOVE("x"), "", "post-depend", -1},
    {L_PRIORITY, "", "post-priority", 16},
    {L_DEPEND EVC(2.7, "urgency", R"({"urgency":0,"userid":1})") EV(3, "depend"), "",
     "post-priority", 0},
    {L_DEPEND EVC(2.7, "urgency", R"({"urgency":31,"userid":1})") EV(3, "depend"), "",
     "post-priority", 4294967295LL},
    {L_DEPEND EVC(2.7, "urgency", R"({"urgency":1,"userid":1})") EV(3, "depend"), "",
     "post-priority", 1},
    {L_SCHED, "", "request-alloc", -1},
    {L_SCHED, "a", "none", -1},
    {L_SCHED EVC(4.5, "urgency", R"({"urgency":20,"userid":1})"), "a", "post-priority", 20},
    {L_SCHED EVC(4.5, "urgency", R"({"urgency":0,"userid":1})")
         EVC(4.6, "priority", R"({"priority":0})"),
     "", "none", -1},
    {L_RUN, "", "request-start", -1},
    {L_RUN, "s", "none", -1},
    {L_RUN EVC(5.5, "prolog-start", R"({"description":"p"})"), "", "none", -1},
    {L_RUN EVC(5.5, "prolog-start", R"({"description":"p"})")
         EVC(5.6, "prolog-finish", R"({"description":"p","status":0})"),
     "", "request-start", -1},
    {L_STARTED, "", "request-start", -1}, // reattach after a restart
    {L_STARTED, "s", "none", -1},
    {L_CLEANUP, "s", "none", -1},
    {L_CLEANUP, "", "request-free", -1},
    {L_RELEASED, "", "request-free", -1},
    {L_RELEASED, "f", "none", -1},
    {L_RELEASED EVC(8.5, "epilog-start", R"({"description":"e"})"), "", "none", -1},
    {L_RELEASED EVC(8.5, "epilog-start", R"({"description":"e"})")
         EVC(8.6, "epilog-finish", R"({"description":"e","status":0})"),
     "", "request-free", -1},
    {L_FREED, "", "post-clean", -1},
    {L_SCHED CANCEL, "a", "none", -1},
    {L_SCHED CANCEL, "", "post-clean", -1},
    {L_INACTIVE, "", "none", -1},
};
TABLE_PARAMS(next, action, next_action_rows)

ParameterizedTest(int *row, next, action)
{
    const next_case *c = &next_action_rows[*row];
    Job job = replay(c->log);
    set_pending(job, c->pending);
    auto next = fluxd::job_next_action(job);
    expect_str(fluxd::job_action_name(next.action), c->action);
    cr_expect_eq(next.priority, c->priority);
}

namespace {
int64_t always_seven(const Job &)
{
    return 7;
}
} // namespace

Test(next, custom_policy_and_action_events)
{
    Job job = replay(L_SCHED);
    auto next = fluxd::job_next_action(job, always_seven);
    cr_expect(next.action == JobAction::POST_PRIORITY);
    cr_expect_eq(next.priority, 7);

    auto e = fluxd::job_action_event(next, 50.0);
    cr_assert(e.has_value());
    auto line = flux::eventlog_entry_encode(*e);
    cr_assert(line.has_value());
    expect_str(*line,
               "{\"timestamp\":50.000000,\"name\":\"priority\",\"context\":{\"priority\":7}}\n");

    fluxd::JobNext big{JobAction::POST_PRIORITY, 4294967295LL};
    e = fluxd::job_action_event(big, 51.0);
    cr_assert(e.has_value());
    line = flux::eventlog_entry_encode(*e);
    cr_assert(line.has_value());
    expect_str(*line, "{\"timestamp\":51.000000,\"name\":\"priority\",\"context\":{\"priority\":"
                      "4294967295}}\n");

    const struct {
        JobAction a;
        const char *name; // nullptr: no event
    } events[] = {
        {JobAction::POST_VALIDATE, "validate"}, {JobAction::POST_DEPEND, "depend"},
        {JobAction::POST_CLEAN, "clean"},       {JobAction::NONE, nullptr},
        {JobAction::REQUEST_ALLOC, nullptr},    {JobAction::REQUEST_START, nullptr},
        {JobAction::REQUEST_FREE, nullptr},
    };
    for (const auto &ev : events) {
        auto x = fluxd::job_action_event(fluxd::JobNext{ev.a, -1}, 5.0);
        if (!ev.name) {
            cr_expect(!x.has_value(), "%s", fluxd::job_action_name(ev.a));
            continue;
        }
        cr_assert(x.has_value());
        expect_str(x->name, ev.name);
        cr_expect_eq(x->timestamp, 5.0);
        cr_expect_null(x->context);
    }
    cr_expect_eq(fluxd::job_priority_from_urgency(0), 0);
    cr_expect_eq(fluxd::job_priority_from_urgency(1), 1);
    cr_expect_eq(fluxd::job_priority_from_urgency(16), 16);
    cr_expect_eq(fluxd::job_priority_from_urgency(30), 30);
    cr_expect_eq(fluxd::job_priority_from_urgency(31), 4294967295LL);
}

/* ---------------------------------------------------------- cancellation */

struct cancel_case {
    const char *name;
    const char *log;    // ends with a fatal exception
    const char *from;   // state before the exception
    bool has_resources; // after the exception
    const char *next;   // next action, no requests pending
    const char *rest;   // events that take it to INACTIVE
    const char *end_event;
};

const cancel_case cancel_in_each_state_rows[] = {
    {"depend", L_DEPEND CANCEL, "DEPEND", false, "post-clean", EV(30, "clean"), "exception"},
    {"depend-with-deps", L_DEPEND DEP_ADD("after:1") CANCEL, "DEPEND", false, "post-clean",
     EV(30, "clean"), "exception"},
    {"priority", L_PRIORITY CANCEL, "PRIORITY", false, "post-clean", EV(30, "clean"), "exception"},
    {"sched", L_SCHED CANCEL, "SCHED", false, "post-clean", EV(30, "clean"), "exception"},
    {"sched-late-alloc", L_SCHED CANCEL EVC(21, "alloc", "{}"), "SCHED", true, "request-free",
     EV(29, "free") EV(30, "clean"), "exception"},
    {"run-before-start", L_RUN CANCEL, "RUN", true, "request-free", EV(29, "free") EV(30, "clean"),
     "exception"},
    {"run-started", L_STARTED CANCEL, "RUN", true, "request-free",
     EVC(26, "finish", R"({"status":15})") EVC(27, "release", R"({"ranks":"all","final":true})")
         EV(29, "free") EV(30, "clean"),
     "exception"},
    {"run-start-after-cancel", L_RUN CANCEL EV(21, "start"), "RUN", true, "request-free",
     EVC(26, "finish", R"({"status":9})") EV(29, "free") EV(30, "clean"), "exception"},
    {"cleanup", L_CLEANUP CANCEL, "CLEANUP", true, "request-free",
     EVC(27, "release", R"({"ranks":"all","final":true})") EV(29, "free") EV(30, "clean"),
     "finish"},
};
TABLE_PARAMS(cancel, in_each_state, cancel_in_each_state_rows)

ParameterizedTest(int *row, cancel, in_each_state)
{
    const cancel_case *c = &cancel_in_each_state_rows[*row];
    Job job = replay(c->log);
    expect_str(state_name(job.state), "CLEANUP", "%s", c->name);
    cr_expect(job.states_visited & static_cast<int>(*fluxd::job_state_parse(c->from)));
    cr_expect_eq(job.has_resources, c->has_resources, "%s", c->name);
    expect_str(fluxd::job_action_name(fluxd::job_next_action(job).action), c->next, "%s", c->name);
    cr_expect(job.exception);
    expect_str(job.exception_type, "cancel");
    cr_expect_eq(job.exception_severity, 0);
    cr_expect_eq(job.exception_userid, 100);
    expect_str(job.end_event, c->end_event);
    if (strcmp(c->from, "CLEANUP") != 0)
        cr_expect_eq(job.t_cleanup, 20.0, "%s", c->name);
    else
        cr_expect_eq(job.t_cleanup, 7.0);
    cr_expect(!job.success());

    if (c->has_resources) {
        /* clean must wait for free */
        Job before = job;
        auto r = fluxd::job_apply(job, entry(EV(28, "clean")));
        cr_assert(!r.has_value());
        expect_str(r.error().text,
                   "event 'clean' is not valid in state CLEANUP: resources not freed");
        cr_expect(job == before);
    }
    apply_all(job, c->rest);
    expect_str(state_name(job.state), "INACTIVE", "%s", c->name);
    cr_expect_eq(job.t_inactive, 30.0);
    cr_expect(!job.has_resources);
    cr_expect(!job.success());
}

/* --------------------------------------------------- non-fatal exceptions */

struct nonfatal_case {
    const char *log;
    const char *state;
    const char *type;
    int severity;
    const char *note;
    long long userid;
    int count;
};

#define EXC(t, type, sev)                                                                          \
    "{\"timestamp\":" #t ",\"name\":\"exception\",\"context\":{\"type\":\"" type                   \
    "\",\"severity\":" #sev "}}\n"

const nonfatal_case exception_nonfatal_rows[] = {
    {L_DEPEND EXC(3, "a", 1), "DEPEND", "a", 1, "", -1, 1},
    {L_PRIORITY EXC(3.5, "a", 7), "PRIORITY", "a", 7, "", -1, 1},
    {L_SCHED EXC(4.5, "alloc", 4), "SCHED", "alloc", 4, "", -1, 1},
    {L_RUN EXC(5.5, "x", 3) EXC(5.6, "y", 1) EXC(5.7, "z", 5), "RUN", "y", 1, "", -1, 3},
    {L_RUN EXC(5.5, "x", 2) EXC(5.6, "y", 2), "RUN", "x", 2, "", -1, 2},
    {L_STARTED EVC(
         6.5, "exception", R"({"type":"timelimit","severity":1,"note":"soon","userid":7})"),
     "RUN", "timelimit", 1, "soon", 7, 1},
    {L_CLEANUP EXC(7.5, "epilog", 6), "CLEANUP", "epilog", 6, "", -1, 1},
    /* a fatal exception supersedes, a later non-fatal one does not */
    {L_RUN EXC(5.5, "x", 3) CANCEL EXC(21, "y", 1), "CLEANUP", "cancel", 0, "", 100, 3},
};
TABLE_PARAMS(exception, nonfatal, exception_nonfatal_rows)

ParameterizedTest(int *row, exception, nonfatal)
{
    const nonfatal_case *c = &exception_nonfatal_rows[*row];
    Job job = replay(c->log);
    expect_str(state_name(job.state), c->state);
    cr_expect(job.exception);
    expect_str(job.exception_type, c->type);
    cr_expect_eq(job.exception_severity, c->severity);
    expect_str(job.exception_note, c->note);
    cr_expect_eq(job.exception_userid, c->userid);
    cr_expect_eq(job.exception_count, c->count);
    cr_expect_eq(job.fatal_exception(), c->severity == 0);
    if (c->severity > 0) {
        bool cleanup = strcmp(c->state, "CLEANUP") == 0;
        expect_str(job.end_event, cleanup ? "finish" : "");
        cr_expect_eq(job.t_cleanup, cleanup ? 7.0 : 0.0);
    }
}

/* ---------------------------------------------------------- dependencies */

Test(dependencies, gate_depend)
{
    Job job = replay(L_NEW DEP_ADD("begin-time=1552594348") EV(2, "validate")
                         DEP_ADD("afterok:f1234") DEP_ADD("afterok:f1234"));
    cr_expect_eq(job.dependencies.size(), 2u);
    cr_expect(job.dependencies.count("begin-time=1552594348") == 1);

    Job before = job;
    auto r = fluxd::job_apply(job, entry(EV(3, "depend")));
    cr_assert(!r.has_value());
    expect_str(r.error().text,
               "event 'depend' is not valid in state DEPEND: 2 outstanding dependencies");
    cr_expect(job == before);

    apply_all(job, DEP_REMOVE("afterok:f1234"));
    r = fluxd::job_apply(job, entry(EV(3, "depend")));
    cr_assert(!r.has_value());
    expect_str(r.error().text,
               "event 'depend' is not valid in state DEPEND: 1 outstanding dependency");

    r = fluxd::job_apply(job, entry(DEP_REMOVE("afterok:f1234")));
    cr_assert(!r.has_value());
    expect_str(r.error().text,
               "event 'dependency-remove': no outstanding dependency 'afterok:f1234'");

    apply_all(job, DEP_REMOVE("begin-time=1552594348"));
    cr_expect(job.dependencies.empty());
    r = fluxd::job_apply(job, entry(EV(3, "depend")));
    cr_assert(r.has_value());
    cr_expect(*r == JobState::PRIORITY);
    cr_expect_eq(job.t_priority, 3.0);
}

/* ---------------------------------------------------- urgency / priority */

struct urgency_case {
    const char *log;
    int urgency;
    long long priority;
    const char *state;
};

const urgency_case urgency_adjust_rows[] = {
    {L_DEPEND EVC(2.1, "urgency", R"({"urgency":0,"userid":100})"), 0, -1, "DEPEND"},
    {L_PRIORITY EVC(3.1, "urgency", R"({"urgency":31,"userid":0})"), 31, -1, "PRIORITY"},
    {L_SCHED EVC(4.1, "urgency", R"({"urgency":0,"userid":100})")
         EVC(4.2, "priority", R"({"priority":0})"),
     0, 0, "SCHED"},
    {L_SCHED EVC(4.1, "urgency", R"({"urgency":31,"userid":100})")
         EVC(4.2, "priority", R"({"priority":4294967295})"),
     31, 4294967295LL, "SCHED"},
    {L_SCHED EVC(4.1, "urgency", R"({"urgency":0,"userid":100})") EVC(
         4.2, "priority", R"({"priority":0})") EVC(4.3, "urgency", R"({"urgency":16,"userid":100})")
         EVC(4.4, "priority", R"({"priority":16})") EVC(4.5, "alloc", "{}"),
     16, 16, "RUN"},
    {EVC(1, "submit", R"({"userid":100,"urgency":0,"flags":0,"version":1})") EV(2, "validate")
         EV(3, "depend") EVC(4, "priority", R"({"priority":0})"),
     0, 0, "SCHED"},
};
TABLE_PARAMS(urgency, adjust, urgency_adjust_rows)

ParameterizedTest(int *row, urgency, adjust)
{
    const urgency_case *c = &urgency_adjust_rows[*row];
    Job job = replay(c->log);
    cr_expect_eq(job.urgency, c->urgency);
    cr_expect_eq(job.priority, c->priority);
    expect_str(state_name(job.state), c->state);
    cr_expect_eq(job.t_sched,
                 strcmp(c->state, "DEPEND") && strcmp(c->state, "PRIORITY") ? 4.0 : 0.0);
}

/* ------------------------------------------------ invalid transitions */

struct invalid_case {
    const char *log; // "" for a fresh job
    const char *line;
    const char *error;
};

const invalid_case invalid_transitions_rows[] = {
    {"", EV(1, "validate"), "event 'validate' is not valid in state NEW: job not submitted"},
    {"", EV(1, "clean"), "event 'clean' is not valid in state NEW: job not submitted"},
    {"", EV(1, "debug.x"), "event 'debug.x' is not valid in state NEW: job not submitted"},
    {L_NEW, SUBMIT, "event 'submit' is not valid in state NEW: job already submitted"},
    {L_RUN, SUBMIT, "event 'submit' is not valid in state RUN: job already submitted"},
    {L_NEW, EV(2, "depend"), "event 'depend' is not valid in state NEW"},
    {L_NEW, CANCEL, "event 'exception' is not valid in state NEW"},
    {L_NEW, EVC(2, "urgency", R"({"urgency":1,"userid":1})"),
     "event 'urgency' is not valid in state NEW"},
    {L_DEPEND, EV(3, "validate"), "event 'validate' is not valid in state DEPEND"},
    {L_DEPEND, EV(3, "invalidate"), "event 'invalidate' is not valid in state DEPEND"},
    {L_DEPEND, EVC(3, "alloc", "{}"), "event 'alloc' is not valid in state DEPEND"},
    {L_DEPEND, EVC(3, "priority", R"({"priority":1})"),
     "event 'priority' is not valid in state DEPEND"},
    {L_PRIORITY, EV(4, "depend"), "event 'depend' is not valid in state PRIORITY"},
    {L_PRIORITY, EVC(4, "alloc", "{}"), "event 'alloc' is not valid in state PRIORITY"},
    {L_PRIORITY, DEP_ADD("x"), "event 'dependency-add' is not valid in state PRIORITY"},
    {L_SCHED, EV(5, "start"), "event 'start' is not valid in state SCHED"},
    {L_SCHED, EVC(5, "finish", R"({"status":0})"), "event 'finish' is not valid in state SCHED"},
    {L_SCHED, EV(5, "free"), "event 'free' is not valid in state SCHED"},
    {L_SCHED, EV(5, "clean"), "event 'clean' is not valid in state SCHED"},
    {L_SCHED, DEP_REMOVE("x"), "event 'dependency-remove' is not valid in state SCHED"},
    {L_RUN, EVC(6, "alloc", "{}"), "event 'alloc' is not valid in state RUN"},
    {L_RUN, EVC(6, "priority", R"({"priority":1})"), "event 'priority' is not valid in state RUN"},
    {L_RUN, EVC(6, "urgency", R"({"urgency":1,"userid":1})"),
     "event 'urgency' is not valid in state RUN"},
    {L_RUN, EV(6, "free"), "event 'free' is not valid in state RUN"},
    {L_RUN, EV(6, "clean"), "event 'clean' is not valid in state RUN"},
    {L_RUN, EVC(6, "release", R"({"ranks":"all","final":true})"),
     "event 'release' is not valid in state RUN: final release before finish"},
    {L_RUN, EVC(6, "epilog-start", R"({"description":"e"})"),
     "event 'epilog-start' is not valid in state RUN"},
    {L_RUN, EVC(6, "prolog-finish", R"({"description":"p","status":0})"),
     "event 'prolog-finish' is not valid in state RUN: no prolog active"},
    {L_STARTED, EV(7, "start"), "event 'start' is not valid in state RUN: job already started"},
    {L_CLEANUP, EVC(8, "finish", R"({"status":0})"),
     "event 'finish' is not valid in state CLEANUP: job already finished"},
    {L_CLEANUP, EV(8, "clean"), "event 'clean' is not valid in state CLEANUP: resources not freed"},
    {L_CLEANUP, EVC(8, "alloc", "{}"),
     "event 'alloc' is not valid in state CLEANUP: resources already allocated"},
    {L_CLEANUP, EVC(8, "prolog-start", R"({"description":"p"})"),
     "event 'prolog-start' is not valid in state CLEANUP"},
    {L_CLEANUP, EVC(8, "epilog-finish", R"({"description":"e","status":0})"),
     "event 'epilog-finish' is not valid in state CLEANUP: no epilog active"},
    {L_CLEANUP, EVC(8, "urgency", R"({"urgency":1,"userid":1})"),
     "event 'urgency' is not valid in state CLEANUP"},
    {L_CLEANUP, EVC(8, "priority", R"({"priority":1})"),
     "event 'priority' is not valid in state CLEANUP"},
    {L_RELEASED, EVC(9, "release", R"({"ranks":"all","final":true})"),
     "event 'release' is not valid in state CLEANUP: resources already released"},
    {L_FREED, EV(10, "free"), "event 'free' is not valid in state CLEANUP: job holds no resources"},
    {L_SCHED CANCEL, EV(21, "start"), "event 'start' is not valid in state CLEANUP: job never ran"},
    {L_SCHED CANCEL, EVC(21, "finish", R"({"status":0})"),
     "event 'finish' is not valid in state CLEANUP: job never ran"},
    {L_SCHED CANCEL, EVC(21, "release", R"({"ranks":"all","final":true})"),
     "event 'release' is not valid in state CLEANUP: job never ran"},
    {L_SCHED CANCEL, EV(21, "free"),
     "event 'free' is not valid in state CLEANUP: job holds no resources"},
    {L_INACTIVE, EVC(11, "memo", R"({"a":1})"), "event 'memo' is not valid in state INACTIVE"},
    {L_INACTIVE, CANCEL, "event 'exception' is not valid in state INACTIVE"},
    {L_INACTIVE, EV(11, "clean"), "event 'clean' is not valid in state INACTIVE"},
    {L_INACTIVE, EV(11, "debug.x"), "event 'debug.x' is not valid in state INACTIVE"},
    {L_INACTIVE, EV(11, "flux-restart"), "event 'flux-restart' is not valid in state INACTIVE"},
    {L_INACTIVE, EV(11, "frobnicate"), "event 'frobnicate' is not valid in state INACTIVE"},
    {L_NEW EV(2, "invalidate"), EV(3, "validate"),
     "event 'validate' is not valid in state INACTIVE"},
};
TABLE_PARAMS(invalid, transitions, invalid_transitions_rows)

ParameterizedTest(int *row, invalid, transitions)
{
    const invalid_case *c = &invalid_transitions_rows[*row];
    Job job = replay(c->log);
    Job before = job;
    auto r = fluxd::job_apply(job, entry(c->line));
    cr_assert(!r.has_value(), "expected failure: %s", c->error);
    cr_expect_eq(r.error().errnum, EINVAL);
    expect_str(r.error().text, c->error);
    cr_expect(job == before, "job modified by failed event: %s", c->error);
}

/* ----------------------------------------------------- malformed contexts */

#define SUB(ctx) EVC(1, "submit", ctx)

const invalid_case invalid_contexts_rows[] = {
    {"", EV(1, "submit"), "event 'submit': missing context"},
    {"", SUB(R"({"userid":1,"flags":0,"version":1})"), "event 'submit': missing 'urgency'"},
    {"", SUB(R"({"urgency":16,"flags":0,"version":1})"), "event 'submit': missing 'userid'"},
    {"", SUB(R"({"userid":1,"urgency":16,"version":1})"), "event 'submit': missing 'flags'"},
    {"", SUB(R"({"userid":1,"urgency":"16","flags":0,"version":1})"),
     "event 'submit': 'urgency' is not an integer"},
    {"", SUB(R"({"userid":1,"urgency":16.0,"flags":0,"version":1})"),
     "event 'submit': 'urgency' is not an integer"},
    {"", SUB(R"({"userid":1,"urgency":32,"flags":0,"version":1})"),
     "event 'submit': 'urgency' 32 is out of range 0-31"},
    {"", SUB(R"({"userid":1,"urgency":-1,"flags":0,"version":1})"),
     "event 'submit': 'urgency' -1 is out of range 0-31"},
    {"", SUB(R"({"userid":-1,"urgency":16,"flags":0,"version":1})"),
     "event 'submit': 'userid' -1 is out of range 0-4294967295"},
    {"", SUB(R"({"userid":4294967296,"urgency":16,"flags":0,"version":1})"),
     "event 'submit': 'userid' 4294967296 is out of range 0-4294967295"},
    {"", SUB(R"({"userid":1,"urgency":16,"flags":-2,"version":1})"),
     "event 'submit': 'flags' -2 is out of range 0-2147483647"},
    {"", SUB(R"({"userid":1,"urgency":16,"flags":0,"version":2})"),
     "event 'submit': unsupported eventlog version 2"},
    {"", SUB(R"({"userid":1,"urgency":16,"flags":0,"version":0})"),
     "event 'submit': unsupported eventlog version 0"},
    {"", SUB(R"({"userid":1,"urgency":16,"flags":0,"version":"1"})"),
     "event 'submit': 'version' is not an integer"},
    {L_PRIORITY, EV(4, "priority"), "event 'priority': missing context"},
    {L_PRIORITY, EVC(4, "priority", "{}"), "event 'priority': missing 'priority'"},
    {L_PRIORITY, EVC(4, "priority", R"({"priority":-1})"),
     "event 'priority': 'priority' -1 is out of range 0-4294967295"},
    {L_SCHED, EVC(5, "priority", R"({"priority":4294967296})"),
     "event 'priority': 'priority' 4294967296 is out of range 0-4294967295"},
    {L_SCHED, EVC(5, "priority", R"({"priority":null})"),
     "event 'priority': 'priority' is not an integer"},
    {L_SCHED, EVC(5, "urgency", R"({"urgency":5})"), "event 'urgency': missing 'userid'"},
    {L_SCHED, EVC(5, "urgency", R"({"urgency":99,"userid":1})"),
     "event 'urgency': 'urgency' 99 is out of range 0-31"},
    {L_SCHED, EVC(5, "alloc", R"({"annotations":"x"})"),
     "event 'alloc': 'annotations' is not an object"},
    {L_RUN, EV(6, "exception"), "event 'exception': missing context"},
    {L_RUN, EVC(6, "exception", R"({"severity":0})"), "event 'exception': missing 'type'"},
    {L_RUN, EVC(6, "exception", R"({"type":"cancel"})"), "event 'exception': missing 'severity'"},
    {L_RUN, EVC(6, "exception", R"({"type":5,"severity":0})"),
     "event 'exception': 'type' is not a string"},
    {L_RUN, EVC(6, "exception", R"({"type":"x","severity":"0"})"),
     "event 'exception': 'severity' is not an integer"},
    {L_RUN, EVC(6, "exception", R"({"type":"x","severity":8})"),
     "event 'exception': 'severity' 8 is out of range 0-7"},
    {L_RUN, EVC(6, "exception", R"({"type":"x","severity":-1})"),
     "event 'exception': 'severity' -1 is out of range 0-7"},
    {L_RUN, EVC(6, "exception", R"({"type":"x","severity":0,"note":5})"),
     "event 'exception': 'note' is not a string"},
    {L_RUN, EVC(6, "exception", R"({"type":"x","severity":0,"userid":"me"})"),
     "event 'exception': 'userid' is not an integer"},
    {L_STARTED, EV(7, "finish"), "event 'finish': missing context"},
    {L_STARTED, EVC(7, "finish", R"({"status":"0"})"),
     "event 'finish': 'status' is not an integer"},
    {L_STARTED, EVC(7, "finish", R"({"status":-1})"),
     "event 'finish': 'status' -1 is out of range 0-2147483647"},
    {L_CLEANUP, EVC(8, "release", R"({"final":true})"), "event 'release': missing 'ranks'"},
    {L_CLEANUP, EVC(8, "release", R"({"ranks":"all"})"), "event 'release': missing 'final'"},
    {L_CLEANUP, EVC(8, "release", R"({"ranks":0,"final":true})"),
     "event 'release': 'ranks' is not a string"},
    {L_CLEANUP, EVC(8, "release", R"({"ranks":"all","final":"yes"})"),
     "event 'release': 'final' is not a boolean"},
    {L_DEPEND, EVC(3, "dependency-add", "{}"), "event 'dependency-add': missing 'description'"},
    {L_DEPEND, EVC(3, "dependency-add", R"({"description":3})"),
     "event 'dependency-add': 'description' is not a string"},
    {L_DEPEND, DEP_REMOVE("after:1"),
     "event 'dependency-remove': no outstanding dependency 'after:1'"},
    {L_RUN, EVC(6, "prolog-start", "{}"), "event 'prolog-start': missing 'description'"},
    {L_RUN EVC(5.5, "prolog-start", R"({"description":"p"})"),
     EVC(6, "prolog-finish", R"({"description":"p"})"), "event 'prolog-finish': missing 'status'"},
    {L_RUN, EVC(6, "set-flags", R"({"flags":"debug"})"),
     "event 'set-flags': 'flags' is not an array"},
    {L_RUN, EVC(6, "set-flags", R"({"flags":[1]})"),
     "event 'set-flags': 'flags' entry is not a string"},
    {L_RUN, EVC(6, "set-flags", R"({"flags":["debug","bogus"]})"),
     "event 'set-flags': unknown flag 'bogus'"},
    {L_RUN, EV(6, "set-flags"), "event 'set-flags': missing context"},
    {L_SCHED, EV(5, "jobspec-update"), "event 'jobspec-update': missing context"},
    {L_SCHED, EVC(5, "jobspec-update", "{}"), "event 'jobspec-update': no updates"},
    {L_SCHED, EVC(5, "jobspec-update", R"({"attributes.system.duration":60,"resources.x":1})"),
     "event 'jobspec-update': key 'resources.x' does not begin with 'attributes.'"},
    {L_RUN, EV(6, "memo"), "event 'memo': missing context"},
};
TABLE_PARAMS(invalid, contexts, invalid_contexts_rows)

ParameterizedTest(int *row, invalid, contexts)
{
    const invalid_case *c = &invalid_contexts_rows[*row];
    Job job = replay(c->log);
    Job before = job;
    auto r = fluxd::job_apply(job, entry(c->line));
    cr_assert(!r.has_value(), "expected failure: %s", c->error);
    cr_expect_eq(r.error().errnum, EINVAL);
    expect_str(r.error().text, c->error);
    cr_expect(job == before, "job modified by failed event: %s", c->error);
}

/* --------------------------------------------------------- replay errors */

struct replay_error_case {
    const char *log;
    const char *error;
};

const replay_error_case replay_errors_rows[] = {
    {"", "eventlog is empty"},
    {"\n", "eventlog line 1: empty line"},
    {EVC(1, "alloc", "{}"), "eventlog line 1: first event is 'alloc', not 'submit'"},
    {EV(1, "validate") SUBMIT, "eventlog line 1: first event is 'validate', not 'submit'"},
    {L_NEW "{\"timestamp\":2}\n", "eventlog line 2: missing name"},
    {L_DEPEND "\n" EV(3, "depend"), "eventlog line 3: empty line"},
    {L_DEPEND EVC(3, "alloc", "{}"), "eventlog line 3: event 'alloc' is not valid in state DEPEND"},
    {L_PRIORITY EVC(4, "priority", "{}"), "eventlog line 4: event 'priority': missing 'priority'"},
    {L_NEW SUBMIT,
     "eventlog line 2: event 'submit' is not valid in state NEW: job already submitted"},
    {L_INACTIVE EVC(11, "memo", R"({"a":1})"),
     "eventlog line 11: event 'memo' is not valid in state INACTIVE"},
    {SUB(R"({"userid":1,"urgency":16,"flags":0,"version":2})"),
     "eventlog line 1: event 'submit': unsupported eventlog version 2"},
    {L_DEPEND DEP_ADD("x") EV(3, "depend"),
     "eventlog line 4: event 'depend' is not valid in state DEPEND: 1 outstanding dependency"},
};
TABLE_PARAMS(replay, errors, replay_errors_rows)

ParameterizedTest(int *row, replay, errors)
{
    const replay_error_case *c = &replay_errors_rows[*row];
    auto r = fluxd::job_replay(1, c->log);
    cr_assert(!r.has_value(), "expected failure: %s", c->error);
    cr_expect_eq(r.error().errnum, EINVAL);
    expect_str(r.error().text, c->error);
}

Test(replay, final_line_without_newline_and_legacy_submit)
{
    /* RFC 18 leniency of the decoder: the last line may lack its newline */
    auto r = fluxd::job_replay(7, L_DEPEND "{\"timestamp\":3,\"name\":\"depend\"}");
    cr_assert(r.has_value());
    cr_expect(r->state == JobState::PRIORITY);

    /* Unversioned eventlogs predate "validate": submit enters DEPEND. */
    r = fluxd::job_replay(7, SUB(R"({"userid":5,"urgency":16,"flags":0})") EV(2, "depend"));
    cr_assert(r.has_value(), "%s", r ? "" : r.error().text.c_str());
    cr_expect(r->state == JobState::PRIORITY);
    cr_expect_eq(r->version, -1);
    cr_expect_eq(r->t_depend, 1.0);
    cr_expect_eq(r->states_visited, 1 | 2 | 4);

    r = fluxd::job_replay(7, SUB(R"({"userid":5,"urgency":16,"flags":0})") EV(2, "validate"));
    cr_assert(!r.has_value());
    expect_str(r.error().text, "eventlog line 2: event 'validate' is not valid in state DEPEND");

    /* A job caught between submit and validate replays to NEW. */
    r = fluxd::job_replay(7, L_NEW);
    cr_assert(r.has_value());
    cr_expect(r->state == JobState::NEW);
    cr_expect_eq(r->id, 7u);
    cr_expect(fluxd::job_next_action(*r).action == JobAction::POST_VALIDATE);

    /* invalidate */
    r = fluxd::job_replay(7, L_NEW EV(2, "invalidate"));
    cr_assert(r.has_value());
    cr_expect(r->state == JobState::INACTIVE);
    cr_expect(r->invalidated);
    cr_expect_eq(r->t_inactive, 2.0);
    cr_expect_eq(r->t_depend, 0.0);
}

/* -------------------------------------------------- success / wait_status */

struct success_case {
    const char *log;
    bool success;
    int wait_status;
};

const success_case outcome_success_rows[] = {
    {L_INACTIVE, true, 0},
    {L_CLEANUP, true, 0},
    {L_STARTED, false, -1},
    {L_STARTED EVC(7, "finish", R"({"status":256})"), false, 256},
    {L_STARTED EVC(7, "finish", R"({"status":9})"), false, 9},
    {L_STARTED EXC(6.5, "oom", 1) EVC(7, "finish", R"({"status":0})"), true, 0},
    {L_CLEANUP EXC(7.5, "free", 0), false, 0},
    {L_SCHED CANCEL EV(21, "clean"), false, -1},
    {L_STARTED EVC(6.5, "exception", R"({"type":"timelimit","severity":0})")
         EVC(7, "finish", R"({"status":15})"),
     false, 15},
    {L_STARTED CANCEL EVC(21, "finish", R"({"status":0})"), false, 0},
    {L_NEW, false, -1},
};
TABLE_PARAMS(outcome, success, outcome_success_rows)

ParameterizedTest(int *row, outcome, success)
{
    const success_case *c = &outcome_success_rows[*row];
    Job job = replay(c->log);
    cr_expect_eq(job.success(), c->success);
    cr_expect_eq(job.wait_status, c->wait_status);
    cr_expect_eq(job.finished, c->wait_status >= 0);
}

/* ------------------------------------------------- other events, effects */

Test(events, unknown_and_informational_are_kept_without_effect)
{
    const char *lines[] = {
        EV(6, "flux-restart"),
        EV(6, "debug.alloc-request"),
        EVC(6, "debug.x", R"({"anything":[1,2]})"),
        EVC(6, "annotations", R"({"annotations":{"a":1}})"),
        EVC(6, "resource-update", R"({"expiration":100})"),
        EV(6, "frobnicate"),
    };
    for (const char *state_log : {L_NEW, L_DEPEND, L_SCHED, L_RUN, L_CLEANUP}) {
        for (const char *line : lines) {
            Job job = replay(state_log);
            Job before = job;
            auto r = fluxd::job_apply(job, entry(line));
            cr_assert(r.has_value(), "%s", line);
            cr_expect(*r == before.state);
            cr_expect_eq(job.event_count, before.event_count + 1);
            job.event_count = before.event_count;
            cr_expect(job == before, "%s changed the job", line);
        }
    }
}

Test(events, memo_jobspec_update_set_flags)
{
    Job job = replay(
        L_SCHED EVC(4.1, "memo", R"({"a":1,"b":"x"})")
            EVC(4.2, "memo", R"({"a":null,"c":{"d":[true]}})")
                EVC(4.3, "jobspec-update", R"({"attributes.system.duration":60})")
                    EVC(4.4, "jobspec-update",
                        R"({"attributes.system.duration":120,"attributes.user.x":"y"})")
                        EVC(4.5, "set-flags", R"({"flags":["debug"]})")
                            EVC(4.6, "set-flags", R"({"flags":["alloc-bypass","immutable"]})"));
    cr_expect(job.state == JobState::SCHED);
    cr_expect_eq(job.memo.size(), 2u);
    cr_expect(job.memo.count("a") == 0);
    expect_str(job.memo["b"], "\"x\"");
    expect_str(job.memo["c"], "{\"d\":[true]}");
    cr_expect_eq(job.jobspec_updates.size(), 2u);
    expect_str(job.jobspec_updates["attributes.system.duration"], "120");
    expect_str(job.jobspec_updates["attributes.user.x"], "\"y\"");
    cr_expect_eq(job.flags, fluxd::JOB_FLAG_DEBUG);
    cr_expect(job.alloc_bypass);
    cr_expect(job.immutable);

    /* memo, set-flags, jobspec-update are valid from submit on */
    job = replay(L_NEW EVC(1.5, "memo", R"({"k":1})") EVC(1.6, "set-flags", R"({"flags":[]})"));
    cr_expect(job.state == JobState::NEW);
    expect_str(job.memo["k"], "1");
}

Test(events, requests_cleared_by_answers_and_perilog)
{
    Job job = replay(L_SCHED);
    job.alloc_pending = true;
    apply_all(job, EVC(5, "alloc", "{}"));
    cr_expect(!job.alloc_pending);
    cr_expect(job.allocated && job.has_resources);
    expect_str(job.alloc_annotations, "");

    job.start_pending = true;
    apply_all(job, EVC(5.1, "prolog-start", R"({"description":"a"})")
                       EVC(5.2, "prolog-start", R"({"description":"b"})")
                           EVC(5.3, "prolog-finish", R"({"description":"a","status":0})"));
    cr_expect_eq(job.prolog_active, 1);
    apply_all(job, EVC(5.4, "prolog-finish", R"({"description":"b","status":1})"));
    cr_expect_eq(job.prolog_active, 0);
    cr_expect_eq(job.perilog_status, 1);
    apply_all(job, EV(6, "start") EVC(6.5, "release", R"({"ranks":"1","final":false})")
                       EVC(7, "finish", R"({"status":0})"));
    cr_expect(job.start_pending);
    cr_expect(!job.released);
    apply_all(job, EVC(8, "release", R"({"ranks":"0","final":true})"));
    cr_expect(!job.start_pending);
    cr_expect(job.released);

    apply_all(job, EVC(8.1, "epilog-start", R"({"description":"e"})"));
    cr_expect(fluxd::job_next_action(job).action == JobAction::NONE);
    apply_all(job, EVC(8.2, "epilog-finish", R"({"description":"e","status":0})"));
    cr_expect(fluxd::job_next_action(job).action == JobAction::REQUEST_FREE);
    job.free_pending = true;
    apply_all(job, EV(9, "free"));
    cr_expect(!job.free_pending);
    cr_expect(fluxd::job_next_action(job).action == JobAction::POST_CLEAN);

    /* reaching INACTIVE clears whatever the manager left set */
    job.alloc_pending = true;
    apply_all(job, EV(10, "clean"));
    cr_expect(!job.alloc_pending && !job.start_pending && !job.free_pending);
}

Test(events, submit_sets_identity)
{
    Job job = replay(SUB(R"({"userid":5588,"urgency":31,"flags":6,"version":1,"extra":"ok"})"));
    cr_expect_eq(job.userid, 5588u);
    cr_expect_eq(job.urgency, 31);
    cr_expect_eq(job.flags, fluxd::JOB_FLAG_DEBUG | fluxd::JOB_FLAG_WAITABLE);
    cr_expect_eq(job.priority, -1);
    cr_expect_eq(job.t_submit, 1.0);
    cr_expect_eq(job.states_visited, 1);
    cr_expect_eq(job.event_count, 1u);

    Job fresh;
    cr_expect_eq(fresh.userid, fluxd::JOB_USERID_UNKNOWN);
    cr_expect_eq(fresh.urgency, 16);
    cr_expect_eq(fresh.priority, -1);
    cr_expect(fresh.state == JobState::NEW);
    cr_expect(!fresh.success());
}
