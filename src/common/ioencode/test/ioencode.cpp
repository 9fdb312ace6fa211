/* ioencode/test/ioencode.cpp - Criterion tests for lossless output encoding.
 *
 * RFC 4648 vectors, strict base64 errors, the UTF-8 classifier (table), and
 * round trips through ioencode/iodecode of every byte value and of random
 * binary, checking that text stays plain and binary goes base64.
 */
#include <criterion/criterion.h>

#include <cstring>
#include <random>
#include <string>

#include "ioencode/ioencode.h"

#define expect_str(actual, expected)                                                               \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str());                                             \
    } while (0)

Test(base64, rfc4648_vectors)
{
    const char *table[][2] = {{"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},
                              {"foo", "Zm9v"},    {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
    for (auto &row : table) {
        expect_str(flux::base64_encode(row[0]), row[1]);
        auto d = flux::base64_decode(row[1]);
        cr_assert(d.has_value(), "decode %s", row[1]);
        expect_str(*d, row[0]);
    }
}

Test(base64, decode_errors)
{
    const char *table[][2] = {
        {"Zg=", "base64: length 3 is not a multiple of 4"},
        {"Zm9v!A==", "base64: invalid character at offset 4"},
        {"Z=g=", "base64: invalid character at offset 1"},
        {"Zm=v", "base64: invalid character at offset 2"},
        {"Zg==Zg==", "base64: invalid character at offset 2"},
    };
    for (auto &row : table) {
        auto d = flux::base64_decode(row[0]);
        cr_assert(!d.has_value(), "%s should fail", row[0]);
        cr_expect_eq(d.error().errnum, EINVAL);
        expect_str(d.error().text, row[1]);
    }
}

Test(utf8, classifier)
{
    struct {
        std::string s;
        bool text;
    } table[] = {
        {"hello\n", true},
        {"caf\xc3\xa9", true},
        {"\xe2\x82\xac \xf0\x9f\x98\x80", true},
        {std::string("a\0b", 3), false}, /* NUL */
        {"x\xff\xfey", false},
        {"\xc0\xaf", false},             /* overlong '/' */
        {"\xed\xa0\x80", false},         /* surrogate */
        {"\xf4\x90\x80\x80", false},     /* above U+10FFFF */
        {"\xe2\x82", false},             /* truncated */
        {"\x80", false},                 /* lone continuation */
    };
    for (auto &row : table)
        cr_expect_eq(flux::utf8_text(row.s), row.text, "row %zu", (size_t)(&row - table));
}

static std::string roundtrip(const std::string &bytes, bool want_base64)
{
    json_t *o = flux::ioencode("stdout", "3", bytes);
    cr_assert_not_null(o);
    cr_expect_eq(json_object_get(o, "encoding") != nullptr, want_base64);
    auto d = flux::iodecode(o);
    json_decref(o);
    cr_assert(d.has_value(), "%s", d.has_value() ? "" : d.error().text.c_str());
    cr_expect_str_eq(d->stream.c_str(), "stdout");
    cr_expect_str_eq(d->rank.c_str(), "3");
    return d->data;
}

Test(ioencode, text_stays_plain)
{
    std::string s = "before\nafter \xc3\xa9\n";
    cr_expect(roundtrip(s, false) == s);
}

Test(ioencode, every_byte_value)
{
    std::string all;
    for (int i = 0; i < 256; i++)
        all += (char)i;
    cr_expect(roundtrip(all, true) == all);
    std::string nul("a\0b\n", 4);
    cr_expect(roundtrip(nul, true) == nul);
}

Test(ioencode, random_binary)
{
    std::mt19937 rng(42);
    for (size_t len = 0; len < 200; len++) {
        std::string s;
        for (size_t i = 0; i < len; i++)
            s += (char)(rng() & 0xff);
        cr_expect(roundtrip(s, !flux::utf8_text(s)) == s, "len %zu", len);
    }
}

Test(iodecode, eof)
{
    struct {
        const char *context;
        const char *data;
    } table[] = {
        {"{\"stream\":\"stdout\",\"rank\":\"0\",\"eof\":true}", ""},
        {"{\"stream\":\"stderr\",\"rank\":\"0\",\"data\":\"x\",\"eof\":true}", "x"},
        {"{\"stream\":\"stdout\",\"rank\":\"0\",\"data\":\"eQ==\",\"encoding\":\"base64\","
         "\"eof\":true}",
         "y"},
    };
    for (auto &row : table) {
        json_t *o = json_loads(row.context, 0, nullptr);
        cr_assert_not_null(o);
        auto d = flux::iodecode(o);
        json_decref(o);
        cr_assert(d.has_value(), "%s: %s", row.context, d.has_value() ? "" : d.error().text.c_str());
        cr_expect(d->eof, "%s: eof", row.context);
        expect_str(d->data, row.data);
    }
    json_t *o = flux::ioencode_eof("stderr", "3");
    cr_assert_not_null(o);
    char *text = json_dumps(o, JSON_COMPACT);
    cr_expect_str_eq(text, "{\"stream\":\"stderr\",\"rank\":\"3\",\"eof\":true}");
    free(text);
    auto d = flux::iodecode(o);
    json_decref(o);
    cr_assert(d.has_value());
    cr_expect(d->eof && d->data.empty() && d->stream == "stderr" && d->rank == "3");
}

Test(iodecode, errors)
{
    const char *table[][2] = {
        {"{\"stream\":\"stdout\",\"rank\":\"0\"}",
         "output data event: Object item not found: data"},
        {"{\"stream\":\"stdout\",\"rank\":\"0\",\"eof\":false}",
         "output data event: Object item not found: data"},
        {"{\"rank\":\"0\",\"eof\":true}", "output data event: Object item not found: stream"},
        {"{\"stream\":\"stdout\",\"rank\":\"0\",\"data\":\"Zg\",\"encoding\":\"base64\"}",
         "output data event: base64: length 2 is not a multiple of 4"},
        {"{\"stream\":\"stdout\",\"rank\":\"0\",\"data\":\"x\",\"encoding\":\"rot13\"}",
         "output data event: unknown encoding 'rot13'"},
    };
    for (auto &row : table) {
        json_t *o = json_loads(row[0], 0, nullptr);
        cr_assert_not_null(o);
        auto d = flux::iodecode(o);
        json_decref(o);
        cr_assert(!d.has_value(), "%s should fail", row[0]);
        cr_expect_eq(d.error().errnum, EPROTO);
        expect_str(d.error().text, row[1]);
    }
    cr_expect(!flux::iodecode(nullptr).has_value());
}
