/* signed_j.cpp - parse a signed jobspec J: split, base64url, header JSON.
 * Strict on purpose: one J has one reading (no padding, no unknown header
 * keys, no trailing bits), so what munge authenticated is what is used.
 */
#include "signed_j.h"

#include <memory>

#include <jansson.h>

namespace imp {

namespace {

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

struct JsonDeleter {
    void operator()(json_t *o) const { json_decref(o); }
};

} // namespace

bool b64url_decode(std::string_view in, std::string &out)
{
    out.clear();
    if (in.size() % 4 == 1)
        return false;
    out.reserve(in.size() / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        int v = b64url_value(c);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back((char)((acc >> bits) & 0xff));
        }
    }
    /* Leftover bits (2 or 4) must be zero. */
    return bits == 0 || (acc & ((1u << bits) - 1)) == 0;
}

bool signed_j_parse(std::string_view j, SignedJ &out, std::string &err)
{
    size_t d1 = j.find('.');
    size_t d2 = d1 == std::string_view::npos ? d1 : j.find('.', d1 + 1);
    if (d2 == std::string_view::npos) {
        err = "J: expected HEADER.PAYLOAD.SIGNATURE";
        return false;
    }
    std::string_view h64 = j.substr(0, d1);
    std::string_view p64 = j.substr(d1 + 1, d2 - d1 - 1);
    std::string_view sig = j.substr(d2 + 1);
    if (h64.empty() || sig.empty()) {
        err = "J: empty header or signature";
        return false;
    }
    std::string header;
    if (!b64url_decode(h64, header)) {
        err = "J: header is not base64url";
        return false;
    }
    if (!b64url_decode(p64, out.payload)) {
        err = "J: payload is not base64url";
        return false;
    }
    json_error_t jerr;
    std::unique_ptr<json_t, JsonDeleter> h(
        json_loadb(header.data(), header.size(), JSON_REJECT_DUPLICATES, &jerr));
    if (!h || !json_is_object(h.get())) {
        err = "J: header is not a JSON object";
        return false;
    }
    json_t *version = json_object_get(h.get(), "version");
    json_t *mech = json_object_get(h.get(), "mechanism");
    json_t *userid = json_object_get(h.get(), "userid");
    if (json_object_size(h.get()) != 3 || !json_is_integer(version) || !json_is_string(mech)
        || !json_is_integer(userid)) {
        err = "J: header must be exactly {version, mechanism, userid}";
        return false;
    }
    if (json_integer_value(version) != 1) {
        err = "J: unsupported header version " + std::to_string(json_integer_value(version));
        return false;
    }
    json_int_t uid = json_integer_value(userid);
    if (uid < 0 || uid >= (json_int_t)UINT32_MAX) {
        err = "J: header userid out of range";
        return false;
    }
    out.mechanism = json_string_value(mech);
    if (out.mechanism != "none" && out.mechanism != "munge") {
        err = "J: unknown mechanism '" + out.mechanism.substr(0, 32) + "'";
        return false;
    }
    if (out.mechanism == "none" && sig != "none") {
        err = "J: mechanism none requires the signature 'none'";
        return false;
    }
    out.userid = (uint32_t)uid;
    out.signed_part.assign(j.substr(0, d2));
    out.sig.assign(sig);
    return true;
}

} // namespace imp
