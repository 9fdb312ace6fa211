/* fluxd/kvs/test/store.cpp - Criterion tests for the KVS store (fluxd::KvsStore) against a real
 * SQLite file in a temporary directory: key normalization, values, directories, replacement and
 * unlink semantics, append, atomic and group commits, versions, namespaces, persistence. */
#include <criterion/criterion.h>

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvs/store.h"

using fluxd::KvsDirEntry;
using fluxd::KvsNamespace;
using fluxd::KvsOp;
using fluxd::KvsStore;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so std::string temporaries must be held in locals. */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        if (got_ != want_)                                                                         \
            cr_log_error("got `%s`, want `%s`", got_.c_str(), want_.c_str());                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

namespace {

std::string tmpdir; /* per test (each Criterion test runs in its own process) */

int rm_entry(const char *path, const struct stat *, int, struct FTW *)
{
    return remove(path);
}

void setup()
{
    char tmpl[] = "/tmp/kvs-store-test.XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
    tmpdir = tmpl;
}

void teardown()
{
    if (!tmpdir.empty())
        nftw(tmpdir.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir.clear();
}

std::string db_path()
{
    return tmpdir + "/kvs.sqlite";
}

/* Open the store in the test directory; with PRIMARY, make sure "primary" exists. */
std::unique_ptr<KvsStore> open_store(bool primary = true)
{
    auto r = KvsStore::open(db_path());
    cr_assert(r.has_value(), "open %s: %s", db_path().c_str(),
              r.has_value() ? "" : r.error().text.c_str());
    std::unique_ptr<KvsStore> s = std::move(*r);
    if (primary && !s->ns_get("primary")) {
        auto c = s->ns_create("primary", 1000);
        cr_assert(c.has_value(), "create primary: %s", c.has_value() ? "" : c.error().text.c_str());
    }
    return s;
}

KvsOp put(const std::string &key, const std::string &json)
{
    return KvsOp{KvsOp::Kind::put, key, json};
}

KvsOp unlink_op(const std::string &key)
{
    return KvsOp{KvsOp::Kind::unlink, key, ""};
}

KvsOp append(const std::string &key, const std::string &json)
{
    return KvsOp{KvsOp::Kind::append, key, json};
}

/* Commit that must succeed; returns the new version. */
uint64_t commit_ok(KvsStore &s, const std::vector<KvsOp> &ops, const std::string &ns = "primary")
{
    auto r = s.commit(ns, ops);
    cr_assert(r.has_value(), "commit to %s failed: %s", ns.c_str(),
              r.has_value() ? "" : r.error().text.c_str());
    return *r;
}

/* "ERRNO-NAME: text" of a failed result, for one-line comparisons. */
std::string err_str(const flux::Error &e)
{
    const char *name = e.errnum == ENOENT    ? "ENOENT"
                       : e.errnum == EISDIR  ? "EISDIR"
                       : e.errnum == ENOTDIR ? "ENOTDIR"
                       : e.errnum == EINVAL  ? "EINVAL"
                       : e.errnum == EEXIST  ? "EEXIST"
                       : e.errnum == ENOTSUP ? "ENOTSUP"
                       : e.errnum == EIO     ? "EIO"
                                             : "E?";
    return std::string(name) + ": " + e.text;
}

/* The value at KEY, or "ENOENT: ..." etc. */
std::string value_of(KvsStore &s, const std::string &key, const std::string &ns = "primary")
{
    auto r = s.get(ns, key);
    return r ? *r : err_str(r.error());
}

/* Directory KEY as "name,sub/,..." (subdirectories end in '/'), or "ENOTDIR: ..." etc. */
std::string listing(KvsStore &s, const std::string &key, const std::string &ns = "primary")
{
    auto r = s.dir(ns, key);
    if (!r)
        return err_str(r.error());
    std::string out;
    for (const auto &e : *r) {
        if (!out.empty())
            out += ',';
        out += e.name + (e.is_dir ? "/" : "");
    }
    return out;
}

/* Like listing() but in name order whatever order dir() returns: for tests
 * about what is listed, not how (dir_sorted_by_name checks the order). */
std::string listing_sorted(KvsStore &s, const std::string &key, const std::string &ns = "primary")
{
    auto r = s.dir(ns, key);
    if (!r)
        return err_str(r.error());
    std::vector<KvsDirEntry> v = *r;
    std::sort(v.begin(), v.end(),
              [](const KvsDirEntry &a, const KvsDirEntry &b) { return a.name < b.name; });
    std::string out;
    for (const auto &e : v) {
        if (!out.empty())
            out += ',';
        out += e.name + (e.is_dir ? "/" : "");
    }
    return out;
}

uint64_t version_of(KvsStore &s, const std::string &ns = "primary")
{
    auto n = s.ns_get(ns);
    cr_assert(n.has_value(), "namespace %s missing", ns.c_str());
    return n->version;
}

} // namespace

TestSuite(store, .init = setup, .fini = teardown);

Test(store, normalize_key)
{
    const struct {
        std::string_view in;
        const char *out; /* nullptr: invalid */
    } cases[] = {
        {".", "."},
        {"", "."},
        {"..", "."},
        {"...", "."},
        {"a", "a"},
        {"a.b.c", "a.b.c"},
        {"a..b.", "a.b"},
        {".a.b", "a.b"},
        {"a.b.", "a.b"},
        {"..a...b...c..", "a.b.c"},
        {"job.123.eventlog", "job.123.eventlog"},
        {"with space", "with space"},
        {"dash-under_score:colon", "dash-under_score:colon"},
        {"a-b.c+d.e=f", "a-b.c+d.e=f"},
        {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* UTF-8 is fine */
        {"a/b", nullptr},
        {"/", nullptr},
        {"a./", nullptr},
        {"a.b/c.d", nullptr},
        {"a\tb", nullptr},
        {"a\nb", nullptr},
        {"a.\x1f", nullptr},
        {"\x01", nullptr},
        {"a\x7f", nullptr},
        {std::string_view("a\0b", 3), nullptr},
        {std::string_view("\0", 1), nullptr},
    };
    for (const auto &c : cases) {
        auto got = KvsStore::normalize_key(c.in);
        std::string shown(c.in);
        if (!c.out) {
            cr_expect(!got.has_value(), "normalize_key(\"%s\") should be invalid, got \"%s\"",
                      shown.c_str(), got ? got->c_str() : "");
            continue;
        }
        cr_expect(got.has_value(), "normalize_key(\"%s\") should be valid", shown.c_str());
        if (got)
            expect_str(*got, c.out, "normalize_key(\"%s\")", shown.c_str());
    }
}

Test(store, put_get_round_trip)
{
    auto s = open_store();
    const struct {
        const char *key;
        const char *json;
    } cases[] = {
        {"int", "42"},
        {"negative", "-7"},
        {"zero", "0"},
        {"big", "9007199254740993"},
        {"real", "3.5"},
        {"exp", "1e+300"},
        {"true", "true"},
        {"false", "false"},
        {"null", "null"},
        {"str", "\"hello world\""},
        {"empty-str", "\"\""},
        {"escaped", "\"quote \\\" backslash \\\\ tab \\t\""},
        {"utf8", "\"\xc3\xa9t\xc3\xa9 \xe2\x98\x83\""},
        {"array", "[1,\"two\",3.0,null,[],{}]"},
        {"empty-array", "[]"},
        {"object", "{\"a\":{\"b\":[1,2]},\"c\":\"d\"}"},
        {"empty-object", "{}"},
        {"deep.a.b.c.d.e.f", "\"deep\""},
    };
    std::vector<KvsOp> ops;
    for (const auto &c : cases)
        ops.push_back(put(c.key, c.json));
    commit_ok(*s, ops);
    for (const auto &c : cases)
        expect_str(value_of(*s, c.key), c.json, "value of %s", c.key);

    /* each type again, one commit per value, overwriting */
    for (const auto &c : cases) {
        commit_ok(*s, {put("again", c.json)});
        expect_str(value_of(*s, "again"), c.json, "overwrite with %s", c.json);
    }
}

Test(store, get_errors)
{
    auto s = open_store();
    commit_ok(*s, {put("a.b.c", "1"), put("v", "\"x\"")});
    const struct {
        const char *key;
        const char *want;
    } cases[] = {
        {"nope", "ENOENT: key 'nope' not found"},
        {"a.nope", "ENOENT: key 'a.nope' not found"},
        {"a.b.c.d", "ENOENT: key 'a.b.c.d' not found"},
        {"ab", "ENOENT: key 'ab' not found"},
        {"a", "EISDIR: 'a' is a directory"},
        {"a.b", "EISDIR: 'a.b' is a directory"},
        {".", "EISDIR: '.' is a directory"},
        {"a.b.c", "1"},
        {"v", "\"x\""},
    };
    for (const auto &c : cases)
        expect_str(value_of(*s, c.key), c.want, "get %s", c.key);
    /* a key below a value does not exist */
    auto r = s->get("primary", "v.x");
    cr_expect(!r.has_value(), "get v.x below a value should fail");
}

Test(store, dir_listing)
{
    auto s = open_store();
    expect_str(listing(*s, "."), "", "an empty root is an empty directory");
    commit_ok(*s, {
                      put("zeta", "1"),
                      put("alpha.one", "1"),
                      put("alpha.two.x", "2"),
                      put("alpha.three", "3"),
                      put("mid", "\"m\""),
                      put("beta.x.y.z", "true"),
                  });
    const struct {
        const char *key;
        const char *want;
    } cases[] = {
        {".", "alpha/,beta/,mid,zeta"},
        {"alpha", "one,three,two/"},
        {"alpha.two", "x"},
        {"beta", "x/"},
        {"beta.x", "y/"},
        {"beta.x.y", "z"},
        {"zeta", "ENOTDIR: 'zeta' is not a directory"},
        {"alpha.one", "ENOTDIR: 'alpha.one' is not a directory"},
        {"missing", "ENOENT: directory 'missing' not found"},
        {"alpha.missing", "ENOENT: directory 'alpha.missing' not found"},
    };
    for (const auto &c : cases)
        expect_str(listing(*s, c.key), c.want, "dir %s", c.key);

    /* is_dir and names from the raw vector */
    auto r = s->dir("primary", "alpha");
    cr_assert(r.has_value());
    cr_assert_eq(r->size(), 3u);
    const struct {
        const char *name;
        bool is_dir;
    } want[] = {{"one", false}, {"three", false}, {"two", true}};
    for (size_t i = 0; i < 3; i++) {
        expect_str((*r)[i].name, want[i].name, "entry %zu", i);
        cr_expect_eq((*r)[i].is_dir, want[i].is_dir, "entry %s is_dir", want[i].name);
    }
}

Test(store, dir_sorted_by_name)
{
    /* Names are listed in name order even when they contain characters that
     * sort before '.' (the separator): "a" < "a!" < "a-b" < "a0". */
    auto s = open_store();
    commit_ok(*s, {put("d.a.x", "1"), put("d.a-b", "2"), put("d.a!", "3"), put("d.a0", "4"),
                   put("top.y", "1"), put("top-level", "2")});
    expect_str(listing(*s, "d"), "a/,a!,a-b,a0", "children of d sorted by name");
    expect_str(listing(*s, "."), "d/,top/,top-level", "root sorted by name");
}

Test(store, dir_root_lists_non_ascii_names)
{
    /* normalize_key accepts UTF-8 names, so the root lists them too. */
    auto s = open_store();
    std::string key = "\xc3\xa9t\xc3\xa9";
    commit_ok(*s, {put("a", "1"), put(key, "2"), put(key + ".sub", "3")});
    expect_str(value_of(*s, key + ".sub"), "3");
    expect_str(listing(*s, key), "sub", "a UTF-8 directory lists its children");
    commit_ok(*s, {put("b", "1")});
    auto r = s->dir("primary", ".");
    cr_assert(r.has_value());
    std::string names;
    for (const auto &e : *r)
        names += e.name + (e.is_dir ? "/" : "") + ";";
    const std::string want = "a;b;" + key + "/;";
    expect_str(names, want, "root listing includes a UTF-8 name");
}

Test(store, put_replaces_directory_and_parent_values)
{
    auto s = open_store();
    commit_ok(*s, {put("a.b.c", "1"), put("a.b.d.e", "2"), put("a.x", "3"), put("ab", "4"),
                   put("a-b", "5")});

    /* a value at a.b replaces the whole directory a.b */
    commit_ok(*s, {put("a.b", "\"val\"")});
    expect_str(value_of(*s, "a.b"), "\"val\"");
    expect_str(value_of(*s, "a.b.c"), "ENOENT: key 'a.b.c' not found");
    expect_str(value_of(*s, "a.b.d.e"), "ENOENT: key 'a.b.d.e' not found");
    expect_str(listing(*s, "a"), "b,x");
    expect_str(value_of(*s, "ab"), "4", "a sibling with a common prefix is untouched");
    expect_str(value_of(*s, "a-b"), "5", "a sibling sorting before 'a.' is untouched");

    /* a key below the value a.b replaces it: a.b becomes a directory again */
    commit_ok(*s, {put("a.b.new.deep", "6")});
    expect_str(value_of(*s, "a.b.new.deep"), "6");
    expect_str(value_of(*s, "a.b"), "EISDIR: 'a.b' is a directory");
    expect_str(listing(*s, "a.b"), "new/");
    expect_str(listing(*s, "a"), "b/,x");

    /* a value at the top replaces everything under it */
    commit_ok(*s, {put("a", "[1]")});
    expect_str(value_of(*s, "a"), "[1]");
    expect_str(listing_sorted(*s, "."), "a,a-b,ab");

    /* and a grandchild key replaces the top value */
    commit_ok(*s, {put("a.q.r", "7")});
    expect_str(listing_sorted(*s, "."), "a/,a-b,ab");
    expect_str(listing(*s, "a"), "q/");

    /* values may not be stored at the root */
    auto r = s->commit("primary", {put(".", "1")});
    cr_assert(!r.has_value());
    cr_expect_eq(r.error().errnum, EINVAL);
}

Test(store, put_within_one_commit_applies_in_order)
{
    auto s = open_store();
    commit_ok(*s, {put("k.a", "1"), put("k", "2")});
    expect_str(value_of(*s, "k"), "2");
    commit_ok(*s, {put("j", "1"), put("j.a", "2")});
    expect_str(listing(*s, "j"), "a");
    commit_ok(*s, {put("i", "1"), unlink_op("i"), put("h", "1"), put("h", "2")});
    expect_str(value_of(*s, "i"), "ENOENT: key 'i' not found");
    expect_str(value_of(*s, "h"), "2");
}

Test(store, unlink)
{
    auto s = open_store();
    commit_ok(*s, {put("t.a.b", "1"), put("t.a.c.d", "2"), put("t.e", "3"), put("ta", "4"),
                   put("t-x", "5"), put("other", "6")});

    const struct {
        const char *unlink;
        const char *root_after;
        const char *t_after;
    } steps[] = {
        {"t.a.c", "other,t/,t-x,ta", "a/,e"},
        {"t.a", "other,t/,t-x,ta", "e"},
        {"t.nonexistent", "other,t/,t-x,ta", "e"}, /* unlinking a missing key is not an error */
        {"t.e", "other,t-x,ta", "ENOENT: directory 't' not found"},
        {"ta", "other,t-x", "ENOENT: directory 't' not found"},
    };
    for (const auto &st : steps) {
        uint64_t before = version_of(*s);
        uint64_t v = commit_ok(*s, {unlink_op(st.unlink)});
        cr_expect_eq(v, before + 1, "unlink %s bumps the version", st.unlink);
        expect_str(listing_sorted(*s, "."), st.root_after, "root after unlink %s", st.unlink);
        expect_str(listing(*s, "t"), st.t_after, "t after unlink %s", st.unlink);
    }
    expect_str(value_of(*s, "t.a.b"), "ENOENT: key 't.a.b' not found");
    expect_str(value_of(*s, "t-x"), "5");
    expect_str(value_of(*s, "other"), "6");

    /* unlink a whole deep subtree in one op */
    std::vector<KvsOp> ops;
    for (int i = 0; i < 50; i++)
        ops.push_back(put("tree.l" + std::to_string(i % 5) + ".k" + std::to_string(i), "1"));
    commit_ok(*s, ops);
    expect_str(listing(*s, "tree"), "l0/,l1/,l2/,l3/,l4/");
    commit_ok(*s, {unlink_op("tree")});
    expect_str(listing(*s, "tree"), "ENOENT: directory 'tree' not found");
    expect_str(listing_sorted(*s, "."), "other,t-x");
}

Test(store, append)
{
    auto s = open_store();
    /* append to a new key creates it */
    commit_ok(*s, {append("log", "\"one\\n\"")});
    expect_str(value_of(*s, "log"), "\"one\\n\"");
    /* appends join string contents, several in one commit too */
    commit_ok(*s, {append("log", "\"two\\n\"")});
    commit_ok(*s, {append("log", "\"3\""), append("log", "\"\\\"4\\\"\"")});
    expect_str(value_of(*s, "log"), "\"one\\ntwo\\n3\\\"4\\\"\"");
    /* appending an empty string changes nothing but still commits */
    uint64_t v = version_of(*s);
    cr_expect_eq(commit_ok(*s, {append("log", "\"\"")}), v + 1);
    expect_str(value_of(*s, "log"), "\"one\\ntwo\\n3\\\"4\\\"\"");
    /* append to an existing empty string */
    commit_ok(*s, {put("e", "\"\""), append("e", "\"x\"")});
    expect_str(value_of(*s, "e"), "\"x\"");

    /* append to a non-string value fails with a clear message */
    const struct {
        const char *key;
        const char *json;
    } non_strings[] = {
        {"n", "42"}, {"b", "true"}, {"z", "null"}, {"arr", "[\"x\"]"}, {"obj", "{\"a\":\"b\"}"},
    };
    for (const auto &c : non_strings) {
        commit_ok(*s, {put(c.key, c.json)});
        uint64_t before = version_of(*s);
        auto r = s->commit("primary", {append(c.key, "\"more\"")});
        cr_assert(!r.has_value(), "append to %s=%s should fail", c.key, c.json);
        const std::string want = std::string("EINVAL: append to '") + c.key
                                 + "': not a string value";
        expect_str(err_str(r.error()), want, "append to %s", c.key);
        expect_str(value_of(*s, c.key), c.json, "%s unchanged", c.key);
        cr_expect_eq(version_of(*s), before, "failed append leaves the version");
    }
    /* append to a directory fails with EISDIR */
    commit_ok(*s, {put("dir.x", "\"x\"")});
    auto r = s->commit("primary", {append("dir", "\"y\"")});
    cr_assert(!r.has_value());
    cr_expect_eq(r.error().errnum, EISDIR);
    expect_str(value_of(*s, "dir.x"), "\"x\"");
}

Test(store, commit_is_atomic)
{
    auto s = open_store();
    uint64_t v0 = commit_ok(*s, {put("keep", "\"before\"")});
    commit_ok(*s, {put("num", "1")});
    uint64_t v1 = version_of(*s);
    cr_assert_eq(v1, v0 + 1);

    /* The third op fails in each case; ops 1-2 must leave no trace. */
    const struct {
        const char *what;
        KvsOp bad;
        int errnum;
    } cases[] = {
        {"put at the root", put(".", "1"), EINVAL},
        {"append to a number", append("num", "\"x\""), EINVAL},
        {"append to a directory", append("keep2", "\"x\""), EISDIR},
    };
    commit_ok(*s, {put("keep2.child", "1")});
    uint64_t v = version_of(*s);
    for (const auto &c : cases) {
        auto r = s->commit("primary", {put("new.one", "1"), put("keep", "\"changed\""), c.bad,
                                       put("new.after", "2")});
        cr_assert(!r.has_value(), "%s: commit should fail", c.what);
        cr_expect_eq(r.error().errnum, c.errnum, "%s: errnum %d", c.what, r.error().errnum);
        expect_str(value_of(*s, "new.one"), "ENOENT: key 'new.one' not found", "%s", c.what);
        expect_str(value_of(*s, "new.after"), "ENOENT: key 'new.after' not found", "%s", c.what);
        expect_str(value_of(*s, "keep"), "\"before\"", "%s", c.what);
        expect_str(value_of(*s, "num"), "1", "%s", c.what);
        expect_str(listing(*s, "."), "keep,keep2/,num", "%s", c.what);
        cr_expect_eq(version_of(*s), v, "%s: version unchanged", c.what);
    }
    /* a failed commit that unlinks and replaces leaves everything too */
    auto r = s->commit("primary", {unlink_op("keep2"), put("num.sub", "1"), put(".", "0")});
    cr_assert(!r.has_value());
    expect_str(value_of(*s, "keep2.child"), "1");
    expect_str(value_of(*s, "num"), "1");
    cr_expect_eq(version_of(*s), v);

    /* the store still works afterwards, and the next version follows */
    cr_expect_eq(commit_ok(*s, {put("after", "1")}), v + 1);

    /* commit to a missing namespace */
    auto m = s->commit("nosuch", {put("x", "1")});
    cr_assert(!m.has_value());
    expect_str(err_str(m.error()), "ENOTSUP: namespace 'nosuch' does not exist");
}

Test(store, versions_increase_by_one)
{
    auto s = open_store();
    cr_expect_eq(version_of(*s), 0u, "a new namespace starts at version 0");
    for (uint64_t i = 1; i <= 20; i++) {
        std::vector<KvsOp> ops;
        for (uint64_t j = 0; j < i; j++)
            ops.push_back(put("v" + std::to_string(j), std::to_string(i)));
        cr_expect_eq(commit_ok(*s, ops), i, "commit %lu of %lu ops", (unsigned long)i,
                     (unsigned long)i);
        cr_expect_eq(version_of(*s), i);
    }
    /* an empty commit is still a commit */
    cr_expect_eq(commit_ok(*s, {}), 21u);
    /* versions are per namespace */
    cr_assert(s->ns_create("other", 5).has_value());
    cr_expect_eq(commit_ok(*s, {put("x", "1")}, "other"), 1u);
    cr_expect_eq(commit_ok(*s, {put("x", "2")}, "other"), 2u);
    cr_expect_eq(version_of(*s), 21u, "primary is unaffected by commits to other");
}

Test(store, group_commit)
{
    auto s = open_store();
    commit_ok(*s, {put("base", "0")});
    cr_assert(s->ns_create("ns2", 7).has_value());

    cr_assert(s->begin().has_value());
    cr_assert(s->begin().has_value(), "begin() inside a group is harmless");
    const int n = 10;
    for (int i = 1; i <= n; i++) {
        auto r = s->commit("primary", {put("g" + std::to_string(i), std::to_string(i))});
        cr_assert(r.has_value(), "group commit %d", i);
        cr_expect_eq(*r, (uint64_t)(i + 1), "group commit %d gets version %d", i, i + 1);
        if (i == 5) {
            /* a failing commit in the middle of the group is rolled back alone */
            auto bad = s->commit("primary", {put("bad.one", "1"), put(".", "1")});
            cr_expect(!bad.has_value());
            auto other = s->commit("ns2", {put("x", "\"ns2\"")});
            cr_expect(other.has_value() && *other == 1u, "another namespace in the same group");
        }
    }
    /* visible through this connection before end() */
    expect_str(value_of(*s, "g3"), "3");

    /* a second connection sees nothing of the group until end() */
    {
        auto r2 = KvsStore::open(db_path());
        cr_assert(r2.has_value(), "second open: %s", r2 ? "" : r2.error().text.c_str());
        auto &s2 = **r2;
        expect_str(value_of(s2, "g1"), "ENOENT: key 'g1' not found", "uncommitted group");
        cr_expect_eq(version_of(s2), 1u);
    }
    cr_assert(s->end().has_value());
    cr_assert(s->end().has_value(), "end() outside a group is harmless");

    auto r2 = KvsStore::open(db_path());
    cr_assert(r2.has_value());
    auto &s2 = **r2;
    for (int i = 1; i <= n; i++) {
        const std::string k = "g" + std::to_string(i);
        expect_str(value_of(s2, k), std::to_string(i), "%s after end()", k.c_str());
    }
    expect_str(value_of(s2, "bad.one"), "ENOENT: key 'bad.one' not found");
    expect_str(value_of(s2, "x", "ns2"), "\"ns2\"");
    cr_expect_eq(version_of(s2), (uint64_t)n + 1);
    cr_expect_eq(version_of(s2, "ns2"), 1u);

    /* commits after the group get their own transactions again */
    cr_expect_eq(commit_ok(*s, {put("solo", "1")}), (uint64_t)n + 2);
    expect_str(value_of(s2, "solo"), "1");
}

Test(store, namespaces)
{
    auto s = open_store(false);
    cr_expect(s->ns_list().empty(), "a new store has no namespaces");
    cr_expect(!s->ns_get("primary").has_value());

    const struct {
        const char *name;
        uint32_t owner;
    } create[] = {{"primary", 1000}, {"job-1", 4242}, {"alpha", 0}, {"zz", 65534}};
    for (const auto &c : create) {
        auto r = s->ns_create(c.name, c.owner);
        cr_expect(r.has_value(), "create %s: %s", c.name, r ? "" : r.error().text.c_str());
    }
    /* duplicates and bad names */
    auto dup = s->ns_create("job-1", 1);
    cr_assert(!dup.has_value());
    expect_str(err_str(dup.error()), "EEXIST: namespace 'job-1' already exists");
    auto empty = s->ns_create("", 1);
    cr_assert(!empty.has_value());
    cr_expect_eq(empty.error().errnum, EINVAL);
    auto longname = s->ns_create(std::string(256, 'n'), 1);
    cr_expect(!longname.has_value() && longname.error().errnum == EINVAL, "256-char name");
    cr_expect(s->ns_create(std::string(255, 'n'), 1).has_value(), "255-char name");
    cr_expect(s->ns_remove(std::string(255, 'n')).has_value());

    /* list: sorted by name, with owners and versions */
    commit_ok(*s, {put("a", "1")}, "job-1");
    commit_ok(*s, {put("a", "2")}, "job-1");
    auto list = s->ns_list();
    const struct {
        const char *name;
        uint32_t owner;
        uint64_t version;
    } want[] = {{"alpha", 0, 0}, {"job-1", 4242, 2}, {"primary", 1000, 0}, {"zz", 65534, 0}};
    cr_assert_eq(list.size(), 4u);
    for (size_t i = 0; i < 4; i++) {
        expect_str(list[i].name, want[i].name, "list[%zu]", i);
        cr_expect_eq(list[i].owner, want[i].owner, "owner of %s", want[i].name);
        cr_expect_eq(list[i].version, want[i].version, "version of %s", want[i].name);
    }
    auto info = s->ns_get("job-1");
    cr_assert(info.has_value());
    cr_expect_eq(info->owner, 4242u);
    cr_expect_eq(info->version, 2u);

    /* isolation: same keys, different values, separate directories */
    commit_ok(*s, {put("shared.k", "\"primary\""), put("only-primary", "1")}, "primary");
    commit_ok(*s, {put("shared.k", "\"alpha\""), put("shared.j", "2")}, "alpha");
    expect_str(value_of(*s, "shared.k", "primary"), "\"primary\"");
    expect_str(value_of(*s, "shared.k", "alpha"), "\"alpha\"");
    expect_str(value_of(*s, "only-primary", "alpha"), "ENOENT: key 'only-primary' not found");
    expect_str(listing(*s, "shared", "primary"), "k");
    expect_str(listing(*s, "shared", "alpha"), "j,k");
    expect_str(listing(*s, ".", "primary"), "only-primary,shared/");
    expect_str(listing(*s, ".", "alpha"), "shared/");
    expect_str(listing(*s, ".", "zz"), "");
    commit_ok(*s, {unlink_op("shared")}, "alpha");
    expect_str(value_of(*s, "shared.k", "primary"), "\"primary\"", "unlink in alpha only");

    /* remove: gone with its keys; missing is ENOENT; others untouched */
    commit_ok(*s, {put("x.y", "1")}, "zz");
    cr_expect(s->ns_remove("zz").has_value());
    cr_expect(!s->ns_get("zz").has_value());
    auto again = s->ns_remove("zz");
    cr_assert(!again.has_value());
    expect_str(err_str(again.error()), "ENOENT: namespace 'zz' does not exist");
    auto never = s->ns_remove("never");
    cr_assert(!never.has_value());
    expect_str(err_str(never.error()), "ENOENT: namespace 'never' does not exist");
    auto c = s->commit("zz", {put("a", "1")});
    cr_expect(!c.has_value() && c.error().errnum == ENOTSUP, "commit to a removed namespace");
    /* recreated: empty, version 0, new owner */
    cr_assert(s->ns_create("zz", 9).has_value());
    expect_str(listing(*s, ".", "zz"), "", "a recreated namespace is empty");
    expect_str(value_of(*s, "x.y", "zz"), "ENOENT: key 'x.y' not found");
    cr_expect_eq(version_of(*s, "zz"), 0u);
    cr_expect_eq(s->ns_get("zz")->owner, 9u);
    expect_str(value_of(*s, "shared.k", "primary"), "\"primary\"");
    cr_expect_eq(s->ns_list().size(), 4u);
}

Test(store, persistence)
{
    {
        auto s = open_store();
        cr_assert(s->ns_create("job-7", 777).has_value());
        commit_ok(*s, {put("p.a", "\"persist\""), put("p.b", "[1,2]"), put("num", "3")});
        commit_ok(*s, {append("p.a", "\"ed\"")});
        commit_ok(*s, {unlink_op("num")});
        commit_ok(*s, {put("j", "{\"k\":1}")}, "job-7");
        /* a group commit is as durable as a single one */
        cr_assert(s->begin().has_value());
        commit_ok(*s, {put("grouped", "true")});
        cr_assert(s->end().has_value());
        cr_expect_eq(version_of(*s), 4u);
    }
    struct stat st;
    cr_assert_eq(stat(db_path().c_str(), &st), 0, "the database file exists");
    cr_expect(st.st_size > 0);

    for (int round = 0; round < 2; round++) {
        auto s = open_store(false); /* primary must come back from the file */
        expect_str(value_of(*s, "p.a"), "\"persisted\"", "round %d", round);
        expect_str(value_of(*s, "p.b"), "[1,2]");
        expect_str(value_of(*s, "num"), "ENOENT: key 'num' not found");
        expect_str(value_of(*s, "grouped"), "true");
        expect_str(value_of(*s, "j", "job-7"), "{\"k\":1}");
        expect_str(listing(*s, "."), round == 0 ? "grouped,p/" : "grouped,p/,round0");
        cr_expect_eq(version_of(*s), 4u + (uint64_t)round, "primary version after reopen");
        cr_expect_eq(version_of(*s, "job-7"), 1u);
        cr_expect_eq(s->ns_get("job-7")->owner, 777u);
        cr_expect_eq(s->ns_get("primary")->owner, 1000u);
        cr_expect_eq(s->ns_list().size(), 2u);
        /* and the version keeps counting from where it was */
        cr_expect_eq(commit_ok(*s, {put("round" + std::to_string(round), "1")}),
                     5u + (uint64_t)round);
        if (round == 1)
            expect_str(value_of(*s, "round0"), "1");
    }
}

Test(store, open_errors)
{
    /* a directory, and a path below a non-directory, cannot be opened */
    auto r = KvsStore::open(tmpdir);
    cr_expect(!r.has_value(), "opening a directory should fail");
    auto r2 = KvsStore::open(tmpdir + "/missing/sub/kvs.sqlite");
    cr_expect(!r2.has_value(), "opening below a missing directory should fail");
    if (!r2.has_value())
        cr_expect_eq(r2.error().errnum, EIO);
}

Test(store, ten_thousand_keys_in_one_commit)
{
    auto s = open_store();
    const int n = 10000;
    std::vector<KvsOp> ops;
    ops.reserve(n);
    char key[32];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "big.k%05d", i);
        ops.push_back(put(key, std::to_string(i)));
    }
    cr_expect_eq(commit_ok(*s, ops), 1u, "one commit, one version");
    auto r = s->dir("primary", "big");
    cr_assert(r.has_value());
    cr_assert_eq(r->size(), (size_t)n);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "k%05d", i);
        if (strcmp((*r)[i].name.c_str(), key) != 0 || (*r)[i].is_dir) {
            cr_expect_fail("entry %d is %s, expected %s", i, (*r)[i].name.c_str(), key);
            break;
        }
    }
    expect_str(value_of(*s, "big.k00000"), "0");
    expect_str(value_of(*s, "big.k09999"), "9999");
    expect_str(value_of(*s, "big.k05000"), "5000");
    /* replace them all by one value, then unlink it */
    cr_expect_eq(commit_ok(*s, {put("big", "\"small\"")}), 2u);
    expect_str(listing(*s, "."), "big");
    expect_str(value_of(*s, "big.k00001"), "ENOENT: key 'big.k00001' not found");

    /* the same 10,000 keys survive a reopen */
    commit_ok(*s, ops);
    s.reset();
    auto s2 = open_store(false);
    auto r2 = s2->dir("primary", "big");
    cr_assert(r2.has_value());
    cr_expect_eq(r2->size(), (size_t)n);
    cr_expect_eq(version_of(*s2), 3u);
}

/* The store keeps a cache of the tree's shape (known directories, leaves,
 * fresh directories) to skip deletes; check it against a plain model of the
 * semantics over long random sequences of puts, appends and unlinks, with
 * failing commits (rolled back) and group commits mixed in. */
namespace {

struct Model {
    std::map<std::string, std::string> kv;

    void put(const std::string &k, const std::string &v)
    {
        unlink(k);
        for (size_t d = k.find('.'); d != std::string::npos; d = k.find('.', d + 1))
            kv.erase(k.substr(0, d));
        kv[k] = v;
    }
    void unlink(const std::string &k)
    {
        kv.erase(k);
        kv.erase(kv.lower_bound(k + "."), kv.lower_bound(k + "/"));
    }
    /* false: the op fails (and so does its commit) */
    bool apply(const KvsOp &op)
    {
        if (op.kind == KvsOp::Kind::unlink) {
            unlink(op.key);
            return true;
        }
        if (op.kind == KvsOp::Kind::append) {
            auto it = kv.find(op.key);
            if (it != kv.end()) {
                if (it->second.front() != '"' || op.value.front() != '"')
                    return false;
                std::string v = it->second.substr(0, it->second.size() - 1) + op.value.substr(1);
                put(op.key, v);
                return true;
            }
            if (get(op.key) == "EISDIR")
                return false;
        }
        put(op.key, op.value);
        return true;
    }
    std::string get(const std::string &k) const
    {
        auto it = kv.find(k);
        if (it != kv.end())
            return it->second;
        auto below = kv.lower_bound(k + ".");
        if (below != kv.end() && below->first < k + "/")
            return "EISDIR";
        return "ENOENT";
    }
};

} // namespace

Test(store, shape_cache_matches_model)
{
    auto s = open_store();
    Model m;
    std::vector<std::string> keys;
    const char *seg[] = {"a", "b", "c"};
    for (const char *x : seg) {
        keys.push_back(x);
        for (const char *y : seg) {
            keys.push_back(std::string(x) + "." + y);
            for (const char *z : seg) {
                keys.push_back(std::string(x) + "." + y + "." + z);
                for (const char *w : seg)
                    keys.push_back(std::string(x) + "." + y + "." + z + "." + w);
            }
        }
    }
    srand(12345);
    int failed = 0;
    for (int round = 0; round < 4000; round++) {
        bool group = rand() % 4 == 0;
        if (group)
            cr_assert(s->begin().has_value());
        int ncommits = group ? 1 + rand() % 4 : 1;
        for (int c = 0; c < ncommits; c++) {
            std::vector<KvsOp> ops;
            int nops = 1 + rand() % 3;
            for (int i = 0; i < nops; i++) {
                const std::string &k = keys[(size_t)rand() % keys.size()];
                int kind = rand() % 10;
                std::string v = kind % 2 ? "\"s" + std::to_string(round) + "\"" : std::to_string(round);
                if (kind < 5)
                    ops.push_back(put(k, v));
                else if (kind < 8)
                    ops.push_back(append(k, "\"+" + std::to_string(round) + "\""));
                else
                    ops.push_back(unlink_op(k));
            }
            Model next = m;
            bool ok = true;
            for (const auto &op : ops)
                ok = ok && next.apply(op);
            auto r = s->commit("primary", ops);
            cr_assert_eq(r.has_value(), ok, "round %d: commit %s, model says %s", round,
                         r.has_value() ? "succeeded" : r.error().text.c_str(), ok ? "ok" : "fail");
            if (ok)
                m = std::move(next);
            else
                failed++;
        }
        if (group)
            cr_assert(s->end().has_value());
        if (round % 50 == 0 || round == 3999) {
            for (const auto &k : keys) {
                auto r = s->get("primary", k);
                std::string got = r ? *r : r.error().errnum == EISDIR ? "EISDIR" : "ENOENT";
                cr_assert_eq(got, m.get(k), "round %d: key %s: store %s, model %s", round,
                             k.c_str(), got.c_str(), m.get(k).c_str());
            }
        }
    }
    cr_expect_gt(failed, 0, "some commits should have failed and rolled back");
}

/* kvs_eventlog_op() escapes jansson-written lines by hand: it must give the
 * very JSON string value kvs_string_op() (jansson) gives. */
Test(store, eventlog_op_matches_jansson)
{
    const char *lines[] = {
        "",
        "{\"timestamp\":1.5,\"name\":\"submit\"}\n",
        "{\"timestamp\":1,\"name\":\"exception\",\"context\":{\"note\":\"say \\\"hi\\\" \\\\ bye\"}}\n"
        "{\"timestamp\":2,\"name\":\"clean\"}\n",
        "{\"note\":\"caf\xc3\xa9 \xe2\x9c\x93 \\u0001 \\n\\t\"}\n",
        "no newline at the end",
        "raw\ttab and \x01 control", /* not jansson output: falls back */
    };
    for (const char *l : lines) {
        KvsOp a = fluxd::kvs_eventlog_op("k", l, true);
        KvsOp b = fluxd::kvs_string_op("k", l, true);
        expect_str(a.value, b.value, "line: %s", l);
        cr_expect(a.kind == KvsOp::Kind::append);
    }
}
