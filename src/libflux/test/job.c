/* libflux/test/job.c - Criterion unit tests of the job API's id functions
 * (flux/job.h, compiled as C): flux_job_id_parse() over every form,
 * flux_job_id_encode() to every type and back, flux_job_kvs_key(), and the
 * error of every failure path (EINVAL, EPROTO, EOVERFLOW). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <flux/job.h>

struct id_case {
    flux_jobid_t id;
    const char *type;
    const char *text;
};

/* Encodings of known ids (dec/hex/dothex/f58 computed from RFC 19; words
 * from Flux's own tests and documentation). */
static const struct id_case id_cases[] = {
    {0, "dec", "0"},
    {0, "hex", "0x0"},
    {0, "dothex", "0000.0000.0000.0000"},
    {0, "kvs", "job.0000.0000.0000.0000"},
    {0, "f58plain", "f1"},
    {0, "words", "academy-academy-academy--academy-academy-academy"},
    {633528662, "kvs", "job.0000.0000.25c2.e156"},
    {6731191091817518ULL, "f58plain", "fuZZybuNNy"},
    {6731191091817518ULL, "dothex", "0017.e9fb.8df1.6c2e"},
    {0xac3f7137000000ULL, "words", "airline-alibi-index--tuna-maximum-adam"},
    {18446744073709551615ULL, "dec", "18446744073709551615"},
    {18446744073709551615ULL, "hex", "0xffffffffffffffff"},
    {18446744073709551615ULL, "kvs", "job.ffff.ffff.ffff.ffff"},
    {18446744073709551615ULL, "f58plain", "fjpXCZedGfVQ"},
    {18446744073709551615ULL, "words", "natural-analyze-verbal--natural-analyze-verbal"},
};

Test(job_id, encode_and_parse_known)
{
    for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
        const struct id_case *c = &id_cases[i];
        char buf[64];
        flux_jobid_t id = 1;
        cr_assert_eq(flux_job_id_encode(c->id, c->type, buf, sizeof(buf)), 0, "%s", c->type);
        cr_expect_str_eq(buf, c->text);
        cr_assert_eq(flux_job_id_parse(c->text, &id), 0, "parse '%s'", c->text);
        cr_expect_eq(id, c->id, "'%s' parsed to %llu", c->text, (unsigned long long)id);
    }
}

Test(job_id, round_trip_every_type)
{
    static const char *types[] = {"dec", "hex", "dothex", "kvs", "f58", "f58plain", "words", NULL};
    flux_jobid_t ids[] = {0, 1, 57, 58, 1625, 1626, 4294967295ULL, 4294967296ULL,
                          6731191091817518ULL, 18446744073709551614ULL, 18446744073709551615ULL};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        for (const char **t = types; *t; t++) {
            char buf[64];
            flux_jobid_t id;
            cr_assert_eq(flux_job_id_encode(ids[i], *t, buf, sizeof(buf)), 0);
            cr_assert_eq(flux_job_id_parse(buf, &id), 0, "parse '%s'", buf);
            cr_expect_eq(id, ids[i], "%s: '%s'", *t, buf);
        }
    }
}

Test(job_id, null_type_is_dec)
{
    char buf[32];
    cr_assert_eq(flux_job_id_encode(42, NULL, buf, sizeof(buf)), 0);
    cr_expect_str_eq(buf, "42");
}

Test(job_id, encode_errors)
{
    char buf[64];
    errno = 0;
    cr_expect_eq(flux_job_id_encode(1, "emoji", buf, sizeof(buf)), -1);
    cr_expect_eq(errno, EPROTO);
    errno = 0;
    cr_expect_eq(flux_job_id_encode(1, "", buf, sizeof(buf)), -1);
    cr_expect_eq(errno, EPROTO);
    errno = 0;
    cr_expect_eq(flux_job_id_encode(1, "dec", NULL, 10), -1);
    cr_expect_eq(errno, EINVAL);
    /* "18446744073709551615" needs 21 bytes with its NUL */
    errno = 0;
    cr_expect_eq(flux_job_id_encode(18446744073709551615ULL, "dec", buf, 20), -1);
    cr_expect_eq(errno, EOVERFLOW);
    cr_expect_eq(flux_job_id_encode(18446744073709551615ULL, "dec", buf, 21), 0);
}

Test(job_id, parse_errors)
{
    static const char *bad[] = {"", "badstring", "bad-words", "42plusbad", "-1",
                                "18446744073709551616", "job.0000.0000", "job.0000.0000.0000.000P",
                                "academy-academy-academy", "f0", NULL};
    for (const char **s = bad; *s; s++) {
        flux_jobid_t id = 7;
        errno = 0;
        cr_expect_eq(flux_job_id_parse(*s, &id), -1, "'%s' parsed", *s);
        cr_expect_eq(errno, EINVAL, "'%s'", *s);
        cr_expect_eq(id, 7, "'%s' changed the id", *s);
    }
    errno = 0;
    cr_expect_eq(flux_job_id_parse(NULL, NULL), -1);
    cr_expect_eq(errno, EINVAL);
}

Test(job_kvs_key, keys)
{
    char buf[64];
    cr_expect_eq(flux_job_kvs_key(buf, sizeof(buf), 633528662, "eventlog"), 32);
    cr_expect_str_eq(buf, "job.0000.0000.25c2.e156.eventlog");
    cr_expect_eq(flux_job_kvs_key(buf, sizeof(buf), 633528662, NULL), 23);
    cr_expect_str_eq(buf, "job.0000.0000.25c2.e156");
    cr_expect_eq(flux_job_kvs_key(buf, sizeof(buf), 1, "guest.output"), 36);
    cr_expect_str_eq(buf, "job.0000.0000.0000.0001.guest.output");
}

Test(job_kvs_key, errors)
{
    char buf[64];
    static const char *bad[] = {"", ".", "a..b", ".a", "a.", "a/b", "a b", NULL};
    for (const char **k = bad; *k; k++) {
        errno = 0;
        cr_expect_eq(flux_job_kvs_key(buf, sizeof(buf), 1, *k), -1, "'%s'", *k);
        cr_expect_eq(errno, EINVAL, "'%s'", *k);
    }
    errno = 0;
    cr_expect_eq(flux_job_kvs_key(buf, 23, 1, NULL), -1); /* 23 chars + NUL */
    cr_expect_eq(errno, EOVERFLOW);
    cr_expect_eq(flux_job_kvs_key(buf, 24, 1, NULL), 23);
    errno = 0;
    cr_expect_eq(flux_job_kvs_key(NULL, 24, 1, NULL), -1);
    cr_expect_eq(errno, EINVAL);
}

Test(job_api, bad_arguments_are_einval)
{
    /* No handle is needed to see the arguments refused. */
    errno = 0;
    cr_expect_null(flux_job_submit(NULL, "{}", 16, 0));
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_null(flux_job_wait(NULL, 1));
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_null(flux_job_event_watch(NULL, 1, "eventlog", 0));
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_job_event_watch_get(NULL, NULL), -1);
    cr_expect_eq(errno, EINVAL);
}
