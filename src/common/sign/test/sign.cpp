/* sign/test/sign.cpp - Criterion unit tests for the signed jobspec J:
 * base64url (RFC 4648 section 10 vectors in the url alphabet, the
 * characters that differ from base64, every decode error), wrap and unwrap
 * with mechanism none (round trips over arbitrary bytes, the exact header
 * text) and every malformed J unwrap refuses, with its message.  munge is
 * exercised end to end by testsuite/signed-jobspec.t (it needs a munged).
 */
#include <criterion/criterion.h>

#include <cerrno>
#include <string>
#include <vector>

#include "sign/sign.h"

using namespace flux::sign;

#define expect_str(actual, expected)                                                               \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str());                                             \
    } while (0)

Test(base64url, rfc4648_vectors)
{
    const std::vector<std::pair<std::string, std::string>> t = {
        {"", ""},         {"f", "Zg"},          {"fo", "Zm8"},        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
        /* the two characters base64url changes: 62 '-' and 63 '_' */
        {std::string("\xfb\xff", 2), "-_8"}, {std::string("\xff\xff\xff", 3), "____"},
        {std::string("\x00\x00", 2), "AAA"},
    };
    for (const auto &[plain, enc] : t) {
        expect_str(base64url_encode(plain), enc);
        auto d = base64url_decode(enc);
        cr_assert(d.has_value(), "decode %s", enc.c_str());
        cr_expect(*d == plain, "decode %s", enc.c_str());
    }
}

Test(base64url, all_bytes_round_trip)
{
    std::string all;
    for (int i = 0; i < 256; i++)
        all += (char)i;
    for (size_t n = 0; n <= all.size(); n += 37) {
        std::string part = all.substr(0, n);
        auto d = base64url_decode(base64url_encode(part));
        cr_assert(d.has_value());
        cr_expect(*d == part, "length %zu", n);
    }
}

Test(base64url, decode_errors)
{
    const std::vector<std::pair<std::string, std::string>> t = {
        {"Zm9vYg==", "base64url: invalid character at offset 6"}, /* no padding */
        {"Zm+v", "base64url: invalid character at offset 2"},     /* base64's '+' */
        {"Zm/v", "base64url: invalid character at offset 2"},
        {"Zm9 vA", "base64url: invalid character at offset 3"},
        {"Z", "base64url: length 1 is not a valid encoded length"},
        {"Zm9vY", "base64url: length 5 is not a valid encoded length"},
        {"Zh", "base64url: non-zero trailing bits"}, /* "Zg" is the encoding */
    };
    for (const auto &[in, err] : t) {
        auto d = base64url_decode(in);
        cr_assert(!d.has_value(), "%s decoded", in.c_str());
        cr_expect_eq(d.error().errnum, EINVAL);
        expect_str(d.error().text, err);
    }
}

Test(wrap, none_exact_form)
{
    auto j = wrap("{\"version\":1}", 1000, Mechanism::none);
    cr_assert(j.has_value());
    std::string want = base64url_encode("{\"version\":1,\"mechanism\":\"none\",\"userid\":1000}")
                       + "." + base64url_encode("{\"version\":1}") + ".none";
    expect_str(*j, want);
}

Test(wrap, none_round_trip)
{
    const std::vector<std::string> payloads = {
        "", "version: 1\n", std::string("a\0b", 3), "{\"tasks\":[{\"command\":[\"é\"]}]}",
        std::string(100000, 'x'),
    };
    for (const auto &p : payloads) {
        auto j = wrap(p, 4242, Mechanism::none);
        cr_assert(j.has_value());
        auto u = unwrap(*j);
        cr_assert(u.has_value(), "%s", u.has_value() ? "" : u.error().text.c_str());
        cr_expect(u->payload == p);
        cr_expect_eq(u->userid, 4242u);
        cr_expect(u->mechanism == Mechanism::none);
        cr_expect(!u->replayed && !u->expired);
    }
}

Test(unwrap, malformed)
{
    auto hdr = [](const std::string &json) { return base64url_encode(json); };
    std::string good_h = hdr("{\"version\":1,\"mechanism\":\"none\",\"userid\":5}");
    std::string pl = base64url_encode("x");
    const std::vector<std::pair<std::string, std::string>> t = {
        {"", "J: expected HEADER.PAYLOAD.SIGNATURE (three dot-separated parts)"},
        {good_h + "." + pl, "J: expected HEADER.PAYLOAD.SIGNATURE (three dot-separated parts)"},
        {"%%." + pl + ".none", "J: header: base64url: invalid character at offset 0"},
        {good_h + ".Zm9vYg==.none", "J: payload: base64url: invalid character at offset 6"},
        {hdr("not json") + "." + pl + ".none",
         "J: header: expected {\"version\":1,\"mechanism\":M,\"userid\":UID}"},
        {hdr("{\"version\":1,\"mechanism\":\"none\"}") + "." + pl + ".none",
         "J: header: expected {\"version\":1,\"mechanism\":M,\"userid\":UID}"},
        {hdr("{\"version\":1,\"mechanism\":\"none\",\"userid\":5,\"x\":1}") + "." + pl + ".none",
         "J: header: expected {\"version\":1,\"mechanism\":M,\"userid\":UID}"},
        {hdr("{\"version\":2,\"mechanism\":\"none\",\"userid\":5}") + "." + pl + ".none",
         "J: header: unsupported version 2"},
        {hdr("{\"version\":1,\"mechanism\":\"curve\",\"userid\":5}") + "." + pl + ".none",
         "J: header: unknown signing mechanism 'curve' (none or munge)"},
        {hdr("{\"version\":1,\"mechanism\":\"none\",\"userid\":-1}") + "." + pl + ".none",
         "J: header: invalid userid -1"},
        {hdr("{\"version\":1,\"mechanism\":\"none\",\"userid\":4294967296}") + "." + pl + ".none",
         "J: header: invalid userid 4294967296"},
        {good_h + "." + pl + ".", "J: mechanism none: the signature must be 'none'"},
        {good_h + "." + pl + ".MUNGE:abc:", "J: mechanism none: the signature must be 'none'"},
        {good_h + "." + pl + ".none.none", "J: mechanism none: the signature must be 'none'"},
    };
    for (const auto &[j, err] : t) {
        auto u = unwrap(j);
        cr_assert(!u.has_value(), "accepted: %s", j.c_str());
        cr_expect_eq(u.error().errnum, EINVAL, "%s", j.c_str());
        expect_str(u.error().text, err);
    }
}

Test(unwrap, munge_garbage_credential_refused)
{
    /* No munged is needed to refuse text that is not a credential at all:
     * either munge says so or it cannot be reached; never accepted. */
    std::string h = base64url_encode("{\"version\":1,\"mechanism\":\"munge\",\"userid\":5}");
    auto u = unwrap(h + "." + base64url_encode("x") + ".MUNGE:garbage:");
    cr_assert(!u.has_value());
    cr_expect(u.error().errnum == EPERM || u.error().errnum == EHOSTUNREACH);
    cr_expect(u.error().text.starts_with("J: munge: "), "%s", u.error().text.c_str());
}

Test(mechanism, parse)
{
    cr_expect(*mechanism_parse("none") == Mechanism::none);
    cr_expect(*mechanism_parse("munge") == Mechanism::munge);
    auto m = mechanism_parse("curve");
    cr_assert(!m.has_value());
    expect_str(m.error().text, "unknown signing mechanism 'curve' (none or munge)");
    expect_str(mechanism_name(Mechanism::munge), "munge");
}
