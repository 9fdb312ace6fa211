/* pam_fluxd.c - PAM account module: let a user onto a node only while they
 * have a job running on it (pam_fluxd(8)).
 *
 *   account  required  pam_fluxd.so [uri=local:///run/flux/local]
 *                                    [allow_users=a,b] [timeout=SECONDS] [debug]
 *
 * pam_sm_acct_mgmt() asks the node's broker (uri=, default the system
 * instance's socket) for its rank ("attr.get rank"), then asks the job
 * manager, through that broker, which of the user's jobs are in RUN with
 * that rank in R ("job-manager.running-on", doc/design/pam.md).  At least
 * one: PAM_SUCCESS; none: PAM_PERM_DENIED with a message to the user.
 *
 * Who asks: run as root (sshd), the module connects with its effective
 * uid/gid switched to the user's for the connect(2) alone, so the broker's
 * SO_PEERCRED check sees the user, who may ask about itself (guest access,
 * [access] allow-guest-user, must be on); run as the instance owner it asks
 * as the owner, who may ask about anyone.
 *
 * root (uid 0) is ignored (PAM_IGNORE, as pam_slurm_adopt does: the rest of
 * the stack decides); users in allow_users= get PAM_SUCCESS without a
 * query.  Every failure (bad option, unknown user, broker down, timeout,
 * malformed answer) denies and says why through pam_syslog(3).
 *
 * C, not C++: the module is loaded into sshd and login, so it holds no
 * state between calls, throws nothing, and links only libpam and the
 * public client library (flux/core.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <flux/core.h>

#define PAM_FLUXD_DEFAULT_URI "local:///run/flux/local"
#define PAM_FLUXD_DEFAULT_TIMEOUT 10.0

struct options {
    const char *uri;
    const char *allow_users; /* comma list, or NULL */
    double timeout;
    bool debug;
};

/* Parse argv into *opt; on an unknown or bad option log it and return -1. */
static int parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *opt)
{
    opt->uri = PAM_FLUXD_DEFAULT_URI;
    opt->allow_users = NULL;
    opt->timeout = PAM_FLUXD_DEFAULT_TIMEOUT;
    opt->debug = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "debug") == 0)
            opt->debug = true;
        else if (strncmp(a, "uri=", 4) == 0)
            opt->uri = a + 4;
        else if (strncmp(a, "allow_users=", 12) == 0)
            opt->allow_users = a + 12;
        else if (strncmp(a, "timeout=", 8) == 0) {
            char *end;
            errno = 0;
            double t = strtod(a + 8, &end);
            if (errno || end == a + 8 || *end || !(t > 0) || t > 3600) {
                pam_syslog(pamh, LOG_ERR, "invalid option %s: expected seconds in (0, 3600]", a);
                return -1;
            }
            opt->timeout = t;
        }
        else {
            pam_syslog(pamh, LOG_ERR, "unknown option %s", a);
            return -1;
        }
    }
    if (strncmp(opt->uri, "local://", 8) != 0 || opt->uri[8] != '/') {
        pam_syslog(pamh, LOG_ERR, "invalid option uri=%s: only local:///PATH is allowed",
                   opt->uri);
        return -1;
    }
    return 0;
}

/* Whether USER appears in the comma-separated LIST. */
static bool in_list(const char *list, const char *user)
{
    size_t n = strlen(user);
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, user, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* Connect to URI.  Run as root, connect with the effective ids of PW so the
 * broker sees the user; the ids are restored before returning.  NULL with
 * *error set on failure. */
static flux_t *open_as(const char *uri, const struct passwd *pw, flux_error_t *error)
{
    uid_t euid = geteuid();
    gid_t egid = getegid();
    bool switched = false;
    if (euid == 0 && pw->pw_uid != 0) {
        if (setegid(pw->pw_gid) < 0 || seteuid(pw->pw_uid) < 0) {
            snprintf(error->text, sizeof(error->text), "cannot take uid %u: %s",
                     (unsigned)pw->pw_uid, strerror(errno));
            if (setegid(egid) < 0) {
                /* still root: nothing more to undo */
            }
            return NULL;
        }
        switched = true;
    }
    flux_t *h = flux_open_ex(uri, 0, error);
    int saved = errno;
    if (switched && (seteuid(euid) < 0 || setegid(egid) < 0)) {
        /* Cannot happen for root; never go on with the wrong ids. */
        flux_close(h);
        snprintf(error->text, sizeof(error->text), "cannot restore uid %u: %s",
                 (unsigned)euid, strerror(errno));
        return NULL;
    }
    errno = saved;
    return h;
}

/* Wait for F's response within TIMEOUT; -1 with *error set on failure. */
static int wait_response(flux_future_t *f, double timeout, const char *what,
                         flux_error_t *error)
{
    if (!f) {
        snprintf(error->text, sizeof(error->text), "%s: %s", what, strerror(errno));
        return -1;
    }
    if (flux_future_wait_for(f, timeout) < 0) {
        snprintf(error->text, sizeof(error->text), "%s: no answer in %gs", what, timeout);
        return -1;
    }
    return 0;
}

/* Ask the broker at opt->uri how many of PW's jobs run on its rank.
 * Returns the count (>= 0), or -1 with *error set. */
static int running_here(const struct options *opt, const struct passwd *pw, uint32_t *rankp,
                        flux_error_t *error)
{
    int count = -1;
    flux_future_t *f = NULL;
    flux_t *h = open_as(opt->uri, pw, error);
    if (!h)
        return -1;
    const char *value = NULL;
    f = flux_rpc_pack(h, "attr.get", FLUX_NODEID_ANY, 0, "{s:s}", "name", "rank");
    if (wait_response(f, opt->timeout, "attr.get rank", error) < 0)
        goto done;
    if (flux_rpc_get_unpack(f, "{s:s}", "value", &value) < 0) {
        snprintf(error->text, sizeof(error->text), "attr.get rank: %s",
                 flux_future_error_string(f));
        goto done;
    }
    char *end;
    errno = 0;
    unsigned long rank = strtoul(value, &end, 10);
    if (errno || end == value || *end || rank > UINT32_MAX - 2) {
        snprintf(error->text, sizeof(error->text), "attr.get rank: malformed value '%.32s'",
                 value);
        goto done;
    }
    flux_future_destroy(f);
    f = flux_rpc_pack(h, "job-manager.running-on", FLUX_NODEID_ANY, 0, "{s:I s:I}", "userid",
                      (json_int_t)pw->pw_uid, "rank", (json_int_t)rank);
    if (wait_response(f, opt->timeout, "job-manager.running-on", error) < 0)
        goto done;
    json_t *jobs = NULL;
    json_int_t userid = -1;
    if (flux_rpc_get_unpack(f, "{s:I s:o}", "userid", &userid, "jobs", &jobs) < 0) {
        snprintf(error->text, sizeof(error->text), "job-manager.running-on: %s",
                 errno == EPROTO ? "malformed answer" : flux_future_error_string(f));
        goto done;
    }
    if (userid != (json_int_t)pw->pw_uid || !json_is_array(jobs)) {
        snprintf(error->text, sizeof(error->text), "job-manager.running-on: malformed answer");
        goto done;
    }
    *rankp = (uint32_t)rank;
    count = (int)json_array_size(jobs);
done:
    flux_future_destroy(f);
    flux_close(h);
    return count;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    struct options opt;
    if (parse_options(pamh, argc, argv, &opt) < 0)
        return PAM_PERM_DENIED;
    const char *user = NULL;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
        pam_syslog(pamh, LOG_ERR, "cannot determine the user");
        return PAM_USER_UNKNOWN;
    }
    struct passwd pwbuf, *pw = NULL;
    char buf[4096];
    if (getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw) {
        pam_syslog(pamh, LOG_ERR, "unknown user %s", user);
        return PAM_USER_UNKNOWN;
    }
    if (pw->pw_uid == 0) {
        if (opt.debug)
            pam_syslog(pamh, LOG_DEBUG, "ignoring root");
        return PAM_IGNORE;
    }
    if (opt.allow_users && in_list(opt.allow_users, user)) {
        if (opt.debug)
            pam_syslog(pamh, LOG_DEBUG, "user %s is in allow_users", user);
        return PAM_SUCCESS;
    }
    flux_error_t error = {{0}};
    uint32_t rank = 0;
    int n = running_here(&opt, pw, &rank, &error);
    if (n < 0) {
        pam_syslog(pamh, LOG_ERR, "access denied to %s: cannot ask the broker at %s: %s", user,
                   opt.uri, error.text);
        pam_error(pamh, "Access denied by pam_fluxd: cannot reach the resource manager");
        return PAM_PERM_DENIED;
    }
    if (n == 0) {
        pam_syslog(pamh, LOG_NOTICE, "access denied to %s: no running job on rank %u", user,
                   (unsigned)rank);
        pam_error(pamh, "Access denied by pam_fluxd: user %s has no running job on this node",
                  user);
        return PAM_PERM_DENIED;
    }
    if (opt.debug)
        pam_syslog(pamh, LOG_DEBUG, "user %s has %d running job(s) on rank %u", user, n,
                   (unsigned)rank);
    return PAM_SUCCESS;
}
