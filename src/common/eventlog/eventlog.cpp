/* eventlog/eventlog.cpp - KVS event logs (RFC 18): entry ownership, the
 * line encoder and the line/log decoders.
 */
#include <algorithm>
#include "eventlog/eventlog.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <utility>

namespace flux {

namespace {

struct JsonDecref {
    void operator()(json_t *o) const { json_decref(o); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDecref>;

struct FreeDeleter {
    void operator()(char *p) const { std::free(p); }
};
using CharPtr = std::unique_ptr<char, FreeDeleter>;

double now_seconds()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

/* Prefix the problem text of a failed result. */
Error with_prefix(const Error &e, const std::string &prefix)
{
    return make_error(e.errnum, prefix + e.text);
}

/* Encode one entry; errors carry the bare problem text. */
Result<std::string> encode_line(const EventlogEntry &e)
{
    if (!std::isfinite(e.timestamp))
        return make_error(EINVAL, "timestamp is not finite");
    if (!(e.timestamp > 0))
        return make_error(EINVAL, "timestamp must be greater than zero");
    char tsbuf[400]; // fixed notation of any finite double fits
    auto [tsend, ec] =
        std::to_chars(tsbuf, tsbuf + sizeof(tsbuf), e.timestamp, std::chars_format::fixed, 6);
    if (ec != std::errc())
        return make_error(EINVAL, "timestamp out of range");
    std::string_view ts(tsbuf, static_cast<size_t>(tsend - tsbuf));
    if (ts == "0.000000")
        return make_error(EINVAL, "timestamp must be greater than zero");

    if (e.name.empty())
        return make_error(EINVAL, "name is empty");
    if (e.name.find('\0') != std::string::npos)
        return make_error(EINVAL, "name contains a NUL character");
    /* Event names are nearly always plain words: those need no escaping. */
    bool plain = std::all_of(e.name.begin(), e.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '_' || c == '-' || c == '.';
    });
    CharPtr name;
    if (!plain) {
        JsonPtr jname(json_stringn(e.name.data(), e.name.size()));
        if (!jname)
            return make_error(EINVAL, "name is not valid UTF-8");
        name.reset(json_dumps(jname.get(), JSON_ENCODE_ANY | JSON_COMPACT));
        if (!name)
            return make_error(ENOMEM, "out of memory");
    }

    CharPtr context;
    if (e.context != nullptr) {
        if (!json_is_object(e.context))
            return make_error(EINVAL, "context is not an object");
        context.reset(json_dumps(e.context, JSON_COMPACT));
        if (!context)
            return make_error(EINVAL, "context could not be encoded");
    }

    std::string line;
    line.reserve(64 + ts.size() + e.name.size());
    line += "{\"timestamp\":";
    line += ts;
    line += ",\"name\":";
    if (plain) {
        line += '"';
        line += e.name;
        line += '"';
    }
    else
        line += name.get();
    if (context) {
        line += ",\"context\":";
        line += context.get();
    }
    line += "}\n";
    return line;
}

/* Decode one line without its "\n"; errors carry the bare problem text. */
Result<EventlogEntry> decode_line(std::string_view line)
{
    if (line.empty())
        return make_error(EINVAL, "empty line");
    if (line.find('\n') != std::string_view::npos)
        return make_error(EINVAL, "embedded newline");

    json_error_t jerr;
    JsonPtr o(
        json_loadb(line.data(), line.size(), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr));
    if (!o)
        return make_error(EINVAL, std::string("invalid JSON: ") + jerr.text);
    if (!json_is_object(o.get()))
        return make_error(EINVAL, "not a JSON object");

    json_t *ts = json_object_get(o.get(), "timestamp");
    if (ts == nullptr)
        return make_error(EINVAL, "missing timestamp");
    if (!json_is_number(ts))
        return make_error(EINVAL, "timestamp is not a number");
    double timestamp = json_number_value(ts);
    if (!(timestamp > 0))
        return make_error(EINVAL, "timestamp must be greater than zero");

    json_t *name = json_object_get(o.get(), "name");
    if (name == nullptr)
        return make_error(EINVAL, "missing name");
    if (!json_is_string(name))
        return make_error(EINVAL, "name is not a string");
    if (json_string_length(name) == 0)
        return make_error(EINVAL, "name is empty");

    json_t *context = json_object_get(o.get(), "context");
    if (context != nullptr && !json_is_object(context))
        return make_error(EINVAL, "context is not an object");

    return EventlogEntry(timestamp, std::string(json_string_value(name), json_string_length(name)),
                         json_incref(context));
}

} // namespace

/* EventlogEntry */

EventlogEntry::EventlogEntry(double timestamp_, std::string name_, json_t *context_)
    : timestamp(timestamp_), name(std::move(name_)), context(context_)
{
}

EventlogEntry::EventlogEntry(const EventlogEntry &other)
    : timestamp(other.timestamp), name(other.name), context(json_incref(other.context))
{
}

EventlogEntry::EventlogEntry(EventlogEntry &&other) noexcept
    : timestamp(other.timestamp), name(std::move(other.name)),
      context(std::exchange(other.context, nullptr))
{
}

EventlogEntry &EventlogEntry::operator=(const EventlogEntry &other)
{
    if (this != &other) {
        json_t *o = json_incref(other.context);
        json_decref(context);
        context = o;
        timestamp = other.timestamp;
        name = other.name;
    }
    return *this;
}

EventlogEntry &EventlogEntry::operator=(EventlogEntry &&other) noexcept
{
    if (this != &other) {
        json_decref(context);
        context = std::exchange(other.context, nullptr);
        timestamp = other.timestamp;
        name = std::move(other.name);
    }
    return *this;
}

EventlogEntry::~EventlogEntry()
{
    json_decref(context);
}

void EventlogEntry::set_context(json_t *o)
{
    if (o != context)
        json_decref(context);
    context = o;
}

json_t *EventlogEntry::release_context()
{
    return std::exchange(context, nullptr);
}

bool EventlogEntry::operator==(const EventlogEntry &other) const
{
    if (timestamp != other.timestamp || name != other.name)
        return false;
    if (context == nullptr || other.context == nullptr)
        return context == other.context;
    return json_equal(context, other.context) != 0;
}

/* Functions */

EventlogEntry eventlog_entry_create(double timestamp, std::string name, json_t *context)
{
    if (!(timestamp > 0))
        timestamp = now_seconds();
    return EventlogEntry(timestamp, std::move(name), context);
}

Result<std::string> eventlog_entry_encode(const EventlogEntry &entry)
{
    auto r = encode_line(entry);
    if (!r)
        return with_prefix(r.error(), "eventlog entry: ");
    return r;
}

Result<std::string> eventlog_encode(const std::vector<EventlogEntry> &entries)
{
    std::string log;
    for (const auto &e : entries) {
        auto r = eventlog_entry_encode(e);
        if (!r)
            return r.error();
        log += *r;
    }
    return log;
}

Result<EventlogEntry> eventlog_entry_decode(std::string_view line)
{
    if (!line.empty() && line.back() == '\n')
        line.remove_suffix(1);
    auto r = decode_line(line);
    if (!r)
        return with_prefix(r.error(), "eventlog entry: ");
    return r;
}

Result<std::vector<EventlogEntry>> eventlog_decode(std::string_view log)
{
    std::vector<EventlogEntry> entries;
    size_t pos = 0;
    int lineno = 0;

    while (pos < log.size()) {
        lineno++;
        size_t nl = log.find('\n', pos);
        size_t end = nl == std::string_view::npos ? log.size() : nl;
        auto r = decode_line(log.substr(pos, end - pos));
        if (!r)
            return with_prefix(r.error(), "eventlog line " + std::to_string(lineno) + ": ");
        entries.push_back(std::move(*r));
        pos = end + 1;
    }
    return entries;
}

} // namespace flux
