/* result.h - Result<T>: a value or an Error (errno-style code + text).
 *
 * The internal error channel of fluxd: functions that can fail return a
 * [[nodiscard]] Result instead of throwing or setting errno; the C API edge
 * turns an Error into -1/errno and a flux_error_t.
 */
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace flux {

struct Error {
    int errnum = EINVAL;
    std::string text;
};

inline Error make_error(int errnum, std::string text)
{
    return Error{errnum, std::move(text)};
}

template <typename T> class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T &value() { return std::get<0>(v_); }
    const T &value() const { return std::get<0>(v_); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool has_value() const { return !failed_; }
    explicit operator bool() const { return !failed_; }
    const Error &error() const { return error_; }

  private:
    Error error_;
    bool failed_ = false;
};

} // namespace flux
