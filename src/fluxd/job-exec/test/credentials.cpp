/* fluxd/job-exec/test/credentials.cpp - Criterion tests for who a job's
 * shell runs as: the broker itself, the submitter (root broker), or an
 * error naming the user (unprivileged broker without an IMP). */
#include <criterion/criterion.h>

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "job-exec/credentials.h"

using fluxd::apply_credentials;
using fluxd::job_credentials;

namespace {

/* A user other than root with a passwd entry: "nobody" on Debian. */
struct passwd *other_user()
{
    struct passwd *pw = getpwnam("nobody");
    cr_assert_not_null(pw, "no 'nobody' user on this system");
    return pw;
}

} // namespace

Test(credentials, broker_user_runs_as_itself)
{
    for (uid_t broker : {(uid_t)0, (uid_t)1000, (uid_t)65534}) {
        auto c = job_credentials((uint32_t)broker, broker);
        cr_assert(c.has_value(), "uid %u: %s", (unsigned)broker,
                  c ? "" : c.error().text.c_str());
        cr_expect(!c->has_value(), "uid %u: the broker's own jobs need no switch", (unsigned)broker);
    }
}

Test(credentials, root_broker_switches_to_the_submitter)
{
    struct passwd *pw = other_user();
    auto c = job_credentials((uint32_t)pw->pw_uid, 0);
    cr_assert(c.has_value() && c->has_value(), "%s", c ? "no credentials" : c.error().text.c_str());
    const fluxd::JobCredentials &jc = **c;
    cr_expect_eq(jc.uid, pw->pw_uid);
    cr_expect_eq(jc.gid, pw->pw_gid);
    cr_expect_str_eq(jc.user.c_str(), "nobody");
    cr_expect(std::find(jc.groups.begin(), jc.groups.end(), pw->pw_gid) != jc.groups.end(),
              "the primary group is among the supplementary groups, as initgroups sets");
}

Test(credentials, unprivileged_broker_without_imp_names_the_user)
{
    struct passwd *pw = other_user();
    uid_t broker = pw->pw_uid == 1000 ? 1001 : 1000;
    auto c = job_credentials(0, broker);
    cr_assert(!c.has_value());
    cr_expect_eq(c.error().errnum, EPERM);
    cr_expect_str_eq(c.error().text.c_str(), "no IMP configured to run jobs as user root");
}

Test(credentials, unknown_uid_is_refused)
{
    const uint32_t uid = 3999999999u;
    cr_assert_null(getpwuid((uid_t)uid), "uid %u exists here", uid);
    auto c = job_credentials(uid, 0);
    cr_assert(!c.has_value());
    cr_expect_eq(c.error().errnum, ENOENT);
    cr_expect(c.error().text.find("3999999999") != std::string::npos, "%s",
              c.error().text.c_str());
}

/* Root only: a child takes the identity and cannot take root back. */
Test(credentials, child_takes_the_identity)
{
    if (getuid() != 0) {
        cr_skip_test("needs root");
        return;
    }
    struct passwd *pw = other_user();
    auto c = job_credentials((uint32_t)pw->pw_uid, 0);
    cr_assert(c.has_value() && c->has_value());
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (apply_credentials(**c) != 0)
            _exit(2);
        gid_t groups[64];
        int n = getgroups(64, groups);
        bool ok = getuid() == pw->pw_uid && geteuid() == pw->pw_uid && getgid() == pw->pw_gid
                  && n == (int)(*c)->groups.size() && setuid(0) < 0;
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
