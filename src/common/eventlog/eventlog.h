/* eventlog/eventlog.h - KVS event logs (RFC 18): encode and decode entries.
 *
 * An eventlog is a string of lines, each line one compact JSON object
 * terminated by "\n":
 *
 *     {"timestamp":1700000000.123456,"name":"submit","context":{"urgency":16}}
 *
 *   timestamp  number, seconds since the Unix epoch, > 0 (required)
 *   name       non-empty string (required)
 *   context    object (optional)
 * Other keys are ignored on decode and never written.
 *
 * Encoding writes the keys in the order timestamp, name, context, with the
 * timestamp in fixed notation rounded to the microsecond and the context in
 * jansson's compact form (keys in insertion order).  The result is independent
 * of the C locale.
 *
 * Decoding a whole log: lines are split on "\n".  The final line need not end
 * in "\n" (leniency for hand-written logs and for text that passed through
 * tools which strip a trailing newline, such as shell command substitution);
 * an empty line anywhere, including a log of just "\n" or one ending "\n\n",
 * is an error.  The empty string decodes as a log with no entries.  Each line
 * must hold exactly one JSON object; the whitespace JSON allows around tokens
 * is tolerated, duplicate keys are not.
 *
 * Error texts: "eventlog entry: <problem>" from the single-entry functions and
 * "eventlog line <N>: <problem>" (N 1-based) from eventlog_decode(), with
 * problems such as "missing name", "timestamp is not a number",
 * "context is not an object" or "invalid JSON: <parser message>".  All use
 * EINVAL, except ENOMEM when jansson cannot allocate.
 *
 * Nothing here throws (beyond std::bad_alloc from the standard library).
 */
#ifndef FLUX_COMMON_EVENTLOG_EVENTLOG_H
#define FLUX_COMMON_EVENTLOG_EVENTLOG_H

#include <jansson.h>

#include <string>
#include <string_view>
#include <vector>

#include "result/result.h"

namespace flux {

/* One eventlog entry.  context is an owned reference (or NULL for none):
 * the destructor drops it, a copy shares it (json_incref), a move transfers
 * it.  Since copies share the object, treat a context as immutable once the
 * entry has been copied.
 */
struct EventlogEntry {
    double timestamp = 0.;
    std::string name;
    json_t *context = nullptr;

    EventlogEntry() = default;
    /* Steals the reference to context (which may be NULL). */
    EventlogEntry(double timestamp, std::string name, json_t *context = nullptr);
    EventlogEntry(const EventlogEntry &other);
    EventlogEntry(EventlogEntry &&other) noexcept;
    EventlogEntry &operator=(const EventlogEntry &other);
    EventlogEntry &operator=(EventlogEntry &&other) noexcept;
    ~EventlogEntry();

    /* Replace the context, stealing the reference to o (which may be NULL). */
    void set_context(json_t *o);
    /* Give up ownership of the context: the caller now holds the reference. */
    json_t *release_context();

    /* Equal timestamps and names, and contexts both NULL or json_equal(). */
    bool operator==(const EventlogEntry &other) const;
};

/* An entry stamped with timestamp, or with the current time when timestamp is
 * not greater than zero (e.g. -1; 0 also means "now", as in flux-core).
 * Steals the reference to context, which may be NULL.  Does not validate:
 * eventlog_entry_encode() does.
 */
EventlogEntry eventlog_entry_create(double timestamp, std::string name, json_t *context = nullptr);

/* One line, "\n"-terminated.  Fails (EINVAL) if the timestamp is not finite
 * and greater than zero (after rounding to the microsecond), the name is empty,
 * holds a NUL or is not valid UTF-8, or the context is not an object.
 */
Result<std::string> eventlog_entry_encode(const EventlogEntry &entry);

/* The concatenation of the encoded entries ("" for none). */
Result<std::string> eventlog_encode(const std::vector<EventlogEntry> &entries);

/* Decode one line, with or without its terminating "\n". */
Result<EventlogEntry> eventlog_entry_decode(std::string_view line);

/* Decode a whole eventlog (see the rules above). */
Result<std::vector<EventlogEntry>> eventlog_decode(std::string_view log);

} // namespace flux

#endif // FLUX_COMMON_EVENTLOG_EVENTLOG_H
