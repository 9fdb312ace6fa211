/* kvs.cpp - KVS client API: transactions, commit, lookup/watch, dir,
 * namespaces (protocol: see src/fluxd/kvs/kvs.cpp). */
#include <cerrno>
#include <cstring>

#include "flux/kvs.h"
#include "handle_internal.h"
#include "message_internal.h"
#include "ptr.h"

struct flux_kvs_txn {
    flux::JsonPtr ops{json_array()};
};

namespace {

int txn_add(flux_kvs_txn_t *txn, const char *key, json_t *value, bool append)
{
    if (!txn || !key || !*key || !value) {
        json_decref(value);
        errno = EINVAL;
        return -1;
    }
    json_t *op = json_pack("{s:s s:o}", "key", key, "value", value);
    if (!op) {
        errno = ENOMEM;
        return -1;
    }
    if (append)
        json_object_set_new(op, "append", json_true());
    json_array_append_new(txn->ops.get(), op);
    return 0;
}

/* Dump the "value" of a lookup response into the future's aux (kept alive). */
int lookup_value(flux_future_t *f, json_t **valuep)
{
    const flux_msg_t *msg;
    if (flux_future_get_msg(f, &msg) < 0)
        return -1;
    json_t *value;
    if (flux_msg_unpack(msg, "{s:o}", "value", &value) < 0)
        return -1;
    *valuep = value;
    return 0;
}

} // namespace

extern "C" {

flux_kvs_txn_t *flux_kvs_txn_create(void)
{
    auto *txn = new (std::nothrow) flux_kvs_txn;
    if (!txn || !txn->ops) {
        delete txn;
        errno = ENOMEM;
        return nullptr;
    }
    return txn;
}

void flux_kvs_txn_destroy(flux_kvs_txn_t *txn)
{
    int saved = errno;
    delete txn;
    errno = saved;
}

int flux_kvs_txn_put(flux_kvs_txn_t *txn, int flags, const char *key, const char *value)
{
    if (!value || (flags & ~FLUX_KVS_APPEND)) {
        errno = EINVAL;
        return -1;
    }
    json_error_t jerr;
    json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
    if (!v) {
        errno = EINVAL;
        return -1;
    }
    if ((flags & FLUX_KVS_APPEND) && !json_is_string(v)) {
        json_decref(v);
        errno = EINVAL;
        return -1;
    }
    return txn_add(txn, key, v, flags & FLUX_KVS_APPEND);
}

int flux_kvs_txn_put_string(flux_kvs_txn_t *txn, int flags, const char *key, const char *s)
{
    if (!s || (flags & ~FLUX_KVS_APPEND)) {
        errno = EINVAL;
        return -1;
    }
    json_t *v = json_string(s);
    if (!v) {
        errno = EINVAL; /* not UTF-8 */
        return -1;
    }
    return txn_add(txn, key, v, flags & FLUX_KVS_APPEND);
}

int flux_kvs_txn_pack(flux_kvs_txn_t *txn, int flags, const char *key, const char *fmt, ...)
{
    if (!fmt || (flags & ~FLUX_KVS_APPEND)) {
        errno = EINVAL;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    json_error_t jerr;
    json_t *v = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    if (!v) {
        errno = EINVAL;
        return -1;
    }
    return txn_add(txn, key, v, flags & FLUX_KVS_APPEND);
}

int flux_kvs_txn_unlink(flux_kvs_txn_t *txn, int flags, const char *key)
{
    if (flags != 0) {
        errno = EINVAL;
        return -1;
    }
    if (!txn || !key || !*key) {
        errno = EINVAL;
        return -1;
    }
    json_t *op = json_pack("{s:s s:b}", "key", key, "unlink", 1);
    if (!op) {
        errno = ENOMEM;
        return -1;
    }
    json_array_append_new(txn->ops.get(), op);
    return 0;
}

flux_future_t *flux_kvs_commit(flux_t *h, const char *ns, int flags, flux_kvs_txn_t *txn)
{
    if (!h || !txn || (flags & ~FLUX_KVS_ORDERED)) {
        errno = EINVAL;
        return nullptr;
    }
    if (flags)
        return flux_rpc_pack(h, "kvs.commit", FLUX_NODEID_ANY, 0, "{s:s s:O s:i}", "namespace",
                             ns ? ns : "primary", "ops", txn->ops.get(), "flags", flags);
    return flux_rpc_pack(h, "kvs.commit", FLUX_NODEID_ANY, 0, "{s:s s:O}", "namespace",
                         ns ? ns : "primary", "ops", txn->ops.get());
}

int flux_kvs_commit_get_version(flux_future_t *f, uint64_t *version)
{
    json_int_t v = 0;
    if (flux_rpc_get_unpack(f, "{s:I}", "version", &v) < 0)
        return -1;
    if (version)
        *version = (uint64_t)v;
    return 0;
}

flux_future_t *flux_kvs_lookup(flux_t *h, const char *ns, int flags, const char *key)
{
    const int valid = FLUX_KVS_WATCH | FLUX_KVS_WAITCREATE | FLUX_KVS_WATCH_APPEND;
    if (!h || !key || (flags & ~valid)
        || ((flags & (FLUX_KVS_WAITCREATE | FLUX_KVS_WATCH_APPEND)) && !(flags & FLUX_KVS_WATCH))) {
        errno = EINVAL;
        return nullptr;
    }
    if (flags & FLUX_KVS_WATCH)
        return flux_rpc_pack(h, "kvs.watch", FLUX_NODEID_ANY, FLUX_RPC_STREAMING,
                             "{s:s s:s s:b s:b}", "key", key, "namespace", ns ? ns : "primary",
                             "waitcreate", (flags & FLUX_KVS_WAITCREATE) != 0, "append",
                             (flags & FLUX_KVS_WATCH_APPEND) != 0);
    return flux_rpc_pack(h, "kvs.lookup", FLUX_NODEID_ANY, 0, "{s:s s:s}", "key", key,
                         "namespace", ns ? ns : "primary");
}

int flux_kvs_lookup_get(flux_future_t *f, const char **value)
{
    json_t *v;
    if (lookup_value(f, &v) < 0)
        return -1;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    /* One string per current response; replaced when the next one is read. */
    flux_future_aux_set(f, "flux::kvs_value", s, free);
    if (value)
        *value = s;
    return 0;
}

int flux_kvs_lookup_get_unpack(flux_future_t *f, const char *fmt, ...)
{
    json_t *v;
    if (!fmt || lookup_value(f, &v) < 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    json_error_t jerr;
    int rc = json_vunpack_ex(v, &jerr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int flux_kvs_lookup_cancel(flux_future_t *f)
{
    if (!f || !f->h || !f->streaming || f->matchtag == FLUX_MATCHTAG_NONE) {
        errno = EINVAL;
        return -1;
    }
    flux_future_t *c = flux_rpc_pack(f->h, "kvs.watch-cancel", FLUX_NODEID_ANY,
                                     FLUX_RPC_NORESPONSE, "{s:i}", "matchtag", (int)f->matchtag);
    if (!c)
        return -1;
    flux_future_destroy(c);
    return 0;
}

flux_future_t *flux_kvs_dir(flux_t *h, const char *ns, const char *key)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "kvs.dir", FLUX_NODEID_ANY, 0, "{s:s s:s}", "key", key ? key : ".",
                         "namespace", ns ? ns : "primary");
}

int flux_kvs_dir_get(flux_future_t *f, const char **entries)
{
    const flux_msg_t *msg;
    json_t *o;
    if (flux_future_get_msg(f, &msg) < 0 || flux_msg_unpack(msg, "{s:o}", "entries", &o) < 0)
        return -1;
    char *s = json_dumps(o, JSON_COMPACT);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    flux_future_aux_set(f, "flux::kvs_dir", s, free);
    if (entries)
        *entries = s;
    return 0;
}

flux_future_t *flux_kvs_namespace_create(flux_t *h, const char *ns, uint32_t owner, int flags)
{
    if (!h || !ns || flags != 0) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "kvs.namespace-create", FLUX_NODEID_ANY, 0, "{s:s s:i}", "namespace",
                         ns, "owner", (int)owner);
}

flux_future_t *flux_kvs_namespace_remove(flux_t *h, const char *ns)
{
    if (!h || !ns) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "kvs.namespace-remove", FLUX_NODEID_ANY, 0, "{s:s}", "namespace", ns);
}

} // extern "C"
