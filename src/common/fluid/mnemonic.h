/* fluid/mnemonic.h - the RFC 19 mnemonic ("words") form of a FLUID
 * (private to fluid.cpp and its tests; use fluid_encode/fluid_parse). */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flux {

/* "w-w-w--w-w-w": six words of the mnemonicode list.  Never fails. */
std::string fluid_words_encode(uint64_t id);
/* Exactly six known words (any case) separated by '-', the groups by "--"
 * or "-"; false on anything else or a group above 2^32 - 1. */
bool fluid_words_decode(std::string_view s, uint64_t *out);

} // namespace flux
