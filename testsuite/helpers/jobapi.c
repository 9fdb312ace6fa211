/* jobapi.c - test helper: drive the job API (flux/job.h) from C.
 *
 *   jobapi watch ID PATH      print each entry of job ID's eventlog PATH
 *                             until "clean" (or, for guest.output, the
 *                             first "data"), then cancel and expect ENODATA
 *   jobapi follow ID PATH     print each entry of job ID's eventlog PATH
 *                             and "ENODATA" when the stream ends by itself
 *                             (never cancelled)
 *   jobapi list ATTRS STATES  print the flux_job_list() array (ATTRS JSON)
 *   jobapi array IDSET        submit the jobspec on stdin once per id of
 *                             IDSET, print the ids
 *   jobapi journal            count the journal's backlog entries
 *
 * Errors print "jobapi: ERRNO: text" and exit 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flux/job.h>

static void fail(const char *what, flux_future_t *f)
{
    int e = errno;
    fprintf(stderr, "jobapi: %s: %d: %s\n", what, e, f ? flux_future_error_string(f) : strerror(e));
    exit(1);
}

/* Watch job IDSTR's eventlog PATH; WHAT names the command in errors. */
static flux_future_t *start_watch(flux_t *h, const char *idstr, const char *path,
                                  const char *what)
{
    flux_jobid_t id;
    if (flux_job_id_parse(idstr, &id) < 0)
        fail("parse", NULL);
    /* The output eventlog appears when the job starts; the main one exists
     * from submission (an unknown job must fail, not wait). */
    int flags = strcmp(path, "eventlog") ? FLUX_JOB_EVENT_WATCH_WAITCREATE : 0;
    flux_future_t *f = flux_job_event_watch(h, id, path, flags);
    if (!f)
        fail(what, NULL);
    return f;
}

static int watch(flux_t *h, const char *idstr, const char *path)
{
    flux_future_t *f = start_watch(h, idstr, path, "watch");
    const char *entry;
    for (;;) {
        if (flux_job_event_watch_get(f, &entry) < 0)
            fail("watch", f);
        /* One entry: one JSON object, no newline. */
        json_error_t jerr;
        json_t *o = json_loads(entry, 0, &jerr);
        const char *name;
        if (strchr(entry, '\n') || !o || json_unpack(o, "{s:s}", "name", &name) < 0) {
            fprintf(stderr, "jobapi: not one eventlog entry: %s\n", entry);
            exit(1);
        }
        json_decref(o);
        printf("%s\n", entry);
        if (strstr(entry, "\"name\":\"clean\"") || strstr(entry, "\"name\":\"data\""))
            break;
        flux_future_reset(f);
    }
    flux_future_reset(f);
    if (flux_job_event_watch_cancel(f) < 0)
        fail("cancel", NULL);
    /* Entries sent before the cancel may still come; then ENODATA. */
    while (flux_job_event_watch_get(f, &entry) == 0)
        flux_future_reset(f);
    if (errno != ENODATA)
        fail("end of watch", f);
    printf("ENODATA\n");
    flux_future_destroy(f);
    return 0;
}

static int follow(flux_t *h, const char *idstr, const char *path)
{
    flux_future_t *f = start_watch(h, idstr, path, "follow");
    const char *entry;
    while (flux_job_event_watch_get(f, &entry) == 0) {
        printf("%s\n", entry);
        fflush(stdout);
        flux_future_reset(f);
    }
    if (errno != ENODATA)
        fail("follow", f);
    printf("ENODATA\n");
    flux_future_destroy(f);
    return 0;
}

static int list(flux_t *h, const char *attrs, const char *states)
{
    json_t *jobs;
    flux_future_t *f = flux_job_list(h, 0, attrs, FLUX_USERID_UNKNOWN, atoi(states));
    if (!f || flux_job_list_get(f, &jobs) < 0)
        fail("list", f);
    char *s = json_dumps(jobs, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    flux_future_destroy(f);
    return 0;
}

static int array(flux_t *h, const char *idset)
{
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, stdin);
    text[n] = '\0';
    flux_future_t *f = flux_job_submit_array(h, text, FLUX_JOB_URGENCY_DEFAULT, 0, idset, 0);
    const flux_jobid_t *ids;
    size_t count;
    if (!f || flux_job_submit_get_ids(f, &ids, &count) < 0)
        fail("submit array", f);
    for (size_t i = 0; i < count; i++) {
        char buf[32];
        flux_job_id_encode(ids[i], "f58plain", buf, sizeof(buf));
        printf("%s\n", buf);
    }
    flux_future_destroy(f);
    return 0;
}

static int journal(flux_t *h)
{
    flux_future_t *f = flux_job_journal(h, FLUX_JOB_JOURNAL_FULL);
    int backlog = 0;
    for (;;) {
        flux_jobid_t id;
        const char *events;
        if (!f || flux_job_journal_get(f, &id, &events) < 0)
            fail("journal", f);
        if (id == FLUX_JOBID_ANY)
            break;
        if (events[0] != '[')
            fail("journal events", NULL);
        backlog++;
        flux_future_reset(f);
    }
    printf("%d\n", backlog);
    flux_future_destroy(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "Usage: jobapi watch|follow|list|array|journal ...\n");
        return 2;
    }
    alarm(60); /* a test must fail, not hang, if an answer never comes */
    flux_t *h = flux_open(NULL, 0);
    if (!h)
        fail("open", NULL);
    int rc = 2;
    if (!strcmp(argv[1], "watch") && argc == 4)
        rc = watch(h, argv[2], argv[3]);
    else if (!strcmp(argv[1], "follow") && argc == 4)
        rc = follow(h, argv[2], argv[3]);
    else if (!strcmp(argv[1], "list") && argc == 4)
        rc = list(h, argv[2], argv[3]);
    else if (!strcmp(argv[1], "array") && argc == 3)
        rc = array(h, argv[2]);
    else if (!strcmp(argv[1], "journal") && argc == 2)
        rc = journal(h);
    else
        fprintf(stderr, "jobapi: bad arguments\n");
    flux_close(h);
    return rc;
}
