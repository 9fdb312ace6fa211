/* jobspec/jobspec_internal.h - what jobspec.cpp (the validator on jansson
 * objects) shares with jobspec_yaml.cpp (text input, the only user of
 * yaml-cpp).  Not for other callers: use jobspec.h.
 */
#ifndef FLUX_COMMON_JOBSPEC_JOBSPEC_INTERNAL_H
#define FLUX_COMMON_JOBSPEC_JOBSPEC_INTERNAL_H

#include <exception>
#include <new>
#include <string_view>

#include "jobspec/jobspec.h"

namespace flux::jobspec_internal {

/* Deepest nesting accepted in a jobspec text (brackets, YAML blocks). */
inline constexpr int max_yaml_depth = 256;

/* Run an API body, turning any escaping exception into an Error. */
template <typename F> auto guard(F &&body) -> decltype(body())
{
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return make_error(ENOMEM, "out of memory");
    } catch (const std::exception &e) {
        return make_error(EINVAL, e.what());
    } catch (...) {
        return make_error(EINVAL, "unexpected error");
    }
}

/* "jobspec nesting too deep (limit 256)" */
Error error_too_deep();
/* The checks of jobspec_check_text(); YAML relaxes the bracket count for
 * quoted scalars and comments. */
Result<void> text_check(std::string_view text, bool yaml);
/* Check, decode with jansson (duplicate keys refused), validate. */
Result<Jobspec> text_parse_json(std::string_view text);
/* Validate a decoded object (borrowed). */
Result<Jobspec> root_parse(json_t *root);
/* Whether the first non-space character is '{'. */
bool text_starts_like_json(std::string_view text);

} // namespace flux::jobspec_internal

#endif // FLUX_COMMON_JOBSPEC_JOBSPEC_INTERNAL_H
