/* cmd/test/constraint_query.cpp - Criterion tests for --requires: RFC 35
 * queries to RFC 31 objects, and the error naming each bad term. */
#include <criterion/criterion.h>
#include <cstdlib>
#include <string>

#include "constraint_query.h"

using fluxcmd::constraint_query_all;
using fluxcmd::constraint_query_parse;

namespace {

std::string dump(const flux::JsonPtr &o)
{
    char *s = json_dumps(o.get(), JSON_COMPACT);
    std::string out = s ? s : "";
    free(s);
    return out;
}

struct Case {
    const char *query;
    const char *json;
};

const Case good[] = {
    {"gpu", R"({"properties":["gpu"]})"},
    {"a,b", R"({"properties":["a","b"]})"},
    {"properties:a,^b", R"({"properties":["a","^b"]})"},
    {"a b c", R"({"properties":["a","b","c"]})"},
    {"a&b && c and d", R"({"properties":["a","b","c","d"]})"},
    {"a|b", R"({"or":[{"properties":["a"]},{"properties":["b"]}]})"},
    {"a or b c", R"({"or":[{"properties":["a"]},{"properties":["b","c"]}]})"},
    {"-debug", R"({"not":[{"properties":["debug"]}]})"},
    {"not debug", R"({"not":[{"properties":["debug"]}]})"},
    {"b|-c", R"({"or":[{"properties":["b"]},{"not":[{"properties":["c"]}]}]})"},
    {"host:node[1-2]", R"({"hostlist":["node[1-2]"]})"},
    {"hosts:n1", R"({"hostlist":["n1"]})"},
    {"-host:n1", R"({"not":[{"hostlist":["n1"]}]})"},
    {"rank:0-3", R"({"ranks":["0-3"]})"},
    {"gpu rank:1", R"({"and":[{"properties":["gpu"]},{"ranks":["1"]}]})"},
    {"(a and b) or (b and c)",
     R"({"or":[{"properties":["a","b"]},{"properties":["b","c"]}]})"},
    {"not (a | b)", R"({"not":[{"or":[{"properties":["a"]},{"properties":["b"]}]}]})"},
    {"p:'x y'", nullptr}, /* unknown operator, quoted operand: error below */
    {"'or'", R"({"properties":["or"]})"},
};

struct Bad {
    const char *query;
    const char *error;
};

const Bad bad[] = {
    {"", "--requires: empty constraint in ''"},
    {"foo:bar", "--requires: unknown operator 'foo' (expected properties, host, hosts, "
                "hostlist, rank or ranks) in term 'foo:bar'"},
    {"host:n[1-", "--requires: invalid hostlist 'n[1-'"},
    {"rank:x", "--requires: invalid idset of ranks 'x' in term 'rank:x'"},
    {"a|", "--requires: expected a term at the end in 'a|'"},
    {"(a", "--requires: missing ')' in '(a'"},
    {"a)", "--requires: unexpected ')' in 'a)'"},
    {"-(a|b)", "--requires: '-' must be followed by a term"},
    {"a,,b", "--requires: empty property name in term 'a,,b'"},
    {"host:", "--requires: empty operand in term 'host:'"},
    {"a 'b", "--requires: unterminated quote '"},
};

} // namespace

Test(constraint_query, good)
{
    for (const Case &c : good) {
        auto r = constraint_query_parse(c.query);
        if (!c.json) {
            cr_assert(!r, "%s: expected an error", c.query);
            continue;
        }
        cr_assert(r, "%s: %s", c.query, r ? "" : r.error().text.c_str());
        std::string got = dump(*r);
        cr_assert_str_eq(got.c_str(), c.json, "%s", c.query);
    }
}

Test(constraint_query, bad)
{
    for (const Bad &b : bad) {
        auto r = constraint_query_parse(b.query);
        cr_assert(!r, "%s: expected an error", b.query);
        cr_assert_eq(r.error().errnum, EINVAL);
        cr_assert(r.error().text.rfind(b.error, 0) == 0, "%s: got '%s'", b.query,
                  r.error().text.c_str());
    }
}

Test(constraint_query, several_are_anded)
{
    auto r = constraint_query_all({"a|b", "-host:n1"});
    cr_assert(r);
    std::string got = dump(*r);
    cr_assert_str_eq(
        got.c_str(),
        R"({"and":[{"or":[{"properties":["a"]},{"properties":["b"]}]},{"not":[{"hostlist":["n1"]}]}]})");
}
