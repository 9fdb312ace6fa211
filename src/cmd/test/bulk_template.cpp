/* cmd/test/bulk_template.cpp - Criterion tests for flux bulksubmit's
 * replacement fields. */
#include <criterion/criterion.h>
#include <string>

#include "bulk_template.h"

using fluxcmd::bulk_template_expand;
using fluxcmd::BulkFields;

Test(bulk_template, expand)
{
    BulkFields one{{"dir/sub.d/file.tar.gz"}, 4, ""};
    BulkFields two{{"a.txt", "/x/y"}, 0, "7"};
    BulkFields dot{{".bashrc"}, 0, ""};
    BulkFields root{{"/b"}, 9, ""};
    const struct {
        const char *tmpl;
        const BulkFields *fields;
        const char *out;
    } cases[] = {
        {"plain", &one, "plain"},
        {"{}", &one, "dir/sub.d/file.tar.gz"},
        {"{0}", &one, "dir/sub.d/file.tar.gz"},
        {"{.%}", &one, "dir/sub.d/file.tar"},
        {"{./}", &one, "file.tar.gz"},
        {"{.//}", &one, "dir/sub.d"},
        {"{./%}", &one, "file.tar"},
        {"{0./%}", &one, "file.tar"},
        {"{seq} {seq1}", &one, "4 5"},
        {"{seq:03}", &one, "004"},
        {"{seq:>4}|{seq:<4}|{seq:^5}", &one, "   4|4   |  4  "},
        {"{seq:*>4d}", &one, "***4"},
        {"{./:.4}", &one, "file"},
        {"[{cc}]", &one, "[]"},
        {"{{}} {{x}}", &one, "{} {x}"},
        {"{}", &two, "a.txt /x/y"},
        {"{1} {0}", &two, "/x/y a.txt"},
        {"{0.%}-{1./}-{1.//}", &two, "a-y-/x"},
        {"n{cc}", &two, "n7"},
        {"{.%}", &dot, ".bashrc"},
        {"{./%}", &dot, ".bashrc"},
        {"{.//}", &dot, ""},
        {"{.//}", &root, "/"},
        {"{./}", &root, "b"},
    };
    for (const auto &tc : cases) {
        auto r = bulk_template_expand(tc.tmpl, *tc.fields);
        cr_assert(r.has_value(), "expand(%s) failed: %s", tc.tmpl, r.error().text.c_str());
        cr_expect_str_eq(r->c_str(), tc.out, "expand(%s)", tc.tmpl);
    }
}

Test(bulk_template, errors)
{
    BulkFields two{{"a", "b"}, 0, ""};
    const struct {
        const char *tmpl;
        const char *error;
    } cases[] = {
        {"{2}", "replacement field '{2}' in '{2}': there are only 2 input lists ({0}..{1})"},
        {"x{name}",
         "replacement field '{name}' in 'x{name}': unknown name 'name' (expected {}, {N}, {seq}, "
         "{seq1} or {cc}; --define is not supported)"},
        {"{.ext}",
         "replacement field '{.ext}' in '{.ext}': unknown attribute '.ext' (expected .%, ./, .// "
         "or ./%; --define is not supported)"},
        {"{seq.%}", "replacement field '{seq.%}' in '{seq.%}': {seq} takes no attribute"},
        {"{0!r}",
         "replacement field '{0!r}' in '{0!r}': conversions (!) and indexing ([]) are not "
         "supported"},
        {"{:d}", "replacement field '{:d}' in '{:d}': format 'd' needs a number ({seq} or {seq1})"},
        {"{seq:.2}", "replacement field '{seq:.2}' in '{seq:.2}': a precision is not allowed with "
                     "a number"},
        {"{:x}", "replacement field '{:x}' in '{:x}': invalid format spec 'x' (expected "
                 "[[FILL]ALIGN][0][WIDTH][.PRECISION][s|d])"},
        {"a{b", "unmatched '{' in 'a{b' (write {{ for a literal brace)"},
        {"a{b{c}", "unmatched '{' in 'a{b{c}' (write {{ for a literal brace)"},
        {"a}b", "single '}' in 'a}b' (write }} for a literal brace)"},
    };
    for (const auto &tc : cases) {
        auto r = bulk_template_expand(tc.tmpl, two);
        cr_assert(!r.has_value(), "expand(%s) should fail", tc.tmpl);
        cr_expect_str_eq(r.error().text.c_str(), tc.error, "expand(%s)", tc.tmpl);
        cr_expect_eq(r.error().errnum, EINVAL);
    }
}

Test(bulk_template, has_fields)
{
    cr_expect(fluxcmd::bulk_template_has_fields("x{}"));
    cr_expect(fluxcmd::bulk_template_has_fields("}}"));
    cr_expect(!fluxcmd::bulk_template_has_fields("plain"));
}
