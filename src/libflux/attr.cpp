/* attr.cpp - broker attributes as seen by a client (attr.get / attr.set). */
#include <cerrno>
#include <cstdlib>

#include "handle_internal.h"

extern "C" {

const char *flux_attr_get(flux_t *h, const char *name)
{
    if (!h || !name) {
        errno = EINVAL;
        return nullptr;
    }
    auto it = h->attr_cache.find(name);
    if (it != h->attr_cache.end())
        return it->second.c_str();
    flux_future_t *f = flux_rpc_pack(h, "attr.get", FLUX_NODEID_ANY, 0, "{s:s}", "name", name);
    const char *value = nullptr;
    int immutable = 0;
    if (!f || flux_rpc_get_unpack(f, "{s:s s?b}", "value", &value, "immutable", &immutable) < 0) {
        flux_future_destroy(f);
        return nullptr;
    }
    /* Mutable values are refetched each call; the cache keeps the string alive. */
    std::string key = immutable ? std::string(name) : std::string("\x01") + name;
    h->attr_cache[key] = value;
    const char *result = h->attr_cache[key].c_str();
    flux_future_destroy(f);
    return result;
}

int flux_attr_set(flux_t *h, const char *name, const char *value)
{
    if (!h || !name || !value) {
        errno = EINVAL;
        return -1;
    }
    flux_future_t *f =
        flux_rpc_pack(h, "attr.set", FLUX_NODEID_ANY, 0, "{s:s s:s}", "name", name, "value", value);
    int rc = f ? flux_rpc_get(f, nullptr) : -1;
    flux_future_destroy(f);
    return rc;
}

static int get_u32_attr(flux_t *h, const char *name, uint32_t *out)
{
    if (!out) {
        errno = EINVAL;
        return -1;
    }
    const char *s = flux_attr_get(h, name);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s) {
        errno = EPROTO;
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int flux_get_rank(flux_t *h, uint32_t *rank)
{
    return get_u32_attr(h, "rank", rank);
}

int flux_get_size(flux_t *h, uint32_t *size)
{
    return get_u32_attr(h, "size", size);
}

} // extern "C"
