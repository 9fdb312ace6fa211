/* ioencode.cpp - lossless task output for RFC 24 eventlogs (see ioencode.h). */
#include "ioencode/ioencode.h"

#include <cstdint>
#include <cstring>

namespace flux {

bool utf8_text(std::string_view s)
{
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        }
        else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        }
        else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        }
        else
            return false;
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

namespace {

constexpr char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    size_t n = bytes.size(), i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out += b64_alphabet[v >> 18];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out += b64_alphabet[v >> 18];
        out += b64_alphabet[(v >> 12) & 63];
        out += "==";
    }
    else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out += b64_alphabet[v >> 18];
        out += b64_alphabet[(v >> 12) & 63];
        out += b64_alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

Result<std::string> base64_decode(std::string_view text)
{
    if (text.size() % 4 != 0)
        return make_error(EINVAL, "base64: length " + std::to_string(text.size())
                                      + " is not a multiple of 4");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = text[i + k];
            if (c == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = pad ? -1 : b64_value(c);
            if (v[k] < 0)
                return make_error(EINVAL, "base64: invalid character at offset "
                                              + std::to_string(i + k));
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
        out += (char)(w >> 16);
        if (pad < 2)
            out += (char)((w >> 8) & 0xff);
        if (pad < 1)
            out += (char)(w & 0xff);
    }
    return out;
}

json_t *ioencode(const char *stream, const char *rank, std::string_view bytes)
{
    if (utf8_text(bytes))
        return json_pack("{s:s s:s s:s#}", "stream", stream, "rank", rank, "data", bytes.data(),
                         bytes.size());
    std::string b64 = base64_encode(bytes);
    return json_pack("{s:s s:s s:s# s:s}", "stream", stream, "rank", rank, "data", b64.data(),
                     b64.size(), "encoding", "base64");
}

json_t *ioencode_eof(const char *stream, const char *rank)
{
    return json_pack("{s:s s:s s:b}", "stream", stream, "rank", rank, "eof", 1);
}

Result<IoData> iodecode(const json_t *context)
{
    const char *stream = nullptr, *rank = nullptr, *data = nullptr, *encoding = nullptr;
    size_t len = 0;
    int eof = 0;
    json_error_t jerr;
    auto *o = const_cast<json_t *>(context);
    if (!context
        || json_unpack_ex(o, &jerr, 0, "{s:s s:s s?b}", "stream", &stream, "rank", &rank, "eof",
                          &eof)
               < 0
        /* An eof entry needs no data; any other does. */
        || json_unpack_ex(o, &jerr, 0, eof ? "{s?s% s?s}" : "{s:s% s?s}", "data", &data, &len,
                          "encoding", &encoding)
               < 0)
        return make_error(EPROTO, std::string("output data event: ")
                                      + (context ? jerr.text : "no context"));
    IoData d{stream, rank, {}, eof != 0};
    if (!data)
        return d;
    if (!encoding || strcmp(encoding, "UTF-8") == 0)
        d.data.assign(data, len);
    else if (strcmp(encoding, "base64") == 0) {
        auto bytes = base64_decode(std::string_view(data, len));
        if (!bytes)
            return make_error(EPROTO, "output data event: " + bytes.error().text);
        d.data = std::move(*bytes);
    }
    else
        return make_error(EPROTO,
                          std::string("output data event: unknown encoding '") + encoding + "'");
    return d;
}

} // namespace flux
