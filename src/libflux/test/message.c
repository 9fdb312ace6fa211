/* libflux/test/message.c - Criterion tests (plain C11) for the public flux_msg_t API: accessors,
 * payload, routes, copy, wire codec, matching. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flux/core.h"

/* Wire layout (see message.cpp): offsets of the fixed header fields. */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 1,
    OFF_TYPE = 2,
    OFF_FLAGS = 3,
    OFF_TOPICLEN = 24,
    FIXED_HEADER = 26,
};

static const int all_types[] = {
    FLUX_MSGTYPE_REQUEST,
    FLUX_MSGTYPE_RESPONSE,
    FLUX_MSGTYPE_EVENT,
    FLUX_MSGTYPE_CONTROL,
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static flux_msg_t *must_create(int type)
{
    flux_msg_t *msg = flux_msg_create(type);
    cr_assert_not_null(msg, "flux_msg_create(%d) failed: %s", type, strerror(errno));
    return msg;
}

/* Encode msg into a malloc'd buffer of exactly the right size. */
static uint8_t *must_encode(const flux_msg_t *msg, size_t *len)
{
    ssize_t n = flux_msg_encode_size(msg);
    cr_assert_gt(n, 0, "encode_size failed: %s", strerror(errno));
    uint8_t *buf = malloc((size_t)n);
    cr_assert_not_null(buf);
    ssize_t w = flux_msg_encode(msg, buf, (size_t)n);
    cr_assert_eq(w, n, "encode wrote %zd, encode_size said %zd", w, n);
    *len = (size_t)n;
    return buf;
}

/* Decode exactly len bytes from a private heap copy, so any read outside
 * the buffer is a real out-of-bounds read (visible to ASan/valgrind). */
static flux_msg_t *decode_copy(const uint8_t *buf, size_t len)
{
    uint8_t *cpy = malloc(len ? len : 1);
    cr_assert_not_null(cpy);
    if (len)
        memcpy(cpy, buf, len);
    flux_msg_t *msg = flux_msg_decode(cpy, len);
    int saved = errno;
    free(cpy);
    errno = saved;
    return msg;
}

static void expect_decode_eproto(const uint8_t *buf, size_t len, const char *what)
{
    errno = 0;
    flux_msg_t *msg = decode_copy(buf, len);
    cr_expect_null(msg, "%s: decode should fail", what);
    cr_expect_eq(errno, EPROTO, "%s: errno %d (%s), expected EPROTO", what, errno, strerror(errno));
    flux_msg_decref(msg);
}

/* Field-by-field equality of two messages through the public API. */
static void expect_msg_equal(const flux_msg_t *a, const flux_msg_t *b, const char *what)
{
    int ta, tb;
    uint8_t fa, fb;
    uint32_t ua, ub;
    int ea, eb;
    cr_assert_eq(flux_msg_get_type(a, &ta), 0);
    cr_assert_eq(flux_msg_get_type(b, &tb), 0);
    cr_expect_eq(ta, tb, "%s: type", what);
    cr_assert_eq(flux_msg_get_flags(a, &fa), 0);
    cr_assert_eq(flux_msg_get_flags(b, &fb), 0);
    cr_expect_eq(fa, fb, "%s: flags", what);
    cr_assert_eq(flux_msg_get_userid(a, &ua), 0);
    cr_assert_eq(flux_msg_get_userid(b, &ub), 0);
    cr_expect_eq(ua, ub, "%s: userid", what);
    cr_assert_eq(flux_msg_get_rolemask(a, &ua), 0);
    cr_assert_eq(flux_msg_get_rolemask(b, &ub), 0);
    cr_expect_eq(ua, ub, "%s: rolemask", what);
    cr_assert_eq(flux_msg_get_nodeid(a, &ua), 0);
    cr_assert_eq(flux_msg_get_nodeid(b, &ub), 0);
    cr_expect_eq(ua, ub, "%s: nodeid", what);
    cr_assert_eq(flux_msg_get_matchtag(a, &ua), 0);
    cr_assert_eq(flux_msg_get_matchtag(b, &ub), 0);
    cr_expect_eq(ua, ub, "%s: matchtag", what);
    cr_assert_eq(flux_msg_get_errnum(a, &ea), 0);
    cr_assert_eq(flux_msg_get_errnum(b, &eb), 0);
    cr_expect_eq(ea, eb, "%s: errnum", what);

    const char *topa = NULL, *topb = NULL;
    int ra = flux_msg_get_topic(a, &topa);
    int rb = flux_msg_get_topic(b, &topb);
    cr_expect_eq(ra, rb, "%s: topic presence", what);
    if (ra == 0 && rb == 0)
        cr_expect_str_eq(topa, topb, "%s: topic", what);

    cr_expect_eq(flux_msg_route_count(a), flux_msg_route_count(b), "%s: route count", what);
    char *sa = flux_msg_route_string(a);
    char *sb = flux_msg_route_string(b);
    cr_assert_not_null(sa);
    cr_assert_not_null(sb);
    cr_expect_str_eq(sa, sb, "%s: route string", what);
    free(sa);
    free(sb);

    cr_expect_eq(flux_msg_has_payload(a), flux_msg_has_payload(b), "%s: has_payload", what);
    if (flux_msg_has_payload(a) && flux_msg_has_payload(b)) {
        const void *pa, *pb;
        size_t la, lb;
        cr_assert_eq(flux_msg_get_payload(a, &pa, &la), 0);
        cr_assert_eq(flux_msg_get_payload(b, &pb, &lb), 0);
        cr_expect_eq(la, lb, "%s: payload length", what);
        if (la == lb)
            cr_expect_eq(memcmp(pa, pb, la), 0, "%s: payload bytes", what);
    }
}

/* A table of messages exercising every field of the encoding. */
struct msg_spec {
    const char *name;
    int type;
    uint8_t flags;
    const char *topic; /* NULL: leave unset */
    uint32_t nodeid;
    uint32_t matchtag;
    uint32_t userid;
    uint32_t rolemask;
    int errnum;
    const char *routes[4]; /* NULL-terminated */
    const char *payload;   /* NULL: none */
    size_t payload_len;    /* 0 with payload: strlen */
};

static const struct msg_spec specs[] = {
    {"plain request", FLUX_MSGTYPE_REQUEST, 0, "a.b", 0, 1, 0, 1, 0, {NULL}, NULL, 0},
    {"request with payload",
     FLUX_MSGTYPE_REQUEST,
     0,
     "kvs.get",
     FLUX_NODEID_ANY,
     42,
     1000,
     FLUX_ROLE_USER,
     0,
     {NULL},
     "{\"key\":\"a.b.c\"}",
     0},
    {"request upstream noresponse",
     FLUX_MSGTYPE_REQUEST,
     FLUX_MSGFLAG_UPSTREAM | FLUX_MSGFLAG_NORESPONSE,
     "x",
     FLUX_NODEID_UPSTREAM,
     0,
     5,
     3,
     0,
     {NULL},
     NULL,
     0},
    {"request one route",
     FLUX_MSGTYPE_REQUEST,
     FLUX_MSGFLAG_STREAMING,
     "job.list",
     3,
     7,
     0,
     1,
     0,
     {"c1", NULL},
     "{}",
     0},
    {"request three routes",
     FLUX_MSGTYPE_REQUEST,
     0,
     "svc.m",
     12,
     0xffffffffu,
     0xffffffffu,
     0xffffffffu,
     0,
     {"c12", "3", "0", NULL},
     "{\"a\":[1,2,3]}",
     0},
    {"response empty topic", FLUX_MSGTYPE_RESPONSE, 0, NULL, 0, 9, 0, 0, 0, {NULL}, NULL, 0},
    {"response with error",
     FLUX_MSGTYPE_RESPONSE,
     0,
     "a.b",
     0,
     9,
     0,
     1,
     ENOENT,
     {"c2", NULL},
     "{\"errstr\":\"no such thing\"}",
     0},
    {"response negative errnum", FLUX_MSGTYPE_RESPONSE, 0, "r", 1, 1, 1, 1, -1, {NULL}, NULL, 0},
    {"response empty payload",
     FLUX_MSGTYPE_RESPONSE,
     FLUX_MSGFLAG_STREAMING,
     "s.t",
     0,
     2,
     0,
     1,
     0,
     {NULL},
     "",
     0},
    {"event",
     FLUX_MSGTYPE_EVENT,
     0,
     "heartbeat.pulse",
     FLUX_NODEID_ANY,
     17,
     0,
     1,
     0,
     {NULL},
     "{\"seq\":17}",
     0},
    {"private event",
     FLUX_MSGTYPE_EVENT,
     FLUX_MSGFLAG_PRIVATE,
     "job.state",
     0,
     1,
     500,
     2,
     0,
     {NULL},
     NULL,
     0},
    {"control", FLUX_MSGTYPE_CONTROL, 0, NULL, 0, 0, 0, 0, 0, {NULL}, NULL, 0},
    {"control with topic", FLUX_MSGTYPE_CONTROL, 0xff, "ctl", 1, 2, 3, 4, 5, {"x", NULL}, NULL, 0},
    {"binary payload", FLUX_MSGTYPE_REQUEST, 0, "bin", 0, 0, 0, 0, 0, {NULL}, "a\0b\0c\xff", 6},
};

static flux_msg_t *build(const struct msg_spec *s)
{
    flux_msg_t *msg = must_create(s->type);
    cr_assert_eq(flux_msg_set_flags(msg, s->flags), 0);
    if (s->topic)
        cr_assert_eq(flux_msg_set_topic(msg, s->topic), 0);
    cr_assert_eq(flux_msg_set_nodeid(msg, s->nodeid), 0);
    cr_assert_eq(flux_msg_set_matchtag(msg, s->matchtag), 0);
    cr_assert_eq(flux_msg_set_userid(msg, s->userid), 0);
    cr_assert_eq(flux_msg_set_rolemask(msg, s->rolemask), 0);
    cr_assert_eq(flux_msg_set_errnum(msg, s->errnum), 0);
    for (int i = 0; s->routes[i]; i++)
        cr_assert_eq(flux_msg_route_push(msg, s->routes[i]), 0);
    if (s->payload) {
        size_t len = s->payload_len ? s->payload_len : strlen(s->payload);
        cr_assert_eq(flux_msg_set_payload(msg, s->payload, len), 0);
    }
    return msg;
}

static size_t expected_size(const struct msg_spec *s)
{
    size_t n = FIXED_HEADER + (s->topic ? strlen(s->topic) : 0) + 1;
    for (int i = 0; s->routes[i]; i++)
        n += 1 + strlen(s->routes[i]);
    n += 1;
    if (s->payload)
        n += 4 + (s->payload_len ? s->payload_len : strlen(s->payload));
    return n;
}

/* A valid request "t.x" with route "r1" and payload "{}":
 * header(26) + "t.x"(3) + nroutes(1) + len(1) + "r1"(2) + has(1) + len(4) + "{}"(2) = 40 */
static size_t valid_request(uint8_t *buf, size_t size)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    cr_assert_eq(flux_msg_set_topic(msg, "t.x"), 0);
    cr_assert_eq(flux_msg_route_push(msg, "r1"), 0);
    cr_assert_eq(flux_msg_set_string(msg, "{}"), 0);
    ssize_t n = flux_msg_encode(msg, buf, size);
    cr_assert_eq(n, 40);
    flux_msg_decref(msg);
    return (size_t)n;
}
#define OFF_NROUTES 29
#define OFF_ROUTE0_LEN 30
#define OFF_HASPAYLOAD 33
#define OFF_PAYLOADLEN 34

/* Create / destroy ------------------------------------------------------*/

Test(message, create_each_type)
{
    for (size_t i = 0; i < NTYPES; i++) {
        flux_msg_t *msg = must_create(all_types[i]);
        int type = 0;
        cr_expect_eq(flux_msg_get_type(msg, &type), 0);
        cr_expect_eq(type, all_types[i], "type %d", all_types[i]);
        flux_msg_destroy(msg);
    }
}

Test(message, create_invalid_type)
{
    const int bad[] = {0, 3, 5, 0x10, 0x80, 0xff, -1, FLUX_MSGTYPE_ANY, 1 << 20};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        errno = 0;
        flux_msg_t *msg = flux_msg_create(bad[i]);
        cr_expect_null(msg, "flux_msg_create(%d) should fail", bad[i]);
        cr_expect_eq(errno, EINVAL, "flux_msg_create(%d): errno %d", bad[i], errno);
    }
}

Test(message, destroy_null_is_noop)
{
    errno = 1234;
    flux_msg_destroy(NULL);
    flux_msg_decref(NULL);
    cr_expect_null(flux_msg_incref(NULL));
    cr_expect_eq(errno, 1234);
}

Test(message, refcount)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_EVENT);
    cr_assert_eq(flux_msg_set_topic(msg, "ev"), 0);
    cr_expect_eq(flux_msg_incref(msg), msg);
    cr_expect_eq(flux_msg_incref(msg), msg);
    flux_msg_decref(msg);
    flux_msg_decref(msg);
    /* still one reference held: the message is intact */
    const char *topic = NULL;
    cr_expect_eq(flux_msg_get_topic(msg, &topic), 0);
    cr_expect_str_eq(topic, "ev");
    errno = 77;
    flux_msg_decref(msg);
    cr_expect_eq(errno, 77, "decref must preserve errno");
}

/* Accessors --------------------------------------------------------------*/

Test(message, defaults)
{
    for (size_t i = 0; i < NTYPES; i++) {
        flux_msg_t *msg = must_create(all_types[i]);
        uint8_t flags = 0xaa;
        uint32_t u = 0;
        int e = -5;
        cr_expect_eq(flux_msg_get_flags(msg, &flags), 0);
        cr_expect_eq(flags, 0);
        cr_expect_eq(flux_msg_get_userid(msg, &u), 0);
        cr_expect_eq(u, FLUX_USERID_UNKNOWN);
        cr_expect_eq(flux_msg_get_rolemask(msg, &u), 0);
        cr_expect_eq(u, FLUX_ROLE_NONE);
        cr_expect_eq(flux_msg_get_nodeid(msg, &u), 0);
        cr_expect_eq(u, FLUX_NODEID_ANY);
        cr_expect_eq(flux_msg_get_matchtag(msg, &u), 0);
        cr_expect_eq(u, FLUX_MATCHTAG_NONE);
        cr_expect_eq(flux_msg_get_seq(msg, &u), 0);
        cr_expect_eq(u, 0);
        cr_expect_eq(flux_msg_get_errnum(msg, &e), 0);
        cr_expect_eq(e, 0);
        cr_expect_not(flux_msg_has_payload(msg));
        cr_expect_eq(flux_msg_route_count(msg), 0);
        cr_expect_null(flux_msg_route_last(msg));
        const char *topic = "untouched";
        errno = 0;
        cr_expect_eq(flux_msg_get_topic(msg, &topic), -1, "no topic yet");
        cr_expect_eq(errno, EPROTO);
        flux_msg_decref(msg);
    }
}

Test(message, u32_accessors)
{
    const uint32_t values[] = {0,     1,           2,           255,         256,        65535,
                               65536, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
        uint32_t v = values[i], got;
        cr_expect_eq(flux_msg_set_nodeid(msg, v), 0);
        cr_expect_eq(flux_msg_get_nodeid(msg, &got), 0);
        cr_expect_eq(got, v, "nodeid %u", v);
        cr_expect_eq(flux_msg_set_matchtag(msg, v), 0);
        cr_expect_eq(flux_msg_get_matchtag(msg, &got), 0);
        cr_expect_eq(got, v, "matchtag %u", v);
        cr_expect_eq(flux_msg_set_userid(msg, v), 0);
        cr_expect_eq(flux_msg_get_userid(msg, &got), 0);
        cr_expect_eq(got, v, "userid %u", v);
        cr_expect_eq(flux_msg_set_rolemask(msg, v), 0);
        cr_expect_eq(flux_msg_get_rolemask(msg, &got), 0);
        cr_expect_eq(got, v, "rolemask %u", v);
        cr_expect_eq(flux_msg_set_seq(msg, v), 0);
        cr_expect_eq(flux_msg_get_seq(msg, &got), 0);
        cr_expect_eq(got, v, "seq %u", v);
    }
    flux_msg_decref(msg);
}

Test(message, seq_shares_matchtag)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_EVENT);
    uint32_t v = 0;
    cr_assert_eq(flux_msg_set_seq(msg, 99), 0);
    cr_expect_eq(flux_msg_get_matchtag(msg, &v), 0);
    cr_expect_eq(v, 99);
    cr_assert_eq(flux_msg_set_matchtag(msg, 7), 0);
    cr_expect_eq(flux_msg_get_seq(msg, &v), 0);
    cr_expect_eq(v, 7);
    flux_msg_decref(msg);
}

Test(message, errnum_and_flags)
{
    const int errnums[] = {0, 1, ENOENT, EPERM, EPROTO, ENODATA, 4095, -1, -4095};
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
    for (size_t i = 0; i < ARRAY_SIZE(errnums); i++) {
        int got = 12345;
        cr_expect_eq(flux_msg_set_errnum(msg, errnums[i]), 0);
        cr_expect_eq(flux_msg_get_errnum(msg, &got), 0);
        cr_expect_eq(got, errnums[i]);
    }
    const uint8_t flagvals[] = {0,
                                FLUX_MSGFLAG_NORESPONSE,
                                FLUX_MSGFLAG_STREAMING,
                                FLUX_MSGFLAG_UPSTREAM,
                                FLUX_MSGFLAG_PRIVATE,
                                0x0f,
                                0xff};
    for (size_t i = 0; i < ARRAY_SIZE(flagvals); i++) {
        uint8_t got = 0x5a;
        cr_expect_eq(flux_msg_set_flags(msg, flagvals[i]), 0);
        cr_expect_eq(flux_msg_get_flags(msg, &got), 0);
        cr_expect_eq(got, flagvals[i]);
    }
    flux_msg_decref(msg);
}

Test(message, set_type)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    for (size_t i = 0; i < NTYPES; i++) {
        int t = 0;
        cr_expect_eq(flux_msg_set_type(msg, all_types[i]), 0);
        cr_expect_eq(flux_msg_get_type(msg, &t), 0);
        cr_expect_eq(t, all_types[i]);
    }
    const int bad[] = {0, 3, 0x10, -1, FLUX_MSGTYPE_ANY};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int t = 0;
        errno = 0;
        cr_expect_eq(flux_msg_set_type(msg, bad[i]), -1, "set_type(%d)", bad[i]);
        cr_expect_eq(errno, EINVAL);
        cr_expect_eq(flux_msg_get_type(msg, &t), 0);
        cr_expect_eq(t, FLUX_MSGTYPE_CONTROL, "failed set_type changed the type");
    }
    flux_msg_decref(msg);
}

Test(message, accessors_reject_null)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    uint32_t u;
    int i;
    const char *s;
    const void *p;
    struct {
        const char *what;
        int rc;
    } cases[12];
    size_t n = 0;
#define CASE(expr)                                                                                 \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int rc_ = (expr);                                                                          \
        cases[n].what = #expr;                                                                     \
        cases[n].rc = rc_ == -1 && errno == EINVAL;                                                \
        n++;                                                                                       \
    } while (0)
    CASE(flux_msg_get_type(NULL, &i));
    CASE(flux_msg_get_type(msg, NULL));
    CASE(flux_msg_set_type(NULL, FLUX_MSGTYPE_EVENT));
    CASE(flux_msg_get_flags(msg, NULL));
    CASE(flux_msg_set_flags(NULL, 0));
    CASE(flux_msg_get_nodeid(msg, NULL));
    CASE(flux_msg_set_nodeid(NULL, 1));
    CASE(flux_msg_get_userid(NULL, &u));
    CASE(flux_msg_get_errnum(msg, NULL));
    CASE(flux_msg_get_topic(msg, NULL));
    CASE(flux_msg_get_payload(msg, &p, NULL));
    CASE(flux_msg_get_string(NULL, &s));
#undef CASE
    for (size_t k = 0; k < n; k++)
        cr_expect(cases[k].rc, "%s should fail with EINVAL", cases[k].what);
    flux_msg_decref(msg);
}

/* Topic -------------------------------------------------------------------*/

Test(message, topic)
{
    const char *topics[] = {"a", "a.b", "kvs.lookup", "job-manager.submit", "x.y.z.w", "123"};
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    for (size_t i = 0; i < ARRAY_SIZE(topics); i++) {
        const char *got = NULL;
        cr_expect_eq(flux_msg_set_topic(msg, topics[i]), 0);
        cr_expect_eq(flux_msg_get_topic(msg, &got), 0);
        cr_expect_str_eq(got, topics[i]);
    }
    /* the message keeps its own copy */
    char buf[16];
    strcpy(buf, "mine.topic");
    cr_assert_eq(flux_msg_set_topic(msg, buf), 0);
    buf[0] = 'X';
    const char *got = NULL;
    cr_expect_eq(flux_msg_get_topic(msg, &got), 0);
    cr_expect_str_eq(got, "mine.topic");
    flux_msg_decref(msg);
}

Test(message, topic_errors)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    char longest[1025];
    memset(longest, 't', 1024);
    longest[1024] = '\0';
    char toolong[1026];
    memset(toolong, 't', 1025);
    toolong[1025] = '\0';

    errno = 0;
    cr_expect_eq(flux_msg_set_topic(msg, NULL), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_set_topic(NULL, "a"), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_set_topic(msg, toolong), -1, "1025-byte topic");
    cr_expect_eq(errno, EINVAL);
    cr_expect_eq(flux_msg_set_topic(msg, longest), 0, "1024-byte topic is the limit");
    const char *got = NULL;
    cr_expect_eq(flux_msg_get_topic(msg, &got), 0);
    cr_expect_eq(strlen(got), 1024);
    /* setting "" clears the topic, and get then reports EPROTO */
    cr_expect_eq(flux_msg_set_topic(msg, ""), 0);
    errno = 0;
    cr_expect_eq(flux_msg_get_topic(msg, &got), -1);
    cr_expect_eq(errno, EPROTO);
    flux_msg_decref(msg);
}

/* Payload -----------------------------------------------------------------*/

Test(message, payload)
{
    const struct {
        const char *data;
        size_t len;
    } cases[] = {
        {"", 0}, {"x", 1}, {"{}", 2}, {"\0\0\0", 3}, {"a\0b", 3}, {"\xff\xfe\x01", 3},
    };
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const void *data = NULL;
        size_t len = 999;
        cr_expect_eq(flux_msg_set_payload(msg, cases[i].data, cases[i].len), 0);
        cr_expect(flux_msg_has_payload(msg), "case %zu", i);
        cr_expect_eq(flux_msg_get_payload(msg, &data, &len), 0);
        cr_expect_eq(len, cases[i].len, "case %zu", i);
        cr_expect_eq(memcmp(data, cases[i].data, len), 0, "case %zu", i);
    }
    /* NULL, 0 clears */
    cr_expect_eq(flux_msg_set_payload(msg, NULL, 0), 0);
    cr_expect_not(flux_msg_has_payload(msg));
    const void *data;
    size_t len;
    errno = 0;
    cr_expect_eq(flux_msg_get_payload(msg, &data, &len), -1);
    cr_expect_eq(errno, EPROTO);
    flux_msg_decref(msg);
}

Test(message, payload_errors)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    errno = 0;
    cr_expect_eq(flux_msg_set_payload(msg, NULL, 5), -1, "NULL data with length");
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_set_payload(NULL, "x", 1), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_set_payload(msg, "x", (size_t)FLUX_MSG_MAX_SIZE + 1), -1,
                 "payload over FLUX_MSG_MAX_SIZE");
    cr_expect_eq(errno, EINVAL);
    cr_expect_not(flux_msg_has_payload(msg));
    cr_expect_not(flux_msg_has_payload(NULL));
    flux_msg_decref(msg);
}

Test(message, string_payload)
{
    const char *strings[] = {"", "{}", "{\"a\":1}", "[1,2,3]", "\"text\"", "not json at all"};
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        const char *got = NULL;
        cr_expect_eq(flux_msg_set_string(msg, strings[i]), 0);
        cr_expect_eq(flux_msg_get_string(msg, &got), 0);
        cr_expect_str_eq(got, strings[i]);
        const void *data;
        size_t len;
        cr_expect_eq(flux_msg_get_payload(msg, &data, &len), 0);
        cr_expect_eq(len, strlen(strings[i]), "the NUL is not part of the payload");
    }
    /* NULL clears; get_string then succeeds with NULL */
    cr_expect_eq(flux_msg_set_string(msg, NULL), 0);
    cr_expect_not(flux_msg_has_payload(msg));
    const char *got = "untouched";
    cr_expect_eq(flux_msg_get_string(msg, &got), 0);
    cr_expect_null(got);
    /* an embedded NUL is not a string */
    cr_assert_eq(flux_msg_set_payload(msg, "ab\0cd", 5), 0);
    errno = 0;
    cr_expect_eq(flux_msg_get_string(msg, &got), -1);
    cr_expect_eq(errno, EPROTO);
    flux_msg_decref(msg);
}

Test(message, pack_unpack)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    cr_assert_eq(
        flux_msg_pack(msg, "{s:i s:s s:b s:[i,i]}", "n", 42, "name", "flux", "ok", 1, "list", 7, 8),
        0);
    const char *s = NULL;
    cr_expect_eq(flux_msg_get_string(msg, &s), 0);
    cr_expect_not_null(s);
    int n = 0, ok = 0, a = 0, b = 0;
    const char *name = NULL;
    cr_expect_eq(flux_msg_unpack(msg, "{s:i s:s s:b s:[ii]}", "n", &n, "name", &name, "ok", &ok,
                                 "list", &a, &b),
                 0);
    cr_expect_eq(n, 42);
    cr_expect_str_eq(name, "flux");
    cr_expect_eq(ok, 1);
    cr_expect_eq(a, 7);
    cr_expect_eq(b, 8);
    /* unpack twice (cached parse) */
    n = 0;
    cr_expect_eq(flux_msg_unpack(msg, "{s:i}", "n", &n), 0);
    cr_expect_eq(n, 42);
    /* a new payload replaces the cached parse */
    cr_assert_eq(flux_msg_pack(msg, "{s:i}", "n", 43), 0);
    cr_expect_eq(flux_msg_unpack(msg, "{s:i}", "n", &n), 0);
    cr_expect_eq(n, 43);
    cr_assert_eq(flux_msg_set_string(msg, "{\"n\":44}"), 0);
    cr_expect_eq(flux_msg_unpack(msg, "{s:i}", "n", &n), 0);
    cr_expect_eq(n, 44);
    flux_msg_decref(msg);
}

Test(message, unpack_errors)
{
    enum { NOARGS, A_STR, A_INT, B_INT };
    const struct {
        const char *payload; /* NULL: no payload */
        const char *fmt;
        int args;
    } cases[] = {
        {NULL, "{}", NOARGS},                   /* no payload */
        {"not json", "{}", NOARGS},             /* unparseable */
        {"{\"a\":1", "{}", NOARGS},             /* truncated json */
        {"", "{}", NOARGS},                     /* empty payload */
        {"{\"a\":1}", "{s:s}", A_STR},          /* int vs string */
        {"{\"a\":1}", "{s:i}", B_INT},          /* missing key */
        {"[1,2]", "{s:i}", A_INT},              /* array vs object */
        {"{\"a\":\"x\"}", "{s:i}", A_INT},      /* string vs int */
        {"{\"a\":1,\"b\":2}", "{s:i!}", A_INT}, /* strict: unexpected key */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
        if (cases[i].payload)
            cr_assert_eq(flux_msg_set_string(msg, cases[i].payload), 0);
        const char *sval = NULL;
        int ival = 0;
        int rc = 0;
        errno = 0;
        switch (cases[i].args) {
            case NOARGS:
                rc = flux_msg_unpack(msg, cases[i].fmt);
                break;
            case A_STR:
                rc = flux_msg_unpack(msg, cases[i].fmt, "a", &sval);
                break;
            case A_INT:
                rc = flux_msg_unpack(msg, cases[i].fmt, "a", &ival);
                break;
            case B_INT:
                rc = flux_msg_unpack(msg, cases[i].fmt, "b", &ival);
                break;
        }
        cr_expect_eq(rc, -1, "case %zu: unpack('%s') of %s", i, cases[i].fmt,
                     cases[i].payload ? cases[i].payload : "(none)");
        cr_expect_eq(errno, EPROTO, "case %zu: errno %d", i, errno);
        flux_msg_decref(msg);
    }
    errno = 0;
    cr_expect_eq(flux_msg_unpack(NULL, "{}"), -1);
    cr_expect_eq(errno, EINVAL);
}

Test(message, pack_errors)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    errno = 0;
    cr_expect_eq(flux_msg_pack(msg, "{s:i", "a", 1), -1, "unbalanced format");
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_pack(msg, "{s:s}", "a", (const char *)NULL), -1, "NULL string");
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_pack(NULL, "{}"), -1);
    cr_expect_eq(errno, EINVAL);
    cr_expect_not(flux_msg_has_payload(msg), "a failed pack leaves no payload");
    flux_msg_decref(msg);
}

/* Routes ------------------------------------------------------------------*/

Test(message, route_stack)
{
    const char *ids[] = {"c1", "3", "0", "m12", "x"};
    const char *strings[] = {"c1", "c1!3", "c1!3!0", "c1!3!0!m12", "c1!3!0!m12!x"};
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    char *s = flux_msg_route_string(msg);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "");
    free(s);
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        cr_expect_eq(flux_msg_route_push(msg, ids[i]), 0);
        cr_expect_eq(flux_msg_route_count(msg), (int)i + 1);
        cr_expect_str_eq(flux_msg_route_last(msg), ids[i]);
        s = flux_msg_route_string(msg);
        cr_assert_not_null(s);
        cr_expect_str_eq(s, strings[i]);
        free(s);
    }
    for (size_t i = ARRAY_SIZE(ids); i > 0; i--) {
        cr_expect_str_eq(flux_msg_route_last(msg), ids[i - 1]);
        s = flux_msg_route_string(msg);
        cr_expect_str_eq(s, strings[i - 1]);
        free(s);
        cr_expect_eq(flux_msg_route_pop(msg), 0);
        cr_expect_eq(flux_msg_route_count(msg), (int)i - 1);
    }
    cr_expect_null(flux_msg_route_last(msg));
    errno = 0;
    cr_expect_eq(flux_msg_route_pop(msg), -1, "pop of an empty stack");
    cr_expect_eq(errno, EPROTO);
    flux_msg_decref(msg);
}

Test(message, route_errors)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    char id255[256], id256[257];
    memset(id255, 'r', 255);
    id255[255] = '\0';
    memset(id256, 'r', 256);
    id256[256] = '\0';
    const char *bad[] = {NULL, "", id256};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        errno = 0;
        cr_expect_eq(flux_msg_route_push(msg, bad[i]), -1, "bad id %zu", i);
        cr_expect_eq(errno, EINVAL, "bad id %zu", i);
    }
    cr_expect_eq(flux_msg_route_count(msg), 0);
    cr_expect_eq(flux_msg_route_push(msg, id255), 0, "255-byte id is the limit");
    for (int i = 1; i < 255; i++)
        cr_assert_eq(flux_msg_route_push(msg, "h"), 0, "push %d", i);
    cr_expect_eq(flux_msg_route_count(msg), 255);
    errno = 0;
    cr_expect_eq(flux_msg_route_push(msg, "h"), -1, "256th route");
    cr_expect_eq(errno, EOVERFLOW);
    cr_expect_eq(flux_msg_route_count(msg), 255);

    /* the maximal route stack survives the codec */
    cr_assert_eq(flux_msg_set_topic(msg, "t"), 0);
    size_t len;
    uint8_t *buf = must_encode(msg, &len);
    flux_msg_t *dec = decode_copy(buf, len);
    cr_assert_not_null(dec, "decode: %s", strerror(errno));
    expect_msg_equal(msg, dec, "255 routes");
    free(buf);
    flux_msg_decref(dec);

    cr_expect_eq(flux_msg_route_clear(msg), 0);
    cr_expect_eq(flux_msg_route_count(msg), 0);
    errno = 0;
    cr_expect_eq(flux_msg_route_push(NULL, "a"), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_route_pop(NULL), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_route_count(NULL), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_eq(flux_msg_route_clear(NULL), -1);
    cr_expect_eq(errno, EINVAL);
    errno = 0;
    cr_expect_null(flux_msg_route_string(NULL));
    cr_expect_eq(errno, EINVAL);
    cr_expect_null(flux_msg_route_last(NULL));
    flux_msg_decref(msg);
}

/* Copy --------------------------------------------------------------------*/

Test(message, copy_with_payload)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        flux_msg_t *cpy = flux_msg_copy(msg, true);
        cr_assert_not_null(cpy, "%s", specs[i].name);
        cr_expect_neq(cpy, msg);
        expect_msg_equal(msg, cpy, specs[i].name);
        flux_msg_decref(msg);
        /* the copy outlives the original */
        int type = 0;
        cr_expect_eq(flux_msg_get_type(cpy, &type), 0);
        cr_expect_eq(type, specs[i].type);
        flux_msg_decref(cpy);
    }
}

Test(message, copy_without_payload)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        flux_msg_t *cpy = flux_msg_copy(msg, false);
        cr_assert_not_null(cpy, "%s", specs[i].name);
        cr_expect_not(flux_msg_has_payload(cpy), "%s: copy has no payload", specs[i].name);
        /* everything else is equal: put the payload back and compare */
        if (flux_msg_has_payload(msg)) {
            const void *data;
            size_t len;
            cr_assert_eq(flux_msg_get_payload(msg, &data, &len), 0);
            cr_assert_eq(flux_msg_set_payload(cpy, data, len), 0);
        }
        expect_msg_equal(msg, cpy, specs[i].name);
        flux_msg_decref(msg);
        flux_msg_decref(cpy);
    }
    errno = 0;
    cr_expect_null(flux_msg_copy(NULL, true));
    cr_expect_eq(errno, EINVAL);
}

Test(message, copy_is_independent)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    cr_assert_eq(flux_msg_set_topic(msg, "orig.topic"), 0);
    cr_assert_eq(flux_msg_route_push(msg, "c1"), 0);
    cr_assert_eq(flux_msg_pack(msg, "{s:i}", "v", 1), 0);
    int v = 0;
    cr_assert_eq(flux_msg_unpack(msg, "{s:i}", "v", &v), 0); /* populate the parse cache */
    flux_msg_t *cpy = flux_msg_copy(msg, true);
    cr_assert_not_null(cpy);
    cr_assert_eq(flux_msg_set_topic(cpy, "copy.topic"), 0);
    cr_assert_eq(flux_msg_route_push(cpy, "c2"), 0);
    cr_assert_eq(flux_msg_pack(cpy, "{s:i}", "v", 2), 0);
    const char *topic = NULL;
    cr_expect_eq(flux_msg_get_topic(msg, &topic), 0);
    cr_expect_str_eq(topic, "orig.topic");
    cr_expect_eq(flux_msg_route_count(msg), 1);
    cr_expect_eq(flux_msg_unpack(msg, "{s:i}", "v", &v), 0);
    cr_expect_eq(v, 1);
    cr_expect_eq(flux_msg_unpack(cpy, "{s:i}", "v", &v), 0);
    cr_expect_eq(v, 2);
    flux_msg_decref(msg);
    flux_msg_decref(cpy);
}

/* Codec -------------------------------------------------------------------*/

Test(codec, encode_size)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        cr_expect_eq(flux_msg_encode_size(msg), (ssize_t)expected_size(&specs[i]), "%s",
                     specs[i].name);
        flux_msg_decref(msg);
    }
    errno = 0;
    cr_expect_eq(flux_msg_encode_size(NULL), -1);
    cr_expect_eq(errno, EINVAL);
}

Test(codec, round_trip)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        size_t len;
        uint8_t *buf = must_encode(msg, &len);
        cr_expect_eq(buf[OFF_MAGIC], 0x8e, "%s: magic", specs[i].name);
        cr_expect_eq(buf[OFF_VERSION], 1, "%s: version", specs[i].name);
        cr_expect_eq(buf[OFF_TYPE], specs[i].type, "%s: type byte", specs[i].name);
        cr_expect_eq(buf[OFF_FLAGS], specs[i].flags, "%s: flags byte", specs[i].name);
        flux_msg_t *dec = decode_copy(buf, len);
        cr_assert_not_null(dec, "%s: decode failed: %s", specs[i].name, strerror(errno));
        expect_msg_equal(msg, dec, specs[i].name);
        /* and again: encode(decode(x)) == x */
        size_t len2;
        uint8_t *buf2 = must_encode(dec, &len2);
        cr_expect_eq(len2, len, "%s", specs[i].name);
        cr_expect_eq(memcmp(buf, buf2, len), 0, "%s: re-encoding differs", specs[i].name);
        free(buf);
        free(buf2);
        flux_msg_decref(msg);
        flux_msg_decref(dec);
    }
}

Test(codec, round_trip_large_payload)
{
    size_t sizes[] = {255, 256, 65535, 65536, 65537, 1 << 20};
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        char *data = malloc(sizes[i]);
        cr_assert_not_null(data);
        for (size_t k = 0; k < sizes[i]; k++)
            data[k] = (char)(k * 31 + 7);
        flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
        cr_assert_eq(flux_msg_set_payload(msg, data, sizes[i]), 0);
        size_t len;
        uint8_t *buf = must_encode(msg, &len);
        flux_msg_t *dec = decode_copy(buf, len);
        cr_assert_not_null(dec, "size %zu: %s", sizes[i], strerror(errno));
        expect_msg_equal(msg, dec, "large payload");
        free(buf);
        free(data);
        flux_msg_decref(msg);
        flux_msg_decref(dec);
    }
}

Test(codec, decode_truncated_every_length)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        size_t len;
        uint8_t *buf = must_encode(msg, &len);
        for (size_t n = 0; n < len; n++) {
            char what[128];
            snprintf(what, sizeof(what), "%s truncated to %zu of %zu", specs[i].name, n, len);
            expect_decode_eproto(buf, n, what);
        }
        free(buf);
        flux_msg_decref(msg);
    }
}

Test(codec, decode_null)
{
    errno = 0;
    cr_expect_null(flux_msg_decode(NULL, 10));
    cr_expect_eq(errno, EINVAL);
}

Test(codec, decode_bad_header)
{
    uint8_t good[64];
    size_t len = valid_request(good, sizeof(good));
    flux_msg_t *ok = decode_copy(good, len);
    cr_assert_not_null(ok, "the unmodified buffer must decode: %s", strerror(errno));
    flux_msg_decref(ok);

    const struct {
        const char *what;
        size_t off;
        uint8_t val;
    } cases[] = {
        {"magic 0x00", OFF_MAGIC, 0x00}, {"magic 0x8f", OFF_MAGIC, 0x8f},
        {"magic 0xff", OFF_MAGIC, 0xff}, {"version 0", OFF_VERSION, 0},
        {"version 2", OFF_VERSION, 2},   {"version 0xff", OFF_VERSION, 0xff},
        {"type 0", OFF_TYPE, 0},         {"type 3", OFF_TYPE, 3},
        {"type 0x0f", OFF_TYPE, 0x0f},   {"type 0x10", OFF_TYPE, 0x10},
        {"type 0xff", OFF_TYPE, 0xff},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t buf[64];
        memcpy(buf, good, len);
        buf[cases[i].off] = cases[i].val;
        expect_decode_eproto(buf, len, cases[i].what);
    }
}

Test(codec, decode_trailing_garbage)
{
    uint8_t buf[64];
    size_t len = valid_request(buf, sizeof(buf));
    for (size_t extra = 1; extra <= 8; extra++) {
        uint8_t big[80];
        memcpy(big, buf, len);
        memset(big + len, 0, extra);
        char what[64];
        snprintf(what, sizeof(what), "%zu trailing zero bytes", extra);
        expect_decode_eproto(big, len + extra, what);
    }
}

Test(codec, decode_topic_length)
{
    uint8_t good[64];
    size_t len = valid_request(good, sizeof(good));
    const struct {
        const char *what;
        uint16_t topiclen;
    } cases[] = {
        {"topic length 4 (one past)", 4},
        {"topic length 100 (beyond buffer)", 100},
        {"topic length 1025 (over max)", 1025},
        {"topic length 0xffff", 0xffff},
        {"topic length 2 (short, rest misparsed)", 2},
        {"topic length 0 (request without topic)", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t buf[64];
        memcpy(buf, good, len);
        buf[OFF_TOPICLEN] = (uint8_t)(cases[i].topiclen >> 8);
        buf[OFF_TOPICLEN + 1] = (uint8_t)cases[i].topiclen;
        expect_decode_eproto(buf, len, cases[i].what);
    }
    /* a NUL inside the topic */
    uint8_t buf[64];
    memcpy(buf, good, len);
    buf[FIXED_HEADER + 1] = '\0';
    expect_decode_eproto(buf, len, "NUL in topic");
}

Test(codec, decode_routes)
{
    uint8_t good[64];
    size_t len = valid_request(good, sizeof(good));
    const struct {
        const char *what;
        size_t off;
        uint8_t val;
    } cases[] = {
        {"route with zero length", OFF_ROUTE0_LEN, 0},
        {"route length beyond buffer", OFF_ROUTE0_LEN, 200},
        {"route length 255 beyond buffer", OFF_ROUTE0_LEN, 255},
        {"route count 2 with one route", OFF_NROUTES, 2},
        {"route count 255 with one route", OFF_NROUTES, 255},
        {"route count 0 with one route (trailing)", OFF_NROUTES, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t buf[64];
        memcpy(buf, good, len);
        buf[cases[i].off] = cases[i].val;
        expect_decode_eproto(buf, len, cases[i].what);
    }
}

Test(codec, decode_payload_length)
{
    uint8_t good[64];
    size_t len = valid_request(good, sizeof(good));
    const struct {
        const char *what;
        uint32_t plen;
    } cases[] = {
        {"payload length 3 (one past)", 3},
        {"payload length 1000", 1000},
        {"payload length over FLUX_MSG_MAX_SIZE", FLUX_MSG_MAX_SIZE + 1},
        {"payload length 0xffffffff", 0xffffffffu},
        {"payload length 1 (trailing)", 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        uint8_t buf[64];
        memcpy(buf, good, len);
        buf[OFF_PAYLOADLEN] = (uint8_t)(cases[i].plen >> 24);
        buf[OFF_PAYLOADLEN + 1] = (uint8_t)(cases[i].plen >> 16);
        buf[OFF_PAYLOADLEN + 2] = (uint8_t)(cases[i].plen >> 8);
        buf[OFF_PAYLOADLEN + 3] = (uint8_t)cases[i].plen;
        expect_decode_eproto(buf, len, cases[i].what);
    }
    /* has-payload 0 with payload bytes following is trailing garbage */
    uint8_t buf[64];
    memcpy(buf, good, len);
    buf[OFF_HASPAYLOAD] = 0;
    expect_decode_eproto(buf, len, "has-payload 0 followed by payload");
    /* cut right after has-payload 0: valid, no payload */
    flux_msg_t *msg = decode_copy(buf, OFF_HASPAYLOAD + 1);
    cr_assert_not_null(msg, "request without payload: %s", strerror(errno));
    cr_expect_not(flux_msg_has_payload(msg));
    flux_msg_decref(msg);
}

Test(codec, decode_empty_topic)
{
    const struct {
        int type;
        bool ok;
    } cases[] = {
        {FLUX_MSGTYPE_REQUEST, false},
        {FLUX_MSGTYPE_EVENT, false},
        {FLUX_MSGTYPE_RESPONSE, true},
        {FLUX_MSGTYPE_CONTROL, true},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        /* the API lets a message be built and encoded without a topic */
        flux_msg_t *msg = must_create(cases[i].type);
        size_t len;
        uint8_t *buf = must_encode(msg, &len);
        cr_expect_eq(len, FIXED_HEADER + 2);
        const char *what = flux_msg_typestr(cases[i].type);
        if (cases[i].ok) {
            flux_msg_t *dec = decode_copy(buf, len);
            cr_expect_not_null(dec, "%s without topic should decode", what);
            flux_msg_decref(dec);
        }
        else
            expect_decode_eproto(buf, len, what);
        free(buf);
        flux_msg_decref(msg);
    }
}

Test(codec, encode_enospc)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        flux_msg_t *msg = build(&specs[i]);
        ssize_t need = flux_msg_encode_size(msg);
        cr_assert_gt(need, 0);
        uint8_t *buf = malloc((size_t)need);
        cr_assert_not_null(buf);
        const size_t sizes[] = {0, 1, (size_t)need / 2, (size_t)need - 1};
        for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
            errno = 0;
            cr_expect_eq(flux_msg_encode(msg, buf, sizes[k]), -1, "%s: size %zu of %zd",
                         specs[i].name, sizes[k], need);
            cr_expect_eq(errno, ENOSPC, "%s: size %zu", specs[i].name, sizes[k]);
        }
        errno = 0;
        cr_expect_eq(flux_msg_encode(msg, NULL, (size_t)need), -1, "%s: NULL buffer",
                     specs[i].name);
        cr_expect_eq(errno, ENOSPC);
        cr_expect_eq(flux_msg_encode(msg, buf, (size_t)need), need);
        free(buf);
        flux_msg_decref(msg);
    }
    uint8_t buf[64];
    errno = 0;
    cr_expect_eq(flux_msg_encode(NULL, buf, sizeof(buf)), -1);
    cr_expect_eq(errno, EINVAL);
}

Test(codec, encode_into_larger_buffer)
{
    flux_msg_t *msg = build(&specs[4]);
    ssize_t need = flux_msg_encode_size(msg);
    uint8_t buf[256];
    memset(buf, 0xcc, sizeof(buf));
    cr_assert_lt(need, (ssize_t)sizeof(buf));
    cr_expect_eq(flux_msg_encode(msg, buf, sizeof(buf)), need);
    for (size_t k = (size_t)need; k < sizeof(buf); k++)
        cr_expect_eq(buf[k], 0xcc, "encode wrote past its size at %zu", k);
    flux_msg_t *dec = decode_copy(buf, (size_t)need);
    cr_assert_not_null(dec);
    expect_msg_equal(msg, dec, specs[4].name);
    flux_msg_decref(dec);
    flux_msg_decref(msg);
}

/* Matching ----------------------------------------------------------------*/

Test(match, typemask)
{
    const int masks[] = {
        0,
        FLUX_MSGTYPE_REQUEST,
        FLUX_MSGTYPE_RESPONSE,
        FLUX_MSGTYPE_EVENT,
        FLUX_MSGTYPE_CONTROL,
        FLUX_MSGTYPE_REQUEST | FLUX_MSGTYPE_RESPONSE,
        FLUX_MSGTYPE_EVENT | FLUX_MSGTYPE_CONTROL,
        FLUX_MSGTYPE_ANY,
    };
    for (size_t t = 0; t < NTYPES; t++) {
        flux_msg_t *msg = must_create(all_types[t]);
        cr_assert_eq(flux_msg_set_topic(msg, "a.b"), 0);
        for (size_t m = 0; m < ARRAY_SIZE(masks); m++) {
            struct flux_match match = {masks[m], FLUX_MATCHTAG_NONE, NULL};
            bool want = (masks[m] & all_types[t]) != 0;
            cr_expect_eq(flux_msg_cmp(msg, match), want, "type %s mask 0x%x",
                         flux_msg_typestr(all_types[t]), masks[m]);
        }
        flux_msg_decref(msg);
    }
}

Test(match, predefined)
{
    const struct {
        int type;
        bool any, event, request, response;
    } cases[] = {
        {FLUX_MSGTYPE_REQUEST, true, false, true, false},
        {FLUX_MSGTYPE_RESPONSE, true, false, false, true},
        {FLUX_MSGTYPE_EVENT, true, true, false, false},
        {FLUX_MSGTYPE_CONTROL, true, false, false, false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        flux_msg_t *msg = must_create(cases[i].type);
        const char *w = flux_msg_typestr(cases[i].type);
        cr_expect_eq(flux_msg_cmp(msg, FLUX_MATCH_ANY), cases[i].any, "%s ANY", w);
        cr_expect_eq(flux_msg_cmp(msg, FLUX_MATCH_EVENT), cases[i].event, "%s EVENT", w);
        cr_expect_eq(flux_msg_cmp(msg, FLUX_MATCH_REQUEST), cases[i].request, "%s REQUEST", w);
        cr_expect_eq(flux_msg_cmp(msg, FLUX_MATCH_RESPONSE), cases[i].response, "%s RESPONSE", w);
        flux_msg_decref(msg);
    }
    cr_expect_not(flux_msg_cmp(NULL, FLUX_MATCH_ANY));
}

Test(match, matchtag)
{
    const struct {
        uint32_t msgtag, matchtag;
        bool want;
    } cases[] = {
        {0, FLUX_MATCHTAG_NONE, true},
        {5, FLUX_MATCHTAG_NONE, true},
        {5, 5, true},
        {5, 6, false},
        {0, 5, false},
        {0xffffffffu, 0xffffffffu, true},
        {0xffffffffu, 1, false},
    };
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cr_assert_eq(flux_msg_set_matchtag(msg, cases[i].msgtag), 0);
        struct flux_match m = {FLUX_MSGTYPE_RESPONSE, cases[i].matchtag, NULL};
        cr_expect_eq(flux_msg_cmp(msg, m), cases[i].want, "msg tag %u match tag %u",
                     cases[i].msgtag, cases[i].matchtag);
        /* the wrong type never matches, whatever the tag */
        struct flux_match wrong = {FLUX_MSGTYPE_REQUEST, cases[i].matchtag, NULL};
        cr_expect_not(flux_msg_cmp(msg, wrong));
    }
    flux_msg_decref(msg);
}

Test(match, topic_glob)
{
    const struct {
        const char *topic; /* NULL: none */
        const char *glob;
        bool want;
    } cases[] = {
        {"kvs.get", NULL, true},
        {"kvs.get", "*", true},
        {NULL, "*", true},
        {NULL, NULL, true},
        {"kvs.get", "kvs.get", true},
        {"kvs.get", "kvs.put", false},
        {"kvs.get", "kvs.*", true},
        {"kvs.get", "kvs", false},
        {"kvs", "kvs.*", false},
        {"kvs.get", "*.get", true},
        {"kvs.get", "k?s.get", true},
        {"kvs.get", "k?.get", false},
        {"kvs.get", "kvs.[gp]et", true},
        {"kvs.set", "kvs.[gp]et", false},
        {"kvs.get.x", "kvs.*", true},
        {"KVS.get", "kvs.*", false},
        {NULL, "kvs.*", false},
        {NULL, "", true},
        {"a", "", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        flux_msg_t *msg = must_create(FLUX_MSGTYPE_EVENT);
        if (cases[i].topic)
            cr_assert_eq(flux_msg_set_topic(msg, cases[i].topic), 0);
        struct flux_match m = {FLUX_MSGTYPE_EVENT, FLUX_MATCHTAG_NONE, cases[i].glob};
        cr_expect_eq(flux_msg_cmp(msg, m), cases[i].want, "topic '%s' glob '%s'",
                     cases[i].topic ? cases[i].topic : "(none)",
                     cases[i].glob ? cases[i].glob : "(null)");
        flux_msg_decref(msg);
    }
}

Test(match, all_criteria)
{
    flux_msg_t *msg = must_create(FLUX_MSGTYPE_RESPONSE);
    cr_assert_eq(flux_msg_set_topic(msg, "job.submit"), 0);
    cr_assert_eq(flux_msg_set_matchtag(msg, 12), 0);
    struct flux_match yes = {FLUX_MSGTYPE_RESPONSE, 12, "job.*"};
    struct flux_match badtype = {FLUX_MSGTYPE_REQUEST, 12, "job.*"};
    struct flux_match badtag = {FLUX_MSGTYPE_RESPONSE, 13, "job.*"};
    struct flux_match badglob = {FLUX_MSGTYPE_RESPONSE, 12, "kvs.*"};
    cr_expect(flux_msg_cmp(msg, yes));
    cr_expect_not(flux_msg_cmp(msg, badtype));
    cr_expect_not(flux_msg_cmp(msg, badtag));
    cr_expect_not(flux_msg_cmp(msg, badglob));
    flux_msg_decref(msg);
}

/* Debug strings -------------------------------------------------------------*/

Test(message, typestr)
{
    cr_expect_str_eq(flux_msg_typestr(FLUX_MSGTYPE_REQUEST), "request");
    cr_expect_str_eq(flux_msg_typestr(FLUX_MSGTYPE_RESPONSE), "response");
    cr_expect_str_eq(flux_msg_typestr(FLUX_MSGTYPE_EVENT), "event");
    cr_expect_str_eq(flux_msg_typestr(FLUX_MSGTYPE_CONTROL), "control");
    cr_expect_str_eq(flux_msg_typestr(0), "unknown");
    cr_expect_str_eq(flux_msg_typestr(FLUX_MSGTYPE_ANY), "unknown");

    flux_msg_t *msg = must_create(FLUX_MSGTYPE_REQUEST);
    cr_assert_eq(flux_msg_set_topic(msg, "a.b"), 0);
    cr_assert_eq(flux_msg_set_nodeid(msg, 3), 0);
    cr_assert_eq(flux_msg_route_push(msg, "c1"), 0);
    cr_assert_eq(flux_msg_set_string(msg, "{}"), 0);
    char *s = flux_msg_typestr_dup(msg);
    cr_assert_not_null(s);
    cr_expect_not_null(strstr(s, "request topic=a.b nodeid=3"), "got '%s'", s);
    cr_expect_not_null(strstr(s, "route=c1"), "got '%s'", s);
    cr_expect_not_null(strstr(s, "payload=2"), "got '%s'", s);
    free(s);
    flux_msg_decref(msg);
    errno = 0;
    cr_expect_null(flux_msg_typestr_dup(NULL));
    cr_expect_eq(errno, EINVAL);
}
