/* Unit tests of decode_R_fast(): a scheduler's R checked whole (simdjson),
 * decoded without its scheduling key; anything it cannot vouch for goes
 * to Rv1::decode() or is refused with the reason. */
#include <criterion/criterion.h>

#include <string>

#include "fluxd/job-manager/r_fast.h"

using fluxd::decode_R_fast;

namespace {

const std::string exec = "{\"R_lite\":[{\"rank\":\"0-1\",\"children\":{\"core\":\"0-3\",\"gpu\":\"0\"}}],"
                         "\"starttime\":1796605222.2924547,\"expiration\":1796605282.5,"
                         "\"nodelist\":[\"n[0-1]\"],\"properties\":{\"scheduling\":\"1\"}}";
const std::string jgf = "{\"graph\":{\"nodes\":[{\"id\":\"0\",\"metadata\":{\"type\":\"cluster\","
                        "\"name\":\"c\\\"0\\u00e9\"}}],\"edges\":[]}}";

std::string R(const std::string &scheduling = jgf, const std::string &execution = exec)
{
    return "{\"version\":1,\"execution\":" + execution + ",\"scheduling\":" + scheduling + "}";
}

} // namespace

Test(r_fast, same_as_rv1_less_scheduling)
{
    std::string text = R();
    auto fast = decode_R_fast(text);
    cr_assert(fast.has_value(), "%s", fast ? "" : fast.error().text.c_str());
    auto full = flux::Rv1::decode(text);
    cr_assert(full.has_value());
    cr_expect_eq(fast->ranks().encode(), "0-1");
    cr_expect_eq(fast->nnodes(), 2u);
    cr_expect_eq(fast->starttime, full->starttime, "starttime %.17g", fast->starttime);
    cr_expect_eq(fast->expiration, full->expiration);
    cr_expect_eq(fast->nodelist().encode(), full->nodelist().encode());
    cr_expect_eq(fast->encode_json() ? 1 : 0, 1);
    cr_expect_null(fast->scheduling(), "the scheduling key is not decoded");
    /* A property named like the key that is skipped, and key order. */
    cr_expect_eq(fast->properties().count("scheduling"), 1u);
    std::string reordered = "{\"scheduling\":" + jgf + ",\"execution\":" + exec + ",\"version\":1}";
    auto r2 = decode_R_fast(reordered);
    cr_assert(r2.has_value(), "%s", r2 ? "" : r2.error().text.c_str());
    cr_expect_eq(r2->ranks().encode(), "0-1");
}

Test(r_fast, refuses_what_is_not_json_anywhere)
{
    const char *bad_jgf[] = {
        "{\"graph\":{\"nodes\":[1,,2]}}",     /* syntax deep in the JGF */
        "{\"graph\":{\"nodes\":[\"\xff\"]}}", /* not UTF-8 */
        "{\"graph\":{\"nodes\":[tru]}}",
        "{\"graph\":{\"nodes\":[]}",          /* unbalanced */
    };
    for (const char *s : bad_jgf) {
        auto r = decode_R_fast(R(s));
        cr_expect(!r.has_value(), "accepted R with scheduling %s", s);
        if (!r)
            cr_expect_eq(r.error().errnum, EINVAL);
    }
    cr_expect(!decode_R_fast(R() + " x").has_value(), "trailing text");
    cr_expect(!decode_R_fast("[1]").has_value(), "not an object");
    /* Rv1's own checks still apply to execution. */
    auto v2 = decode_R_fast("{\"version\":2,\"execution\":" + exec + "}");
    cr_expect(!v2.has_value());
    auto badexec = decode_R_fast(R(jgf, "{\"R_lite\":[{\"rank\":\"x\",\"children\":{}}]}"));
    cr_expect(!badexec.has_value());
    /* \u0000 (jansson refuses it, simdjson would not): refused too. */
    auto nul = decode_R_fast(R("{\"graph\":{\"nodes\":[\"a\\u0000b\"]}}"));
    cr_expect(!nul.has_value(), "\\u0000 accepted");
}

Test(r_fast, scheduling_only_goes_through_rv1)
{
    auto r = decode_R_fast("{\"version\":1,\"scheduling\":" + jgf + "}");
    auto full = flux::Rv1::decode("{\"version\":1,\"scheduling\":" + jgf + "}");
    cr_expect_eq(r.has_value(), full.has_value());
}
