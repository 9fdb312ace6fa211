/* rv1/test/rv1.cpp - Criterion unit tests for flux::Rv1 (RFC 20 resource
 * sets, version 1).
 *
 * Table-driven: valid R documents (the RFC 20 example among them) with
 * their counts and canonical encoding, invalid documents with the exact
 * error text, round trips and R_lite compression, nodelist mapping,
 * properties, generic child types, building, and the set algebra a
 * scheduler relies on (intersect, diff, union_with, contains, copy_ranks,
 * remove_ranks).
 */
#include <criterion/criterion.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <jansson.h>

#include "rv1/rv1.h"

using flux::Hostlist;
using flux::IdSet;
using flux::JsonPtr;
using flux::RankResources;
using flux::Rv1;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        cr_expect_str_eq(got_.c_str(), (expected)__VA_OPT__(, ) __VA_ARGS__);                      \
    } while (0)

namespace {

IdSet ids(const char *s)
{
    auto set = IdSet::parse(s);
    cr_assert(set.has_value(), "bad idset '%s' in test", s);
    return *set;
}

Rv1 must_decode(const std::string &json)
{
    auto r = Rv1::decode(json);
    cr_assert(r.has_value(), "decode(%s) failed: %s", json.c_str(),
              r.has_value() ? "" : r.error().text.c_str());
    return *r;
}

/* An R with only the given R_lite array (no nodelist). */
Rv1 lite(const char *r_lite)
{
    return must_decode(std::string(R"({"version":1,"execution":{"R_lite":)") + r_lite + "}}");
}

std::string must_encode(const Rv1 &r)
{
    auto s = r.encode();
    cr_assert(s.has_value(), "encode failed: %s", s.has_value() ? "" : s.error().text.c_str());
    return *s;
}

/* The compact R_lite array of r's canonical encoding. */
std::string lite_of(const Rv1 &r)
{
    JsonPtr o = r.encode_json();
    cr_assert(o != nullptr, "encode_json failed");
    json_t *r_lite = json_object_get(json_object_get(o.get(), "execution"), "R_lite");
    cr_assert(r_lite != nullptr);
    char *s = json_dumps(r_lite, JSON_COMPACT);
    std::string out(s);
    free(s);
    return out;
}

std::string join(const std::vector<std::string> &v)
{
    std::string out;
    for (const auto &s : v)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

/* The RFC 20 example R (data/spec_20/example1.json), with its "nslots". */
const char *rfc20_example = R"({
  "version": 1,
  "execution": {
    "R_lite": [
      { "rank": "19-22", "children": { "core": "0-47", "gpu": "0-7" } }
    ],
    "nodelist": [ "node[186-189]" ],
    "nslots": 32,
    "starttime": 1676560542,
    "expiration": 1676562342
  }
})";

struct valid_case {
    const char *input;
    const char *ranks;
    size_t nnodes;
    size_t ncores;
    size_t ngpus;
    const char *hosts;   // hostnames(), space separated
    const char *encoded; // canonical encode()
};

const valid_case valid_cases[] = {
    {rfc20_example, "19-22", 4, 192, 32, "node186 node187 node188 node189",
     R"({"version":1,"execution":{"R_lite":[{"rank":"19-22","children":{"core":"0-47","gpu":"0-7"}}],)"
     R"("starttime":1676560542.0,"expiration":1676562342.0,"nodelist":["node[186-189]"]}})"},
    /* the empty R */
    {R"({"version":1,"execution":{"R_lite":[],"nodelist":[]}})", "", 0, 0, 0, "",
     R"({"version":1,"execution":{"R_lite":[],"starttime":0.0,"expiration":0.0,"nodelist":[]}})"},
    /* nodelist left out (older revisions of RFC 20): no hostnames */
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-3"}}]}})", "0-1", 2,
     8, 0, "",
     R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-3"}}],)"
     R"("starttime":0.0,"expiration":0.0}})"},
    /* entries split on the way in are merged on the way out */
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0-7","gpu":"0-1"}},)"
     R"({"rank":"1","children":{"core":"0-7","gpu":"0-1"}},)"
     R"({"rank":"2-3","children":{"gpu":"0-1","core":"0-7"}}],"nodelist":["n0","n1","n[2-3]"]}})",
     "0-3", 4, 32, 8, "n0 n1 n2 n3",
     R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-7","gpu":"0-1"}}],)"
     R"("starttime":0.0,"expiration":0.0,"nodelist":["n[0-3]"]}})"},
    /* ranks with identical children group even when not adjacent; an
     * empty gpu idset is the same as none
     */
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0,2","children":{"core":"0-3"}},)"
     R"({"rank":"1","children":{"core":"0-1","gpu":"0"}},{"rank":"3","children":{"core":"0-3","gpu":""}}],)"
     R"("nodelist":["a[0-3]"]}})",
     "0-3", 4, 14, 1, "a0 a1 a2 a3",
     R"({"version":1,"execution":{"R_lite":[{"rank":"0,2-3","children":{"core":"0-3"}},)"
     R"({"rank":"1","children":{"core":"0-1","gpu":"0"}}],"starttime":0.0,"expiration":0.0,)"
     R"("nodelist":["a[0-3]"]}})"},
    /* other child types survive; properties; scheduling rides along */
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-1","memory":"0-3"}}],)"
     R"("nodelist":["x,y"],"properties":{"big":"1","all":"0-1"},"starttime":10.5,)"
     R"("expiration":20},"scheduling":{"graph":{"nodes":[],"edges":[]}}})",
     "0-1", 2, 4, 0, "x y",
     R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-1","memory":"0-3"}}],)"
     R"("starttime":10.5,"expiration":20.0,"nodelist":["x,y"],"properties":{"all":"0-1","big":"1"}},)"
     R"("scheduling":{"graph":{"nodes":[],"edges":[]}}})"},
    /* a rank with no cores at all; bracketed idsets; unknown keys ignored */
    {R"({"version":1,"execution":{"R_lite":[{"rank":"[5-6]","children":{"core":""},"node":"z"}],)"
     R"("nodelist":["h5","h6"],"future":true},"attributes":{"system":{}}})",
     "5-6", 2, 0, 0, "h5 h6",
     R"({"version":1,"execution":{"R_lite":[{"rank":"5-6","children":{"core":""}}],)"
     R"("starttime":0.0,"expiration":0.0,"nodelist":["h[5-6]"]}})"},
    /* scheduling alone is a valid R (RFC 20) */
    {R"({"version":1,"scheduling":{"x":1}})", "", 0, 0, 0, "",
     R"({"version":1,"execution":{"R_lite":[],"starttime":0.0,"expiration":0.0,"nodelist":[]},)"
     R"("scheduling":{"x":1}})"},
};

struct invalid_case {
    const char *input;
    const char *error;
};

const invalid_case invalid_cases[] = {
    {"", "R: invalid JSON: '[' or '{' expected near end of file"},
    {"[]", "R: expected a JSON object"},
    {"{}", "R: version is missing"},
    {R"({"version":"1","execution":{"R_lite":[]}})", "R: version must be an integer"},
    {R"({"version":2,"execution":{"R_lite":[]}})", "R: version 2 is not supported"},
    {R"({"version":0,"execution":{"R_lite":[]}})", "R: version 0 is not supported"},
    {R"({"version":1})", "R: execution is missing"},
    {R"({"version":1,"execution":[]})", "execution: expected an object"},
    {R"({"version":1,"execution":{}})", "execution.R_lite is missing"},
    {R"({"version":1,"execution":{"R_lite":{}}})", "execution.R_lite: expected an array"},
    {R"({"version":1,"execution":{"R_lite":[3]}})", "execution.R_lite[0]: expected an object"},
    {R"({"version":1,"execution":{"R_lite":[{"children":{"core":"0"}}]}})",
     "execution.R_lite[0].rank is missing"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":0,"children":{"core":"0"}}]}})",
     "execution.R_lite[0].rank: expected an idset string"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}},)"
     R"({"rank":"1","children":{"core":"0"}},{"rank":"5-3","children":{"core":"0"}}]}})",
     "execution.R_lite[2].rank: idset: invalid range '5-3'"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"","children":{"core":"0"}}]}})",
     "execution.R_lite[0].rank: empty idset"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0"}},)"
     R"({"rank":"3","children":{"core":"1"}}]}})",
     "execution.R_lite[1].rank: duplicate rank 3"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0"}},)"
     R"({"rank":"2-5","children":{"core":"1"}}]}})",
     "execution.R_lite[1].rank: duplicate ranks 2-3"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-1000000","children":{"core":"0"}}]}})",
     "execution.R_lite[0].rank: R would hold more than 1000000 ranks"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0"}]}})",
     "execution.R_lite[0].children is missing"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":"0-3"}]}})",
     "execution.R_lite[0].children: expected an object"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"gpu":"0"}}]}})",
     "execution.R_lite[0].children.core is missing"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0","gpu":1}}]}})",
     "execution.R_lite[0].children.gpu: expected an idset string"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0-"}}]}})",
     "execution.R_lite[0].children.core: idset: invalid range '0-'"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0","":"1"}}]}})",
     "execution.R_lite[0].children: empty resource type name"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],"nodelist":"a"}})",
     "execution.nodelist: expected an array"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],"nodelist":[1]}})",
     "execution.nodelist[0]: expected a hostlist string"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0"}}],)"
     R"("nodelist":["a","foo[1-3"]}})",
     "execution.nodelist[1]: hostlist: unbalanced '[' in 'foo[1-3'"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0"}}],)"
     R"("nodelist":["n[0-2]"]}})",
     "execution.nodelist: 3 hosts for 4 ranks"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],)"
     R"("nodelist":["a","b"]}})",
     "execution.nodelist: 2 hosts for 1 ranks"},
    {R"({"version":1,"execution":{"R_lite":[],"starttime":"now"}})",
     "execution.starttime: expected a number"},
    {R"({"version":1,"execution":{"R_lite":[],"starttime":-1}})",
     "execution.starttime: must not be negative"},
    {R"({"version":1,"execution":{"R_lite":[],"expiration":-0.5}})",
     "execution.expiration: must not be negative"},
    {R"({"version":1,"execution":{"R_lite":[],"starttime":100,"expiration":50}})",
     "execution.expiration: must be greater than starttime"},
    {R"({"version":1,"execution":{"R_lite":[],"starttime":100,"expiration":100}})",
     "execution.expiration: must be greater than starttime"},
    {R"({"version":1,"execution":{"R_lite":[],"properties":[]}})",
     "execution.properties: expected an object"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],)"
     R"("properties":{"a|b":"0"}}})",
     "execution.properties: invalid property name 'a|b'"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],)"
     R"("properties":{"":"0"}}})",
     "execution.properties: invalid property name ''"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],)"
     R"("properties":{"fast":0}}})",
     "execution.properties.fast: expected an idset string"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],)"
     R"("properties":{"fast":"x"}}})",
     "execution.properties.fast: idset: invalid id 'x'"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0"}}],)"
     R"("properties":{"fast":"2-5"}}})",
     "execution.properties.fast: ranks 4-5 are not in R_lite"},
    {R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0"}}],)"
     R"("properties":{"fast":"7"}}})",
     "execution.properties.fast: rank 7 is not in R_lite"},
};

/* Set algebra: two R_lite arrays and the R_lite of each result. */
struct algebra_case {
    const char *a;
    const char *b;
    const char *intersect;  // a.intersect(b)
    const char *diff;       // a.diff(b)
    const char *union_with; // a.union_with(b)
    bool a_contains_b;
};

const algebra_case algebra_cases[] = {
    /* disjoint ranks */
    {R"([{"rank":"0-1","children":{"core":"0-3"}}])",
     R"([{"rank":"2-3","children":{"core":"0-3"}}])", "[]",
     R"([{"rank":"0-1","children":{"core":"0-3"}}])",
     R"([{"rank":"0-3","children":{"core":"0-3"}}])", false},
    /* same ranks, some cores and gpus taken */
    {R"([{"rank":"0-3","children":{"core":"0-7","gpu":"0-1"}}])",
     R"([{"rank":"1-2","children":{"core":"0-3","gpu":"1"}}])",
     R"([{"rank":"1-2","children":{"core":"0-3","gpu":"1"}}])",
     R"([{"rank":"0,3","children":{"core":"0-7","gpu":"0-1"}},{"rank":"1-2","children":{"core":"4-7","gpu":"0"}}])",
     R"([{"rank":"0-3","children":{"core":"0-7","gpu":"0-1"}}])", true},
    /* a whole rank taken leaves the rank out of the difference */
    {R"([{"rank":"0-1","children":{"core":"0-3","gpu":"0"}}])",
     R"([{"rank":"1","children":{"core":"0-3","gpu":"0"}}])",
     R"([{"rank":"1","children":{"core":"0-3","gpu":"0"}}])",
     R"([{"rank":"0","children":{"core":"0-3","gpu":"0"}}])",
     R"([{"rank":"0-1","children":{"core":"0-3","gpu":"0"}}])", true},
    /* overlapping ranks, overlapping cores */
    {R"([{"rank":"0-2","children":{"core":"0-3"}}])",
     R"([{"rank":"2-4","children":{"core":"2-5","gpu":"0"}}])",
     R"([{"rank":"2","children":{"core":"2-3"}}])",
     R"([{"rank":"0-1","children":{"core":"0-3"}},{"rank":"2","children":{"core":"0-1"}}])",
     R"([{"rank":"0-1","children":{"core":"0-3"}},{"rank":"2","children":{"core":"0-5","gpu":"0"}},)"
     R"({"rank":"3-4","children":{"core":"2-5","gpu":"0"}}])",
     false},
    /* same rank, disjoint cores: nothing in common, rank dropped */
    {R"([{"rank":"0","children":{"core":"0-1"}}])", R"([{"rank":"0","children":{"core":"2-3"}}])",
     "[]", R"([{"rank":"0","children":{"core":"0-1"}}])",
     R"([{"rank":"0","children":{"core":"0-3"}}])", false},
    /* gpus only in b: subtracting them leaves the cores */
    {R"([{"rank":"0-1","children":{"core":"0-1"}}])",
     R"([{"rank":"0","children":{"core":"","gpu":"0-1"}}])", "[]",
     R"([{"rank":"0-1","children":{"core":"0-1"}}])",
     R"([{"rank":"0","children":{"core":"0-1","gpu":"0-1"}},{"rank":"1","children":{"core":"0-1"}}])",
     false},
    /* b empty */
    {R"([{"rank":"0-1","children":{"core":"0-1"}}])", "[]", "[]",
     R"([{"rank":"0-1","children":{"core":"0-1"}}])",
     R"([{"rank":"0-1","children":{"core":"0-1"}}])", true},
    /* bare ranks (no children): kept in common, subtracted as a whole */
    {R"([{"rank":"0-2","children":{"core":""}}])", R"([{"rank":"1","children":{"core":""}}])",
     R"([{"rank":"1","children":{"core":""}}])", R"([{"rank":"0,2","children":{"core":""}}])",
     R"([{"rank":"0-2","children":{"core":""}}])", true},
    /* other child types take part too */
    {R"([{"rank":"0","children":{"core":"0-3","memory":"0-7"}}])",
     R"([{"rank":"0","children":{"core":"0-3","memory":"0-3"}}])",
     R"([{"rank":"0","children":{"core":"0-3","memory":"0-3"}}])",
     R"([{"rank":"0","children":{"core":"","memory":"4-7"}}])",
     R"([{"rank":"0","children":{"core":"0-3","memory":"0-7"}}])", true},
};

} // namespace

Test(rv1, decode_valid)
{
    for (const auto &tc : valid_cases) {
        auto r = Rv1::decode(tc.input);
        cr_assert(r.has_value(), "decode(%s): %s", tc.input,
                  r.has_value() ? "" : r.error().text.c_str());
        expect_str(r->ranks().encode(), tc.ranks, "ranks of %s", tc.input);
        cr_expect_eq(r->nnodes(), tc.nnodes, "nnodes of %s", tc.input);
        cr_expect_eq(r->ncores(), tc.ncores, "ncores of %s", tc.input);
        cr_expect_eq(r->ngpus(), tc.ngpus, "ngpus of %s", tc.input);
        cr_expect_eq(r->empty(), tc.nnodes == 0, "empty() of %s", tc.input);
        expect_str(join(r->hostnames()), tc.hosts, "hostnames of %s", tc.input);
        expect_str(must_encode(*r), tc.encoded, "encode of %s", tc.input);
    }
}

Test(rv1, decode_invalid)
{
    for (const auto &tc : invalid_cases) {
        auto r = Rv1::decode(tc.input);
        cr_expect(!r.has_value(), "decode(%s) should fail", tc.input);
        if (!r.has_value()) {
            cr_expect_eq(r.error().errnum, EINVAL, "errnum for %s", tc.input);
            cr_expect_str_eq(r.error().text.c_str(), tc.error, "error for %s", tc.input);
        }
    }
}

Test(rv1, rfc20_example)
{
    Rv1 r = must_decode(rfc20_example);
    cr_expect_eq(r.starttime, 1676560542.0);
    cr_expect_eq(r.expiration, 1676562342.0);
    const RankResources *res = r.find(21);
    cr_assert(res != nullptr);
    cr_expect_eq(res->rank, 21u);
    expect_str(res->hostname, "node188");
    expect_str(res->cores().encode(), "0-47");
    expect_str(res->gpus().encode(), "0-7");
    cr_expect(res->properties.empty());
    cr_expect(r.find(18) == nullptr);
    cr_expect(r.find(23) == nullptr);
    expect_str(r.nodelist().encode(), "node[186-189]");
    cr_expect(r.scheduling() == nullptr);
}

Test(rv1, round_trip)
{
    for (const auto &tc : valid_cases) {
        Rv1 r = must_decode(tc.input);
        std::string once = must_encode(r);
        Rv1 again = must_decode(once);
        cr_expect(again == r, "decode(encode(%s)) differs", tc.input);
        expect_str(must_encode(again), once.c_str(), "encode is stable for %s", tc.input);
    }
}

Test(rv1, encode_compresses_identical_ranks)
{
    Rv1 r;
    for (uint32_t rank = 0; rank < 4; rank++)
        r.add_rank(rank, "node" + std::to_string(rank), ids("0-7"), ids("0-1"));
    expect_str(
        must_encode(r),
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-7","gpu":"0-1"}}],)"
        R"("starttime":0.0,"expiration":0.0,"nodelist":["node[0-3]"]}})");
}

Test(rv1, encode_groups_by_children)
{
    Rv1 r;
    r.add_rank(0, "a0", ids("0-3"), IdSet{});
    r.add_rank(1, "a1", ids("0-1"), ids("0"));
    r.add_rank(2, "a2", ids("0-3"), IdSet{});
    r.add_rank(7, "b", ids("0-1"), ids("0"));
    expect_str(lite_of(r), R"([{"rank":"0,2","children":{"core":"0-3"}},)"
                           R"({"rank":"1,7","children":{"core":"0-1","gpu":"0"}}])");
    Rv1 back = must_decode(must_encode(r));
    cr_expect(back == r);
    expect_str(join(back.hostnames()), "a0 a1 a2 b");
}

Test(rv1, encode_json_matches_encode)
{
    Rv1 r = must_decode(valid_cases[5].input);
    JsonPtr o = r.encode_json();
    cr_assert(o != nullptr);
    char *s = json_dumps(o.get(), JSON_COMPACT);
    std::string dumped(s);
    free(s);
    const std::string encoded = must_encode(r);
    expect_str(dumped, encoded.c_str());
}

Test(rv1, encode_errors)
{
    const struct {
        const char *what;
        Rv1 r;
        const char *error;
    } cases[] = {
        {"mixed hostnames",
         [] {
             Rv1 r;
             r.add_rank(0, "a", ids("0"), IdSet{});
             r.add_rank(3, "", ids("0"), IdSet{});
             return r;
         }(),
         "R: rank 3 has no hostname"},
        {"hostname with comma",
         [] {
             Rv1 r;
             r.add_rank(1, "a,b", ids("0"), IdSet{});
             return r;
         }(),
         "R: rank 1 hostname 'a,b' cannot be written in a hostlist"},
        {"negative starttime",
         [] {
             Rv1 r;
             r.starttime = -1;
             return r;
         }(),
         "R: starttime must not be negative"},
        {"expiration before starttime",
         [] {
             Rv1 r;
             r.starttime = 10;
             r.expiration = 5;
             return r;
         }(),
         "R: expiration must be greater than starttime"},
    };
    for (const auto &tc : cases) {
        auto s = tc.r.encode();
        cr_expect(!s.has_value(), "%s: encode should fail", tc.what);
        if (!s.has_value()) {
            cr_expect_eq(s.error().errnum, EINVAL, "%s", tc.what);
            cr_expect_str_eq(s.error().text.c_str(), tc.error, "%s", tc.what);
        }
        cr_expect(tc.r.encode_json() == nullptr, "%s: encode_json should fail", tc.what);
    }
}

Test(rv1, empty_set)
{
    Rv1 r;
    cr_expect(r.empty());
    cr_expect_eq(r.nnodes(), 0u);
    cr_expect_eq(r.ncores(), 0u);
    cr_expect(r.ranks().empty());
    cr_expect(r.hostnames().empty());
    expect_str(must_encode(r), R"({"version":1,"execution":{"R_lite":[],"starttime":0.0,)"
                               R"("expiration":0.0,"nodelist":[]}})");
    cr_expect(must_decode(must_encode(r)) == r);
    cr_expect(r == Rv1{});
}

Test(rv1, nodelist_follows_ascending_rank_order)
{
    /* R_lite entries out of order; hosts still map to sorted ranks */
    Rv1 r = must_decode(
        R"({"version":1,"execution":{"R_lite":[)"
        R"({"rank":"8-9","children":{"core":"0"}},{"rank":"0,4","children":{"core":"1"}}],)"
        R"("nodelist":["x[1-2]","y","z"]}})");
    const struct {
        uint32_t rank;
        const char *host;
    } expected[] = {{0, "x1"}, {4, "x2"}, {8, "y"}, {9, "z"}};
    for (const auto &e : expected) {
        const RankResources *res = r.find(e.rank);
        cr_assert(res != nullptr, "rank %u", e.rank);
        expect_str(res->hostname, e.host, "rank %u", e.rank);
    }
    expect_str(join(r.hostnames()), "x1 x2 y z");
    expect_str(r.nodelist().encode(), "x[1-2],y,z");
}

Test(rv1, nodelist_may_repeat_hosts)
{
    /* several brokers on one node (test instances) */
    Rv1 r = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-2","children":{"core":"0"}}],)"
        R"("nodelist":["localhost,localhost,localhost"]}})");
    expect_str(join(r.hostnames()), "localhost localhost localhost");
    auto hl = Hostlist::parse("localhost");
    cr_assert(hl.has_value());
    expect_str(r.ranks_of(*hl).encode(), "0-2");
    cr_expect(must_decode(must_encode(r)) == r);
}

Test(rv1, ranks_of_hosts)
{
    Rv1 r = must_decode(rfc20_example);
    const struct {
        const char *hosts;
        const char *ranks;
    } cases[] = {
        {"node186", "19"}, {"node[187-188]", "20-21"}, {"node189,node186", "19,22"}, {"other", ""},
        {"", ""},
    };
    for (const auto &tc : cases) {
        auto hl = Hostlist::parse(tc.hosts);
        cr_assert(hl.has_value(), "%s", tc.hosts);
        expect_str(r.ranks_of(*hl).encode(), tc.ranks, "ranks_of(%s)", tc.hosts);
    }
}

Test(rv1, properties_decode)
{
    Rv1 r = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-1"}}],)"
        R"("nodelist":["n[0-3]"],"properties":{"gpu-node":"2-3","amd-mi50@gpu":"3",)"
        R"("debug":"0","none":""}}})");
    expect_str(r.ranks_with_property("gpu-node").encode(), "2-3");
    expect_str(r.ranks_with_property("amd-mi50@gpu").encode(), "3");
    expect_str(r.ranks_with_property("debug").encode(), "0");
    cr_expect(r.ranks_with_property("none").empty());
    cr_expect(r.ranks_with_property("missing").empty());
    const RankResources *res = r.find(3);
    cr_assert(res != nullptr);
    cr_expect_eq(res->properties.size(), 2u);
    cr_expect(res->properties.count("amd-mi50@gpu") == 1);
    cr_expect(r.find(1)->properties.empty());
    auto props = r.properties();
    cr_expect_eq(props.size(), 3u); // a property with no ranks is not kept
    expect_str(must_encode(r),
               R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-1"}}],)"
               R"("starttime":0.0,"expiration":0.0,"nodelist":["n[0-3]"],)"
               R"("properties":{"amd-mi50@gpu":"3","debug":"0","gpu-node":"2-3"}}})");
}

Test(rv1, add_property)
{
    Rv1 r;
    r.add_rank(0, "a", ids("0-3"), IdSet{});
    r.add_rank(1, "b", ids("0-3"), IdSet{});
    auto ok = r.add_property("fast", ids("0-1"));
    cr_expect(ok.has_value());
    ok = r.add_property("big", ids("1"));
    cr_expect(ok.has_value());
    expect_str(r.ranks_with_property("fast").encode(), "0-1");
    expect_str(r.ranks_with_property("big").encode(), "1");

    const struct {
        const char *name;
        const char *ranks;
        const char *error;
    } bad[] = {
        {"a(b)", "0", "R: invalid property name 'a(b)'"},
        {"x&y", "0", "R: invalid property name 'x&y'"},
        {"", "0", "R: invalid property name ''"},
        {"slow", "1-3", "R: property 'slow': ranks 2-3 are not in R"},
        {"slow", "9", "R: property 'slow': rank 9 is not in R"},
    };
    for (const auto &tc : bad) {
        auto res = r.add_property(tc.name, ids(tc.ranks));
        cr_expect(!res.has_value(), "add_property('%s')", tc.name);
        if (!res.has_value())
            cr_expect_str_eq(res.error().text.c_str(), tc.error, "add_property('%s')", tc.name);
    }
    cr_expect(r.ranks_with_property("slow").empty());
    cr_expect(must_decode(must_encode(r)) == r);
}

Test(rv1, generic_children)
{
    Rv1 r = lite(R"([{"rank":"0-1","children":{"core":"0-3","memory":"0-15","nic":"0"}}])");
    const RankResources *res = r.find(1);
    cr_assert(res != nullptr);
    expect_str(res->child("memory").encode(), "0-15");
    expect_str(res->child("nic").encode(), "0");
    cr_expect(res->child("fpga").empty());
    cr_expect_eq(r.count("memory"), 32u);
    cr_expect_eq(r.count("nic"), 2u);
    expect_str(lite_of(r),
               R"([{"rank":"0-1","children":{"core":"0-3","memory":"0-15","nic":"0"}}])");
    cr_expect(must_decode(must_encode(r)) == r);
}

Test(rv1, counts)
{
    const struct {
        const char *r_lite;
        size_t nnodes, ncores, ngpus;
    } cases[] = {
        {"[]", 0, 0, 0},
        {R"([{"rank":"0","children":{"core":"0"}}])", 1, 1, 0},
        {R"([{"rank":"0-9","children":{"core":"0-35","gpu":"0-3"}}])", 10, 360, 40},
        {R"([{"rank":"0,2","children":{"core":"0-1"}},{"rank":"5","children":{"core":"3,5","gpu":"1"}}])",
         3, 6, 1},
        {R"([{"rank":"0-1","children":{"core":""}}])", 2, 0, 0},
    };
    for (const auto &tc : cases) {
        Rv1 r = lite(tc.r_lite);
        cr_expect_eq(r.nnodes(), tc.nnodes, "nnodes %s", tc.r_lite);
        cr_expect_eq(r.ncores(), tc.ncores, "ncores %s", tc.r_lite);
        cr_expect_eq(r.ngpus(), tc.ngpus, "ngpus %s", tc.r_lite);
        cr_expect_eq(r.by_rank().size(), tc.nnodes, "by_rank %s", tc.r_lite);
    }
}

Test(rv1, add_rank_builds_and_replaces)
{
    Rv1 r;
    r.add_rank(3, "c", ids("0-1"), ids("0"));
    r.add_rank(1, "a", ids("0-3"), IdSet{});
    cr_expect(r.set_child(3, "memory", ids("0-7")));
    cr_expect(!r.set_child(9, "memory", ids("0")));
    cr_expect(r.add_property("p", ids("3")).has_value());
    expect_str(r.ranks().encode(), "1,3");
    cr_expect_eq(r.ncores(), 6u);
    cr_expect_eq(r.ngpus(), 1u);

    /* replacing keeps other types and properties */
    r.add_rank(3, "c2", ids("4-5"), IdSet{});
    const RankResources *res = r.find(3);
    cr_assert(res != nullptr);
    expect_str(res->hostname, "c2");
    expect_str(res->cores().encode(), "4-5");
    cr_expect(res->gpus().empty());
    expect_str(res->child("memory").encode(), "0-7");
    cr_expect(res->properties.count("p") == 1);
    cr_expect_eq(r.nnodes(), 2u);

    /* removing a type with an empty set */
    cr_expect(r.set_child(3, "memory", IdSet{}));
    cr_expect(r.find(3)->children.count("memory") == 0);
}

Test(rv1, intersect)
{
    for (const auto &tc : algebra_cases) {
        Rv1 a = lite(tc.a);
        Rv1 b = lite(tc.b);
        expect_str(lite_of(a.intersect(b)), tc.intersect, "%s & %s", tc.a, tc.b);
        /* symmetric in resources */
        expect_str(lite_of(b.intersect(a)), tc.intersect, "%s & %s", tc.b, tc.a);
    }
}

Test(rv1, diff)
{
    for (const auto &tc : algebra_cases) {
        Rv1 a = lite(tc.a);
        Rv1 b = lite(tc.b);
        expect_str(lite_of(a.diff(b)), tc.diff, "%s - %s", tc.a, tc.b);
    }
}

Test(rv1, union_with)
{
    for (const auto &tc : algebra_cases) {
        Rv1 a = lite(tc.a);
        Rv1 b = lite(tc.b);
        auto u = a.union_with(b);
        cr_assert(u.has_value(), "%s | %s", tc.a, tc.b);
        expect_str(lite_of(*u), tc.union_with, "%s | %s", tc.a, tc.b);
        auto u2 = b.union_with(a);
        cr_assert(u2.has_value());
        cr_expect(*u2 == *u, "union is symmetric for %s, %s", tc.a, tc.b);
    }
}

Test(rv1, contains)
{
    for (const auto &tc : algebra_cases) {
        Rv1 a = lite(tc.a);
        Rv1 b = lite(tc.b);
        cr_expect_eq(a.contains(b), tc.a_contains_b, "%s contains %s", tc.a, tc.b);
        cr_expect(a.contains(a), "%s contains itself", tc.a);
        cr_expect(a.contains(Rv1{}), "%s contains the empty set", tc.a);
        cr_expect(a.contains(a.intersect(b)), "%s contains its intersection", tc.a);
        cr_expect(a.contains(a.diff(b)), "%s contains a difference", tc.a);
        auto u = a.union_with(b);
        cr_assert(u.has_value());
        cr_expect(u->contains(a) && u->contains(b), "union of %s, %s contains both", tc.a, tc.b);
    }
}

Test(rv1, algebra_identities)
{
    for (const auto &tc : algebra_cases) {
        Rv1 a = lite(tc.a);
        Rv1 b = lite(tc.b);
        cr_expect(a.intersect(a) == a, "a & a == a for %s", tc.a);
        cr_expect(a.diff(a).empty(), "a - a is empty for %s", tc.a);
        cr_expect(a.diff(Rv1{}) == a, "a - {} == a for %s", tc.a);
        cr_expect(a.intersect(Rv1{}).empty(), "a & {} is empty for %s", tc.a);
        /* (a - b) | (a & b) == a: an allocation returned restores the pool */
        auto back = a.diff(b).union_with(a.intersect(b));
        cr_assert(back.has_value());
        cr_expect(*back == a, "(a - b) | (a & b) == a for %s, %s", tc.a, tc.b);
        /* nothing of b is left in a - b */
        cr_expect(a.diff(b).intersect(b).empty(), "(a - b) & b is empty for %s, %s", tc.a, tc.b);
    }
}

Test(rv1, scheduler_allocate_and_free)
{
    Rv1 pool = must_decode(rfc20_example);
    Rv1 job1 = pool.copy_ranks(ids("19-20"));
    Rv1 job2;
    job2.add_rank(21, "node188", ids("0-23"), ids("0-3"));
    cr_assert(pool.contains(job1));
    cr_assert(pool.contains(job2));

    Rv1 free = pool.diff(job1).diff(job2);
    expect_str(free.ranks().encode(), "21-22");
    cr_expect_eq(free.ncores(), 72u);
    cr_expect_eq(free.ngpus(), 12u);
    expect_str(join(free.hostnames()), "node188 node189");
    cr_expect(!free.contains(job2));
    cr_expect(free.intersect(job1).empty());

    auto back = free.union_with(job2);
    cr_assert(back.has_value());
    auto all = back->union_with(job1);
    cr_assert(all.has_value());
    cr_expect(*all == pool);
}

Test(rv1, union_hostname_conflict)
{
    Rv1 a;
    a.add_rank(0, "foo0", ids("0-1"), IdSet{});
    a.add_rank(1, "foo1", ids("0-1"), IdSet{});
    Rv1 b;
    b.add_rank(1, "bar1", ids("2-3"), IdSet{});
    auto u = a.union_with(b);
    cr_assert(!u.has_value());
    cr_expect_eq(u.error().errnum, EINVAL);
    cr_expect_str_eq(u.error().text.c_str(),
                     "R: rank 1 is 'foo1' in one set and 'bar1' in the other");
    cr_expect(!a.contains(b));

    /* a missing hostname is filled in from the other set */
    Rv1 c;
    c.add_rank(1, "", ids("2-3"), IdSet{});
    auto u2 = a.union_with(c);
    cr_assert(u2.has_value());
    expect_str(u2->find(1)->hostname, "foo1");
    expect_str(u2->find(1)->cores().encode(), "0-3");
    cr_expect(a.contains(c.intersect(a)));
}

Test(rv1, union_merges_properties_and_times)
{
    Rv1 a = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0"}}],)"
        R"("nodelist":["n[0-1]"],"properties":{"x":"0"}}})");
    Rv1 b = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"1-2","children":{"core":"1"}}],)"
        R"("nodelist":["n[1-2]"],"properties":{"y":"1-2"},"starttime":5,"expiration":9}})");
    auto u = a.union_with(b);
    cr_assert(u.has_value());
    expect_str(lite_of(*u),
               R"([{"rank":"0","children":{"core":"0"}},{"rank":"1","children":{"core":"0-1"}},)"
               R"({"rank":"2","children":{"core":"1"}}])");
    expect_str(u->ranks_with_property("x").encode(), "0");
    expect_str(u->ranks_with_property("y").encode(), "1-2");
    expect_str(join(u->hostnames()), "n0 n1 n2");
    cr_expect_eq(u->starttime, 5.0); // a's are unset
    cr_expect_eq(u->expiration, 9.0);
    auto u2 = b.union_with(a);
    cr_assert(u2.has_value());
    cr_expect(*u2 == *u);
}

Test(rv1, derived_sets_keep_left_times_and_drop_scheduling)
{
    Rv1 a = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-3"}}],)"
        R"("starttime":100,"expiration":200},"scheduling":{"k":"v"}})");
    Rv1 b = lite(R"([{"rank":"2-5","children":{"core":"0-1"}}])");
    const Rv1 results[] = {a.intersect(b), a.diff(b), a.copy_ranks(ids("0")),
                           a.remove_ranks(ids("0"))};
    for (const auto &r : results) {
        cr_expect_eq(r.starttime, 100.0);
        cr_expect_eq(r.expiration, 200.0);
        cr_expect(r.scheduling() == nullptr);
    }
    Rv1 bi = b.intersect(a);
    cr_expect_eq(bi.starttime, 0.0);
    cr_expect_eq(bi.expiration, 0.0);
}

Test(rv1, copy_and_remove_ranks)
{
    Rv1 r = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-4","children":{"core":"0-1"}},)"
        R"({"rank":"5","children":{"core":"0-3","gpu":"0"}}],"nodelist":["n[0-5]"],)"
        R"("properties":{"p":"1,5"}}})");
    const struct {
        const char *ranks;
        const char *copied;  // ranks of copy_ranks
        const char *hosts;   // its hostnames
        const char *removed; // ranks of remove_ranks
    } cases[] = {
        {"", "", "", "0-5"},
        {"0-5", "0-5", "n0 n1 n2 n3 n4 n5", ""},
        {"1,5", "1,5", "n1 n5", "0,2-4"},
        {"4-9", "4-5", "n4 n5", "0-3"},
        {"100", "", "", "0-5"},
    };
    for (const auto &tc : cases) {
        IdSet set = ids(tc.ranks);
        Rv1 c = r.copy_ranks(set);
        Rv1 m = r.remove_ranks(set);
        expect_str(c.ranks().encode(), tc.copied, "copy_ranks(%s)", tc.ranks);
        expect_str(join(c.hostnames()), tc.hosts, "copy_ranks(%s) hosts", tc.ranks);
        expect_str(m.ranks().encode(), tc.removed, "remove_ranks(%s)", tc.ranks);
        /* the two halves partition r */
        cr_expect(c.intersect(m).empty(), "halves of %s are disjoint", tc.ranks);
        auto whole = c.union_with(m);
        cr_assert(whole.has_value());
        cr_expect(*whole == r, "halves of %s rebuild r", tc.ranks);
    }
    Rv1 c = r.copy_ranks(ids("5"));
    expect_str(c.ranks_with_property("p").encode(), "5");
    cr_expect_eq(c.ngpus(), 1u);
    expect_str(
        must_encode(c),
        R"({"version":1,"execution":{"R_lite":[{"rank":"5","children":{"core":"0-3","gpu":"0"}}],)"
        R"("starttime":0.0,"expiration":0.0,"nodelist":["n5"],"properties":{"p":"5"}}})");
}

Test(rv1, scheduling_is_opaque)
{
    const char *input =
        R"({"version":1,"execution":{"R_lite":[]},"scheduling":{"graph":{"nodes":[{"id":"0"}],"edges":[]}}})";
    Rv1 r = must_decode(input);
    cr_assert(r.scheduling() != nullptr);
    json_t *graph = json_object_get(r.scheduling(), "graph");
    cr_expect(json_is_object(graph));

    /* copies share it and compare equal; a different blob compares unequal */
    Rv1 copy = r;
    cr_expect(copy.scheduling() == r.scheduling());
    cr_expect(copy == r);
    Rv1 assigned;
    assigned = r;
    cr_expect(assigned == r);
    JsonPtr other(json_pack("{s:i}", "x", 1));
    copy.set_scheduling(other.get());
    cr_expect(!(copy == r));
    copy.set_scheduling(nullptr);
    cr_expect(copy.scheduling() == nullptr);
    cr_expect(!(copy == r));

    Rv1 moved = std::move(assigned);
    cr_expect(moved == r);
}

Test(rv1, decode_json_borrows)
{
    json_error_t error;
    JsonPtr o(json_loads(rfc20_example, 0, &error));
    cr_assert(o != nullptr);
    JsonPtr sched(json_pack("{s:s}", "k", "v"));
    cr_assert(json_object_set(o.get(), "scheduling", sched.get()) == 0);
    size_t refs = sched->refcount;
    {
        auto r = Rv1::decode(o.get());
        cr_assert(r.has_value());
        cr_expect_eq(r->nnodes(), 4u);
        cr_expect_eq(sched->refcount, refs + 1); // kept by r
        cr_expect_eq(o->refcount, 1u);           // the document itself is not kept
    }
    cr_expect_eq(sched->refcount, refs); // released with r
    auto bad = Rv1::decode(static_cast<const json_t *>(nullptr));
    cr_assert(!bad.has_value());
    cr_expect_str_eq(bad.error().text.c_str(), "R: expected a JSON object");
}

Test(rv1, max_ranks_across_entries)
{
    std::string json =
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-999999","children":{"core":"0"}},)"
        R"({"rank":"1000000","children":{"core":"0"}}]}})";
    auto r = Rv1::decode(json);
    cr_assert(!r.has_value());
    cr_expect_str_eq(r.error().text.c_str(),
                     "execution.R_lite[1].rank: R would hold more than 1000000 ranks");
}

Test(rv1, large_set_round_trip)
{
    Rv1 r;
    for (uint32_t rank = 0; rank < 1024; rank++) {
        r.add_rank(rank, "big" + std::to_string(rank), ids("0-63"),
                   rank % 2 ? ids("0-3") : IdSet{});
    }
    JsonPtr o = r.encode_json();
    cr_assert(o != nullptr);
    json_t *execution = json_object_get(o.get(), "execution");
    cr_expect_eq(json_array_size(json_object_get(execution, "R_lite")), 2u);
    json_t *nodelist = json_object_get(execution, "nodelist");
    cr_assert_eq(json_array_size(nodelist), 1u);
    cr_expect_str_eq(json_string_value(json_array_get(nodelist, 0)), "big[0-1023]");
    Rv1 back = must_decode(must_encode(r));
    cr_expect(back == r);
    cr_expect_eq(back.ncores(), 1024u * 64);
    cr_expect_eq(back.ngpus(), 512u * 4);
}

Test(rv1, algebra_keeps_left_hostnames_and_properties)
{
    Rv1 a = must_decode(
        R"({"version":1,"execution":{"R_lite":[{"rank":"0-3","children":{"core":"0-3"}}],)"
        R"("nodelist":["n[0-3]"],"properties":{"fast":"0-1"}}})");
    Rv1 b = lite(R"([{"rank":"1-2","children":{"core":"0"}}])");
    Rv1 i = a.intersect(b);
    expect_str(join(i.hostnames()), "n1 n2");
    expect_str(i.ranks_with_property("fast").encode(), "1");
    Rv1 d = a.diff(b);
    expect_str(join(d.hostnames()), "n0 n1 n2 n3");
    expect_str(d.ranks_with_property("fast").encode(), "0-1");
    expect_str(d.find(2)->cores().encode(), "1-3");
    /* b names no hosts: no conflict, and a holds b */
    cr_expect(a.contains(b));
    /* the same rank under another name is not contained */
    Rv1 c;
    c.add_rank(1, "m1", ids("0"), IdSet{});
    cr_expect(!a.contains(c));
    auto u = a.union_with(c);
    cr_expect(!u.has_value());
}

Test(rv1, bare_rank_against_resources)
{
    Rv1 bare = lite(R"([{"rank":"0","children":{"core":""}}])");
    Rv1 full = lite(R"([{"rank":"0","children":{"core":"0-1"}}])");
    /* the node itself goes with the resources on it */
    cr_expect(bare.diff(full).empty());
    cr_expect(bare.intersect(full).empty());
    cr_expect(full.contains(bare));
    cr_expect(!bare.contains(full));
    expect_str(lite_of(full.diff(bare)), R"([{"rank":"0","children":{"core":"0-1"}}])");
}
