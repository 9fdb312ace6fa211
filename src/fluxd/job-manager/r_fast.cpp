/* r_fast.cpp - see r_fast.h. */
#include "r_fast.h"

#include <cerrno>
#include <string>

#include <jansson.h>
#include <simdjson.h>

#include "libflux/ptr.h"

namespace fluxd {

flux::Result<flux::Rv1> decode_R_fast(std::string_view text)
{
    /* jansson refuses \u0000 in strings; simdjson takes it: leave the
     * verdict to the reader that every later consumer of R uses. */
    if (text.find("\\u0000") != std::string_view::npos)
        return flux::Rv1::decode(text);
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.parse(text.data(), text.size()).get(doc))
        return flux::make_error(EINVAL, std::string("R: ") + simdjson::error_message(err));
    simdjson::dom::object o;
    if (doc.get(o))
        return flux::make_error(EINVAL, "R: expected an object");
    simdjson::dom::element version, execution;
    if (o["execution"].get(execution))
        return flux::Rv1::decode(text);
    std::string part = "{\"execution\":" + simdjson::minify(execution);
    if (!o["version"].get(version))
        part += ",\"version\":" + simdjson::minify(version);
    part += '}';
    json_error_t jerr;
    flux::JsonPtr j(json_loadb(part.data(), part.size(), 0, &jerr));
    if (!j)
        return flux::make_error(EINVAL, std::string("R: ") + jerr.text);
    return flux::Rv1::decode(j.get());
}

} // namespace fluxd
