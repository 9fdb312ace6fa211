/* store.h - the KVS's persistent store: namespaces of hierarchical keys
 * ("a.b.c") holding JSON values, in one SQLite database (WAL mode).
 *
 * Directories are implicit: "a.b" is a directory while some key below it
 * exists.  Putting a value at a key replaces whatever was there (a value or
 * a whole directory) and any value standing at one of its parent paths;
 * unlinking a key removes its subtree.  A commit applies a list of
 * operations atomically and bumps its namespace's version by one.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "result/result.h"

namespace fluxd {

struct KvsOp {
    enum class Kind { put, unlink, append };
    Kind kind = Kind::put;
    std::string key;
    std::string value; /* JSON text (put); a JSON string (append) */
};

/* A put (or, with append, an append) of TEXT as a JSON string value. */
KvsOp kvs_string_op(std::string key, const std::string &text, bool append = false);
/* The same for LINES of JSON as jansson writes them (eventlog entries, each
 * ending in a newline): valid UTF-8 whose control characters are already
 * escaped, so only quotes, backslashes and newlines need escaping here.
 * Anything else is left to kvs_string_op(). */
KvsOp kvs_eventlog_op(std::string key, const std::string &lines, bool append = false);

struct KvsDirEntry {
    std::string name;
    bool is_dir = false;
};

struct KvsNamespace {
    std::string name;
    uint32_t owner = 0;
    uint64_t version = 0;
};

class KvsStore {
  public:
    /* Open (creating if needed) the database at PATH. */
    static flux::Result<std::unique_ptr<KvsStore>> open(const std::string &path);
    ~KvsStore();
    KvsStore(const KvsStore &) = delete;
    KvsStore &operator=(const KvsStore &) = delete;

    /* "a..b." -> "a.b"; "" or "." is the root ("."); nullopt if invalid. */
    static std::optional<std::string> normalize_key(std::string_view key);

    flux::Result<void> ns_create(const std::string &ns, uint32_t owner);
    flux::Result<void> ns_remove(const std::string &ns);
    std::optional<KvsNamespace> ns_get(const std::string &ns);
    std::vector<KvsNamespace> ns_list();

    /* Value at KEY (JSON text).  ENOENT if absent, EISDIR if a directory. */
    flux::Result<std::string> get(const std::string &ns, const std::string &key);
    /* Immediate children of directory KEY ("." for the root).  ENOENT if
     * absent, ENOTDIR if a value. */
    flux::Result<std::vector<KvsDirEntry>> dir(const std::string &ns, const std::string &key);

    /* Group commit: several commits between begin() and end() share one
     * SQLite transaction (one fsync); each commit is still all-or-nothing. */
    flux::Result<void> begin();
    flux::Result<void> end();
    /* Apply OPS to NS atomically; returns the namespace's new version. */
    flux::Result<uint64_t> commit(const std::string &ns, const std::vector<KvsOp> &ops);

  private:
    explicit KvsStore(sqlite3 *db) : db_(db) {}
    flux::Result<void> exec(const char *sql);
    flux::Result<void> step(int which); /* run a prepared statement to completion */
    sqlite3_stmt *stmt(int which);
    flux::Result<void> apply(const std::string &ns, const KvsOp &op);
    flux::Result<void> remove_subtree(const std::string &ns, const std::string &key);
    flux::Result<void> remove_below(const std::string &ns, const std::string &key);
    bool exists_value(const std::string &ns, const std::string &key);
    bool exists_dir(const std::string &ns, const std::string &key);
    flux::Error db_error(const char *what);
    void forget_subtree(const std::string &ns, const std::string &key);
    void forget_all();

    sqlite3 *db_ = nullptr;
    /* What recent puts proved about the shape of the tree, so a put can
     * skip deletes that cannot match: paths that are directories (no value
     * stands there) and keys that are values without children.  Entries
     * are "NS\0KEY".  Any doubt (unlink, rollback, the size cap) forgets. */
    std::set<std::string> known_dirs_, known_leaves_;
    /* Directories found empty and since filled only by puts seen here: a
     * key below one has children only if it is in known_dirs_. */
    std::set<std::string> known_fresh_;
    std::vector<sqlite3_stmt *> stmts_;
    bool in_txn_ = false;
};

} // namespace fluxd
