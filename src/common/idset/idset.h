/* idset/idset.h - sets of non-negative integer ids (RFC 22).
 *
 * An IdSet holds ids as a sorted vector of merged, inclusive intervals, so
 * large contiguous sets (e.g. "0-65535") cost one entry.  Lookups use binary
 * search.  parse() accepts the RFC 22 string form ("0-3,5,7-9", optionally
 * enclosed in "[...]"); encode() produces the canonical ranged form.
 * Nothing here throws (beyond std::bad_alloc from the standard library).
 */
#ifndef FLUX_COMMON_IDSET_IDSET_H
#define FLUX_COMMON_IDSET_IDSET_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flux {

class IdSet {
  public:
    /* Largest id accepted by parse(); the values above it are kept free
     * for use as sentinels.
     */
    static constexpr uint32_t max_id = UINT32_MAX - 2;

    IdSet() = default;

    /* Parse an RFC 22 idset string: "" (empty), "3", "0-3,5,7-9" or the
     * bracketed "[0-3,5]".  Elements may appear in any order and may
     * overlap; they are merged.  Whitespace, negative ids, reversed ranges,
     * empty elements, junk and ids > max_id are rejected: the result is
     * std::nullopt and, if err is non-null, *err names the problem and the
     * offending text, e.g. "idset: invalid range '5-3'".
     */
    static std::optional<IdSet> parse(std::string_view s, std::string *err = nullptr);

    /* The inclusive range [lo, hi]; empty if lo > hi. */
    static IdSet range(uint32_t lo, uint32_t hi);

    void insert(uint32_t id);
    void erase(uint32_t id);
    bool contains(uint32_t id) const;

    void insert(const IdSet &other); // union in place
    IdSet difference(const IdSet &other) const;
    IdSet intersect(const IdSet &other) const;

    size_t count() const;
    bool empty() const;
    std::optional<uint32_t> first() const;
    std::optional<uint32_t> last() const;

    /* Canonical ranged form, e.g. "0-3,5".  With brackets, "[...]" is added
     * only when the set holds more than one id.
     */
    std::string encode(bool brackets = false) const;

    std::vector<uint32_t> to_vector() const;

    /* Call f(id) for every id, ascending. */
    template <typename F> void for_each(F f) const
    {
        for (const auto &[lo, hi] : ranges_) {
            for (uint64_t id = lo; id <= hi; id++)
                f(static_cast<uint32_t>(id));
        }
    }

    bool operator==(const IdSet &) const = default;

  private:
    using Range = std::pair<uint32_t, uint32_t>; // inclusive [first, second]

    /* Sort and merge overlapping/adjacent ranges in v, in place. */
    static void normalize(std::vector<Range> &v);

    std::vector<Range> ranges_; // sorted, non-overlapping, non-adjacent
};

} // namespace flux

#endif // FLUX_COMMON_IDSET_IDSET_H
