/* sign.cpp - the signed jobspec J (sign.h): base64url, wrap and unwrap for
 * the mechanisms none and munge (libmunge, munge(3)).
 *
 * Environment: FLUX_MUNGE_SOCKET names munged's socket when the caller
 * gives none (tests start their own munged); FLUX_MUNGE_TTL (seconds) is
 * the lifetime of credentials made when the caller sets none.
 */
#include "sign.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <jansson.h>
#include <munge.h>

namespace flux::sign {

namespace {

constexpr char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

struct MungeCtxDeleter {
    void operator()(munge_ctx_t c) const { munge_ctx_destroy(c); }
};
using MungeCtx = std::unique_ptr<std::remove_pointer_t<munge_ctx_t>, MungeCtxDeleter>;

Result<MungeCtx> munge_ctx(const Options &opts)
{
    MungeCtx ctx(munge_ctx_create());
    if (!ctx)
        return make_error(ENOMEM, "munge: cannot create a context");
    const char *sock = opts.munge_socket;
    if (!sock || !*sock)
        sock = getenv("FLUX_MUNGE_SOCKET");
    if (sock && *sock) {
        if (munge_ctx_set(ctx.get(), MUNGE_OPT_SOCKET, sock) != EMUNGE_SUCCESS)
            return make_error(EINVAL, std::string("munge: socket ") + sock + ": "
                                          + munge_ctx_strerror(ctx.get()));
    }
    int ttl = opts.munge_ttl;
    if (ttl <= 0) {
        const char *env = getenv("FLUX_MUNGE_TTL");
        char *end = nullptr;
        long v = env && *env ? strtol(env, &end, 10) : 0;
        if (env && *env && (*end || v <= 0 || v > INT32_MAX))
            return make_error(EINVAL, std::string("FLUX_MUNGE_TTL: invalid number of seconds '")
                                          + env + "'");
        ttl = (int)v;
    }
    if (ttl > 0) {
        if (munge_ctx_set(ctx.get(), MUNGE_OPT_TTL, ttl) != EMUNGE_SUCCESS)
            return make_error(EINVAL, std::string("munge: ttl: ") + munge_ctx_strerror(ctx.get()));
    }
    return ctx;
}

/* A munge error as an Error: the reason first, munge's own words after. */
Error munge_error(munge_err_t e, munge_ctx_t ctx)
{
    const char *detail = ctx ? munge_ctx_strerror(ctx) : nullptr;
    if (!detail)
        detail = munge_strerror(e);
    std::string why;
    int errnum = EPERM;
    switch (e) {
    case EMUNGE_CRED_REPLAYED:
        why = "credential replayed";
        break;
    case EMUNGE_CRED_EXPIRED:
        why = "credential expired";
        break;
    case EMUNGE_CRED_REWOUND:
        why = "credential rewound (created in the future)";
        break;
    case EMUNGE_CRED_INVALID:
    case EMUNGE_BAD_CRED:
    case EMUNGE_BAD_VERSION:
    case EMUNGE_BAD_CIPHER:
    case EMUNGE_BAD_MAC:
    case EMUNGE_BAD_ZIP:
    case EMUNGE_BAD_REALM:
        why = "invalid credential";
        break;
    case EMUNGE_CRED_UNAUTHORIZED:
        why = "credential not authorized for this user";
        break;
    case EMUNGE_SOCKET:
    case EMUNGE_TIMEOUT:
        why = "cannot reach munged";
        errnum = EHOSTUNREACH;
        break;
    default:
        why = "error";
        errnum = EINVAL;
        break;
    }
    return make_error(errnum, "munge: " + why + " (" + detail + ")");
}

Result<MungeCred> decode(std::string_view cred, const Options &opts, bool *replayed,
                         bool *expired)
{
    auto ctx = munge_ctx(opts);
    if (!ctx)
        return ctx.error();
    std::string text(cred); /* munge wants NUL-terminated text */
    void *buf = nullptr;
    int len = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    munge_err_t e = ::munge_decode(text.c_str(), ctx->get(), &buf, &len, &uid, &gid);
    std::unique_ptr<void, decltype(&free)> owned(buf, free);
    if (e != EMUNGE_SUCCESS) {
        bool tolerated = opts.tolerate_replay_expired
                         && (e == EMUNGE_CRED_REPLAYED || e == EMUNGE_CRED_EXPIRED);
        if (!tolerated)
            return munge_error(e, ctx->get());
        *replayed = e == EMUNGE_CRED_REPLAYED;
        *expired = e == EMUNGE_CRED_EXPIRED;
    }
    MungeCred c;
    if (buf && len > 0)
        c.payload.assign(static_cast<const char *>(buf), (size_t)len);
    c.uid = uid;
    c.gid = gid;
    return c;
}

Error j_error(const Error &e)
{
    return make_error(e.errnum, "J: " + e.text);
}

} // namespace

std::string base64url_encode(std::string_view in)
{
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    const auto *p = reinterpret_cast<const unsigned char *>(in.data());
    for (; i + 3 <= in.size(); i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out += b64url_alphabet[v >> 18 & 63];
        out += b64url_alphabet[v >> 12 & 63];
        out += b64url_alphabet[v >> 6 & 63];
        out += b64url_alphabet[v & 63];
    }
    size_t rest = in.size() - i;
    if (rest == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out += b64url_alphabet[v >> 18 & 63];
        out += b64url_alphabet[v >> 12 & 63];
    }
    else if (rest == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out += b64url_alphabet[v >> 18 & 63];
        out += b64url_alphabet[v >> 12 & 63];
        out += b64url_alphabet[v >> 6 & 63];
    }
    return out;
}

Result<std::string> base64url_decode(std::string_view in)
{
    if (in.size() % 4 == 1)
        return make_error(EINVAL, "base64url: length " + std::to_string(in.size())
                                      + " is not a valid encoded length");
    std::string out;
    out.reserve(in.size() / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in.size(); i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return make_error(EINVAL, "base64url: invalid character at offset "
                                          + std::to_string(i));
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += (char)(acc >> bits & 0xff);
        }
    }
    /* Leftover bits must be zero: one encoding per byte string. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return make_error(EINVAL, "base64url: non-zero trailing bits");
    return out;
}

const char *mechanism_name(Mechanism m)
{
    return m == Mechanism::munge ? "munge" : "none";
}

Result<Mechanism> mechanism_parse(std::string_view name)
{
    if (name == "none")
        return Mechanism::none;
    if (name == "munge")
        return Mechanism::munge;
    return make_error(EINVAL, "unknown signing mechanism '" + std::string(name)
                                  + "' (none or munge)");
}

Result<std::string> munge_encode(std::string_view payload, const Options &opts)
{
    auto ctx = munge_ctx(opts);
    if (!ctx)
        return ctx.error();
    char *cred = nullptr;
    munge_err_t e = ::munge_encode(&cred, ctx->get(), payload.data(), (int)payload.size());
    if (e != EMUNGE_SUCCESS) {
        free(cred);
        return munge_error(e, ctx->get());
    }
    std::string out(cred);
    free(cred);
    return out;
}

Result<MungeCred> munge_decode(std::string_view cred, const Options &opts)
{
    bool replayed = false, expired = false;
    return decode(cred, opts, &replayed, &expired);
}

Result<std::string> wrap(std::string_view payload, uint32_t userid, Mechanism mech,
                         const Options &opts)
{
    std::string header = "{\"version\":1,\"mechanism\":\"";
    header += mechanism_name(mech);
    header += "\",\"userid\":" + std::to_string(userid) + "}";
    std::string j = base64url_encode(header);
    j += '.';
    j += base64url_encode(payload);
    if (mech == Mechanism::none) {
        j += ".none";
        return j;
    }
    auto cred = munge_encode(j, opts);
    if (!cred)
        return cred.error();
    j += '.';
    j += *cred;
    return j;
}

Result<Unwrapped> unwrap(std::string_view j, const Options &opts)
{
    size_t dot1 = j.find('.');
    size_t dot2 = dot1 == std::string_view::npos ? dot1 : j.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos)
        return make_error(EINVAL, "J: expected HEADER.PAYLOAD.SIGNATURE (three dot-separated parts)");
    std::string_view signed_part = j.substr(0, dot2);
    std::string_view sig = j.substr(dot2 + 1);
    auto header = base64url_decode(j.substr(0, dot1));
    if (!header)
        return make_error(EINVAL, "J: header: " + header.error().text);
    json_error_t jerr;
    std::unique_ptr<json_t, decltype(&json_decref)> h(
        json_loadb(header->data(), header->size(), 0, &jerr), json_decref);
    int version = 0;
    const char *mech_name = nullptr;
    json_int_t userid = -1;
    if (!h
        || json_unpack(h.get(), "{s:i s:s s:I !}", "version", &version, "mechanism", &mech_name,
                       "userid", &userid)
               < 0)
        return make_error(EINVAL, "J: header: expected {\"version\":1,\"mechanism\":M,"
                                  "\"userid\":UID}");
    if (version != 1)
        return make_error(EINVAL, "J: header: unsupported version " + std::to_string(version));
    if (userid < 0 || userid > (json_int_t)UINT32_MAX)
        return make_error(EINVAL, "J: header: invalid userid " + std::to_string(userid));
    auto mech = mechanism_parse(mech_name);
    if (!mech)
        return make_error(EINVAL, "J: header: " + mech.error().text);
    auto payload = base64url_decode(j.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!payload)
        return make_error(EINVAL, "J: payload: " + payload.error().text);
    Unwrapped u;
    u.mechanism = *mech;
    u.userid = (uint32_t)userid;
    u.payload = std::move(*payload);
    if (*mech == Mechanism::none) {
        if (sig != "none")
            return make_error(EINVAL, "J: mechanism none: the signature must be 'none'");
        return u;
    }
    auto cred = decode(sig, opts, &u.replayed, &u.expired);
    if (!cred)
        return j_error(cred.error());
    if (cred->payload != signed_part)
        return make_error(EPERM, "J: munge credential's payload does not match the J's header"
                                 " and payload (tampered)");
    if (cred->uid != u.userid)
        return make_error(EPERM, "J: header userid " + std::to_string(u.userid)
                                     + " does not match the munge credential's uid "
                                     + std::to_string(cred->uid));
    return u;
}

} // namespace flux::sign
