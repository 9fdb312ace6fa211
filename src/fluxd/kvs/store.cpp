/* store.cpp - SQLite-backed KVS store.
 *
 * Schema:
 *   namespaces(name PRIMARY KEY, owner, version)
 *   kv(ns, key, value, PRIMARY KEY(ns, key)) WITHOUT ROWID
 * Keys are stored flat; a directory "a.b" is the range of keys strictly
 * between "a.b." and "a.b/" ('/' sorts right after '.').  WAL journal with
 * synchronous=NORMAL: a commit is durable against a crash of fluxd; an OS
 * crash may lose the last commits but never corrupts the file.
 */
#include <algorithm>
#include <cerrno>
#include <cstring>

#include <jansson.h>

#include "store.h"

namespace fluxd {

namespace {

enum Stmt {
    st_get,
    st_put,
    st_del_exact,
    st_del_range,
    st_has_range,
    st_range_keys,
    st_ns_get,
    st_ns_insert,
    st_ns_delete,
    st_ns_delete_keys,
    st_ns_bump,
    st_ns_list,
    st_append,
    st_savepoint,
    st_release,
    st_rollback_to,
    st_begin,
    st_commit,
    st_count
};

const char *sql_text[st_count] = {
    "SELECT value FROM kv WHERE ns = ?1 AND key = ?2",
    "INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?1, ?2, ?3)",
    "DELETE FROM kv WHERE ns = ?1 AND key = ?2",
    "DELETE FROM kv WHERE ns = ?1 AND key > ?2 AND key < ?3",
    "SELECT 1 FROM kv WHERE ns = ?1 AND key > ?2 AND key < ?3 LIMIT 1",
    "SELECT key FROM kv WHERE ns = ?1 AND key > ?2 AND key < ?3 ORDER BY key",
    "SELECT owner, version FROM namespaces WHERE name = ?1",
    "INSERT INTO namespaces (name, owner, version) VALUES (?1, ?2, 0)",
    "DELETE FROM namespaces WHERE name = ?1",
    "DELETE FROM kv WHERE ns = ?1",
    "UPDATE namespaces SET version = version + 1 WHERE name = ?1 RETURNING version",
    "SELECT name, owner, version FROM namespaces ORDER BY name",
    /* Join two JSON strings in place: drop the old closing quote and the
     * new opening one.  Only touches a string value. */
    "UPDATE kv SET value = substr(value, 1, length(value) - 1) || substr(?3, 2) "
    "WHERE ns = ?1 AND key = ?2 AND substr(value, 1, 1) = '\"'",
    "SAVEPOINT kvs_commit",
    "RELEASE kvs_commit",
    "ROLLBACK TO kvs_commit",
    "BEGIN",
    "COMMIT",
};

/* Bounds of the directory range for key (root: everything). */
std::pair<std::string, std::string> dir_range(const std::string &key)
{
    if (key == ".")
        return {"", "\xff\xff"}; /* above any UTF-8 key */
    return {key + ".", key + "/"};
}

/* Resets a statement (and clears bindings) when leaving scope. */
struct StmtGuard {
    sqlite3_stmt *s;
    ~StmtGuard()
    {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

void bind(sqlite3_stmt *s, int i, const std::string &v)
{
    sqlite3_bind_text(s, i, v.data(), (int)v.size(), SQLITE_TRANSIENT);
}

} // namespace

KvsOp kvs_string_op(std::string key, const std::string &text, bool append)
{
    KvsOp op;
    op.kind = append ? KvsOp::Kind::append : KvsOp::Kind::put;
    op.key = std::move(key);
    json_t *str = json_stringn(text.data(), text.size());
    char *json = str ? json_dumps(str, JSON_COMPACT | JSON_ENCODE_ANY) : nullptr;
    op.value = json ? json : "\"\"";
    free(json);
    json_decref(str);
    return op;
}

KvsOp kvs_eventlog_op(std::string key, const std::string &lines, bool append)
{
    for (unsigned char c : lines) {
        if (c < 0x20 && c != '\n')
            return kvs_string_op(std::move(key), lines, append);
    }
    KvsOp op;
    op.kind = append ? KvsOp::Kind::append : KvsOp::Kind::put;
    op.key = std::move(key);
    op.value.reserve(lines.size() + lines.size() / 8 + 2);
    op.value += '"';
    for (char c : lines) {
        if (c == '"' || c == '\\')
            op.value += '\\';
        if (c == '\n') {
            op.value += "\\n";
            continue;
        }
        op.value += c;
    }
    op.value += '"';
    return op;
}

flux::Result<std::unique_ptr<KvsStore>> KvsStore::open(const std::string &path)
{
    sqlite3 *db = nullptr;
    /* "unix-excl": the broker's connections (writer thread, reader) are
     * the only ones, so the file is locked once for the process and the
     * WAL index lives in the heap: no fcntl() lock and unlock around every
     * transaction of either (doc/design/kvs-sqlite.md). */
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             "unix-excl");
    if (rc != SQLITE_OK) {
        std::string err = "kvs: cannot open " + path + ": "
                          + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return flux::make_error(EIO, err);
    }
    std::unique_ptr<KvsStore> store(new KvsStore(db));
    for (const char *sql : {
             /* Large pages: fewer b-tree splits for 2 KB jobspecs and
              * growing eventlogs (about 10% more jobs/s than 4 KB); only
              * takes effect when the database is created. */
             "PRAGMA page_size=16384",
             "PRAGMA journal_mode=WAL",
             "PRAGMA synchronous=NORMAL",
             /* The KVS reads through a second connection while the writer
              * commits: wait out the rare WAL-index locks. */
             "PRAGMA busy_timeout=10000",
             /* Checkpoint the WAL every 32 MiB (2048 pages of 16 KiB)
              * rather than 4: fewer, larger copies back into the database
              * under load. */
             "PRAGMA wal_autocheckpoint=2048",
             "PRAGMA foreign_keys=OFF",
             /* Each commit in a batch runs in a savepoint: keep its
              * statement journal in memory, not in a temporary file that
              * every batch writes, then deletes. */
             "PRAGMA temp_store=MEMORY",
             "CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, "
             "owner INTEGER NOT NULL, version INTEGER NOT NULL)",
             "CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, "
             "value TEXT NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID",
         }) {
        if (auto r = store->exec(sql); !r)
            return flux::make_error(EIO, "kvs: " + path + ": " + r.error().text);
    }
    store->stmts_.assign(st_count, nullptr);
    for (int i = 0; i < st_count; i++) {
        if (sqlite3_prepare_v3(db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &store->stmts_[i],
                               nullptr)
            != SQLITE_OK)
            return flux::make_error(EIO, std::string("kvs: prepare: ") + sqlite3_errmsg(db));
    }
    return store;
}

KvsStore::~KvsStore()
{
    for (auto *s : stmts_)
        sqlite3_finalize(s);
    sqlite3_close(db_);
}

flux::Error KvsStore::db_error(const char *what)
{
    return flux::make_error(EIO, std::string("kvs: ") + what + ": " + sqlite3_errmsg(db_));
}

flux::Result<void> KvsStore::exec(const char *sql)
{
    char *err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string text = err ? err : "unknown error";
        sqlite3_free(err);
        return flux::make_error(EIO, text);
    }
    return {};
}

sqlite3_stmt *KvsStore::stmt(int which)
{
    return stmts_[which];
}

std::optional<std::string> KvsStore::normalize_key(std::string_view key)
{
    std::string out;
    size_t i = 0;
    while (i < key.size()) {
        size_t dot = key.find('.', i);
        std::string_view part = key.substr(i, dot == std::string_view::npos ? dot : dot - i);
        if (!part.empty()) {
            for (char c : part) {
                if ((unsigned char)c < 0x20 || c == '/' || c == 0x7f)
                    return std::nullopt;
            }
            if (!out.empty())
                out += '.';
            out += part;
        }
        if (dot == std::string_view::npos)
            break;
        i = dot + 1;
    }
    return out.empty() ? std::string(".") : out;
}

std::optional<KvsNamespace> KvsStore::ns_get(const std::string &ns)
{
    sqlite3_stmt *s = stmt(st_ns_get);
    StmtGuard g{s};
    bind(s, 1, ns);
    if (sqlite3_step(s) != SQLITE_ROW)
        return std::nullopt;
    return KvsNamespace{ns, (uint32_t)sqlite3_column_int64(s, 0),
                        (uint64_t)sqlite3_column_int64(s, 1)};
}

std::vector<KvsNamespace> KvsStore::ns_list()
{
    std::vector<KvsNamespace> v;
    sqlite3_stmt *s = stmt(st_ns_list);
    StmtGuard g{s};
    while (sqlite3_step(s) == SQLITE_ROW)
        v.push_back(KvsNamespace{(const char *)sqlite3_column_text(s, 0),
                                 (uint32_t)sqlite3_column_int64(s, 1),
                                 (uint64_t)sqlite3_column_int64(s, 2)});
    return v;
}

flux::Result<void> KvsStore::ns_create(const std::string &ns, uint32_t owner)
{
    if (ns.empty() || ns.size() > 255)
        return flux::make_error(EINVAL, "invalid namespace name");
    if (ns_get(ns))
        return flux::make_error(EEXIST, "namespace '" + ns + "' already exists");
    sqlite3_stmt *s = stmt(st_ns_insert);
    StmtGuard g{s};
    bind(s, 1, ns);
    sqlite3_bind_int64(s, 2, owner);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error("namespace create");
    return {};
}

flux::Result<void> KvsStore::ns_remove(const std::string &ns)
{
    forget_all();
    if (!ns_get(ns))
        return flux::make_error(ENOENT, "namespace '" + ns + "' does not exist");
    for (int which : {st_ns_delete_keys, st_ns_delete}) {
        sqlite3_stmt *s = stmt(which);
        StmtGuard g{s};
        bind(s, 1, ns);
        if (sqlite3_step(s) != SQLITE_DONE)
            return db_error("namespace remove");
    }
    return {};
}

bool KvsStore::exists_value(const std::string &ns, const std::string &key)
{
    sqlite3_stmt *s = stmt(st_get);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, key);
    return sqlite3_step(s) == SQLITE_ROW;
}

bool KvsStore::exists_dir(const std::string &ns, const std::string &key)
{
    auto [lo, hi] = dir_range(key);
    sqlite3_stmt *s = stmt(st_has_range);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, lo);
    bind(s, 3, hi);
    return sqlite3_step(s) == SQLITE_ROW;
}

flux::Result<std::string> KvsStore::get(const std::string &ns, const std::string &key)
{
    {
        sqlite3_stmt *s = stmt(st_get);
        StmtGuard g{s};
        bind(s, 1, ns);
        bind(s, 2, key);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            return std::string((const char *)sqlite3_column_text(s, 0),
                               (size_t)sqlite3_column_bytes(s, 0));
        if (rc != SQLITE_DONE)
            return db_error("lookup");
    }
    if (key == "." || exists_dir(ns, key))
        return flux::make_error(EISDIR, "'" + key + "' is a directory");
    return flux::make_error(ENOENT, "key '" + key + "' not found");
}

flux::Result<std::vector<KvsDirEntry>> KvsStore::dir(const std::string &ns, const std::string &key)
{
    if (key != "." && exists_value(ns, key))
        return flux::make_error(ENOTDIR, "'" + key + "' is not a directory");
    auto [lo, hi] = dir_range(key);
    sqlite3_stmt *s = stmt(st_range_keys);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, lo);
    bind(s, 3, hi);
    std::vector<KvsDirEntry> v;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        std::string_view k((const char *)sqlite3_column_text(s, 0),
                           (size_t)sqlite3_column_bytes(s, 0));
        std::string_view rest = k.substr(lo.size());
        size_t dot = rest.find('.');
        std::string name(rest.substr(0, dot));
        bool is_dir = dot != std::string_view::npos;
        if (!v.empty() && v.back().name == name) {
            v.back().is_dir = v.back().is_dir || is_dir;
            continue;
        }
        v.push_back(KvsDirEntry{std::move(name), is_dir});
    }
    if (rc != SQLITE_DONE)
        return db_error("dir");
    /* Key order is not name order ("a-b" < "a.x" < "a0"): sort by name and
     * merge a value and a directory of the same name. */
    std::sort(v.begin(), v.end(),
              [](const KvsDirEntry &a, const KvsDirEntry &b) { return a.name < b.name; });
    std::vector<KvsDirEntry> merged;
    for (auto &e : v) {
        if (!merged.empty() && merged.back().name == e.name)
            merged.back().is_dir = merged.back().is_dir || e.is_dir;
        else
            merged.push_back(std::move(e));
    }
    v = std::move(merged);
    if (v.empty() && key != ".")
        return flux::make_error(ENOENT, "directory '" + key + "' not found");
    return v;
}

flux::Result<void> KvsStore::begin()
{
    if (in_txn_)
        return {};
    if (auto r = step(st_begin); !r)
        return r;
    in_txn_ = true;
    return {};
}

flux::Result<void> KvsStore::end()
{
    if (!in_txn_)
        return {};
    in_txn_ = false;
    auto r = step(st_commit);
    if (!r)
        forget_all();
    return r;
}

flux::Result<void> KvsStore::remove_below(const std::string &ns, const std::string &key)
{
    auto [lo, hi] = dir_range(key);
    sqlite3_stmt *s = stmt(st_del_range);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, lo);
    bind(s, 3, hi);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error("put");
    return {};
}

flux::Result<void> KvsStore::remove_subtree(const std::string &ns, const std::string &key)
{
    sqlite3_stmt *s = stmt(st_del_exact);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, key);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error("unlink");
    return remove_below(ns, key);
}

namespace {

/* About 130 bytes an entry: 4,096 keep the shape of the jobs being
 * written now; 65,536 held 8 MB at 20,000 inactive jobs for no more
 * jobs/s (bench/jobs.sh 20000 ran as fast with 1,024). */
constexpr size_t known_max = 4096;

std::string shape_key(const std::string &ns, std::string_view key)
{
    std::string k;
    k.reserve(ns.size() + 1 + key.size());
    k += ns;
    k += '\0';
    k += key;
    return k;
}

void erase_under(std::set<std::string> &set, const std::string &k)
{
    set.erase(k);
    auto lo = set.lower_bound(k + ".");
    auto hi = set.lower_bound(k + "/");
    set.erase(lo, hi);
}

} // namespace

void KvsStore::forget_subtree(const std::string &ns, const std::string &key)
{
    if (key == ".") {
        forget_all();
        return;
    }
    std::string k = shape_key(ns, key);
    erase_under(known_dirs_, k);
    erase_under(known_leaves_, k);
    erase_under(known_fresh_, k);
}

void KvsStore::forget_all()
{
    known_dirs_.clear();
    known_leaves_.clear();
    known_fresh_.clear();
}

flux::Result<void> KvsStore::apply(const std::string &ns, const KvsOp &op)
{
    const std::string &key = op.key;
    if (op.kind == KvsOp::Kind::unlink) {
        forget_subtree(ns, key);
        return remove_subtree(ns, key);
    }
    if (key == ".")
        return flux::make_error(EINVAL, "cannot store a value at the root directory");
    std::string value = op.value;
    if (op.kind == KvsOp::Kind::append) {
        /* Fast path: the key holds a string; append without reading it. */
        if (value.size() >= 2 && value.front() == '"') {
            sqlite3_stmt *s = stmt(st_append);
            StmtGuard g{s};
            bind(s, 1, ns);
            bind(s, 2, key);
            bind(s, 3, value);
            if (sqlite3_step(s) != SQLITE_DONE)
                return db_error("append");
            if (sqlite3_changes(db_) == 1)
                return {};
        }
        auto old = get(ns, key);
        if (old) {
            /* Both are JSON strings: join their contents. */
            if (old->size() < 2 || old->front() != '"' || value.size() < 2 || value.front() != '"')
                return flux::make_error(EINVAL, "append to '" + key + "': not a string value");
            value = old->substr(0, old->size() - 1) + value.substr(1);
        }
        else if (old.error().errnum != ENOENT)
            return flux::make_error(old.error().errnum, old.error().text);
    }
    /* A value replaces a directory at key and values at its parent paths;
     * what is known of the tree's shape spares most of those deletes. */
    std::string sk = shape_key(ns, key);
    size_t last_dot = key.rfind('.');
    std::vector<std::string> parents;
    std::string fresh;
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
        std::string_view parent = std::string_view(key).substr(0, dot);
        std::string pk = shape_key(ns, parent);
        known_leaves_.erase(pk);
        if (known_dirs_.contains(pk))
            continue;
        sqlite3_stmt *s = stmt(st_del_exact);
        StmtGuard g{s};
        bind(s, 1, ns);
        bind(s, 2, std::string(parent));
        if (sqlite3_step(s) != SQLITE_DONE)
            return db_error("put");
        /* The directory that holds the key: new to the store? */
        if (dot == last_dot && !exists_dir(ns, std::string(parent)))
            fresh = pk;
        parents.push_back(std::move(pk));
    }
    bool in_fresh = !fresh.empty()
                    || (last_dot != std::string::npos
                        && known_fresh_.contains(shape_key(ns, std::string_view(key).substr(0, last_dot))));
    /* Under a fresh directory a key has children only if puts made it one. */
    if (!known_leaves_.contains(sk) && !(in_fresh && !known_dirs_.contains(sk))) {
        if (auto r = remove_below(ns, key); !r)
            return r;
        forget_subtree(ns, key);
    }
    sqlite3_stmt *s = stmt(st_put);
    StmtGuard g{s};
    bind(s, 1, ns);
    bind(s, 2, key);
    bind(s, 3, value);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error("put");
    if (known_dirs_.size() + known_leaves_.size() + known_fresh_.size() > known_max)
        forget_all();
    for (auto &pk : parents)
        known_dirs_.insert(std::move(pk));
    if (!fresh.empty())
        known_fresh_.insert(std::move(fresh));
    known_leaves_.insert(std::move(sk));
    return {};
}

flux::Result<void> KvsStore::step(int which)
{
    sqlite3_stmt *s = stmt(which);
    StmtGuard g{s};
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_error(sql_text[which]);
    return {};
}

flux::Result<uint64_t> KvsStore::commit(const std::string &ns, const std::vector<KvsOp> &ops)
{
    bool own_txn = !in_txn_;
    if (own_txn) {
        if (auto r = begin(); !r)
            return flux::make_error(EIO, r.error().text);
    }
    auto finish = [&](flux::Result<uint64_t> res) -> flux::Result<uint64_t> {
        if (!res) {
            forget_all(); /* the rolled-back puts proved nothing */
            (void)step(st_rollback_to);
            (void)step(st_release);
        }
        if (own_txn) {
            if (auto r = end(); !r && res)
                return flux::make_error(EIO, r.error().text);
        }
        return res;
    };
    if (auto r = step(st_savepoint); !r)
        return finish(flux::make_error(EIO, r.error().text));
    /* Bumping the version first also tells whether the namespace exists. */
    uint64_t version = 0;
    {
        sqlite3_stmt *s = stmt(st_ns_bump);
        StmtGuard g{s};
        bind(s, 1, ns);
        if (sqlite3_step(s) != SQLITE_ROW)
            return finish(flux::make_error(ENOTSUP, "namespace '" + ns + "' does not exist"));
        version = (uint64_t)sqlite3_column_int64(s, 0);
    }
    for (const auto &op : ops) {
        if (auto r = apply(ns, op); !r)
            return finish(flux::make_error(r.error().errnum, r.error().text));
    }
    if (auto r = step(st_release); !r)
        return finish(flux::make_error(EIO, r.error().text));
    return finish(version);
}

} // namespace fluxd
