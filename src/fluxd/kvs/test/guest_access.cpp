/* fluxd/kvs/test/guest_access.cpp - Criterion tests for the guest's view of
 * the primary namespace: which keys lie in a job's directory and which of
 * them a guest may write; who submitted a job, from its eventlog. */
#include <criterion/criterion.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

#include "kvs/guest_access.h"

using fluxd::eventlog_submitter;
using fluxd::guest_key;

namespace {

struct KeyCase {
    const char *key;
    bool in_job;
    uint64_t id;
    bool writable;
};

const KeyCase key_cases[] = {
    {"job.0000.0000.0000.0001", true, 1, false},
    {"job.0000.0000.0000.0001.eventlog", true, 1, false},
    {"job.0000.0000.0000.0001.jobspec", true, 1, false},
    {"job.0000.0000.0000.0001.R", true, 1, false},
    {"job.0017.e9fb.8df1.6c2e.guest", true, 0x0017e9fb8df16c2eULL, true},
    {"job.0017.e9fb.8df1.6c2e.guest.output", true, 0x0017e9fb8df16c2eULL, true},
    {"job.0017.e9fb.8df1.6c2e.guest.exec.eventlog", true, 0x0017e9fb8df16c2eULL, true},
    {"job.0017.e9fb.8df1.6c2e.guestbook", true, 0x0017e9fb8df16c2eULL, false},
    {"job.0017.e9fb.8df1.6c2e.eventlog.guest", true, 0x0017e9fb8df16c2eULL, false},
    /* Not inside one job's directory. */
    {"job", false, 0, false},
    {"job.0000", false, 0, false},
    {"job.0000.0000.0000", false, 0, false},
    {"job.0000.0000.0000.00011", false, 0, false},
    {"job.0000.0000.0000.000g", false, 0, false},
    {"job.0000-0000.0000.0001", false, 0, false},
    {"jobs.0000.0000.0000.0001", false, 0, false},
    {"resource.R", false, 0, false},
    {"", false, 0, false},
};

std::string eventlog_value(const char *first_line)
{
    std::string v = "\"";
    for (const char *p = first_line; *p; p++) {
        if (*p == '"')
            v += "\\\"";
        else if (*p == '\n')
            v += "\\n";
        else
            v += *p;
    }
    return v + "\"";
}

} // namespace

Test(guest_access, job_directory_keys)
{
    for (const auto &c : key_cases) {
        auto g = guest_key(c.key);
        cr_expect_eq(g.has_value(), c.in_job, "key '%s': in a job directory? want %d", c.key,
                     c.in_job);
        if (g && c.in_job) {
            cr_expect_eq(g->id, c.id, "key '%s': id", c.key);
            cr_expect_eq(g->writable, c.writable, "key '%s': writable? want %d", c.key,
                         c.writable);
        }
    }
}

Test(guest_access, submitter_from_eventlog)
{
    auto uid = eventlog_submitter(eventlog_value(
        "{\"timestamp\":1.5,\"name\":\"submit\",\"context\":{\"userid\":1001,\"urgency\":16}}\n"
        "{\"timestamp\":1.6,\"name\":\"validate\"}\n"));
    cr_assert(uid.has_value());
    cr_expect_eq(*uid, 1001u);
}

Test(guest_access, submitter_refuses_other_eventlogs)
{
    const std::string bad[] = {
        "{}",
        "42",
        "not json",
        eventlog_value(""),
        eventlog_value("{\"timestamp\":1.5,\"name\":\"validate\",\"context\":{\"userid\":1}}\n"),
        eventlog_value("{\"timestamp\":1.5,\"name\":\"submit\",\"context\":{}}\n"),
        eventlog_value("{\"timestamp\":1.5,\"name\":\"submit\",\"context\":{\"userid\":-1}}\n"),
        eventlog_value("{\"timestamp\":1.5,\"name\":\"submit\"}\n"),
    };
    for (const auto &v : bad) {
        auto uid = eventlog_submitter(v);
        cr_expect(!uid.has_value(), "value %s: want an error", v.c_str());
        if (!uid)
            cr_expect_eq(uid.error().errnum, EINVAL, "value %s: errnum", v.c_str());
    }
}
