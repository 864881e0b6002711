// One error idiom for every area. Where a code says it all, return
// boost::system::result<T, boost::system::error_code>; where a reason must travel with the failure
// for the log (a provider's answer, why a token was refused), return Outcome<T> = code + detail,
// never a process-wide "last error". Callers compare codes, never messages or details.
//
// An area declares its codes as an enum (values from 1), then specialises ErrorEnum; `unknown` is
// the message for a value the table lacks:
//
//   namespace gatehouse::jose {
//   enum class JoseErrc { malformed = 1, too_large };
//   using gatehouse::make_error_code;  // for ADL
//   }
//   template <>
//   struct gatehouse::ErrorEnum<gatehouse::jose::JoseErrc> {
//     static constexpr const char* name = "gatehouse.jose";
//     static constexpr const char* unknown = "unknown JOSE error";
//     static constexpr ErrorMessage<jose::JoseErrc> messages[] = {
//         {jose::JoseErrc::malformed, "malformed JOSE object"}, ...};
//   };
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace gatehouse {

template <class E>
struct ErrorMessage {
  E value;
  const char* text;
};

// Specialise with name, unknown and messages (see above); the primary template means "not one".
template <class E>
struct ErrorEnum {};

template <class E>
concept ErrorCodeEnum = std::is_enum_v<E> && requires {
  { ErrorEnum<E>::name } -> std::convertible_to<const char*>;
  { ErrorEnum<E>::unknown } -> std::convertible_to<const char*>;
  ErrorEnum<E>::messages;
};

namespace detail {

// Identity by name rather than by address, so a category is one category even when a plugin
// (a custom store in a shared object) carries its own copy of this header's statics.
constexpr std::uint64_t category_id(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325;  // FNV-1a
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3;
  return hash;
}

template <ErrorCodeEnum E>
class EnumCategory final : public boost::system::error_category {
 public:
  constexpr EnumCategory() noexcept : error_category(category_id(ErrorEnum<E>::name)) {}

  const char* name() const noexcept override { return ErrorEnum<E>::name; }

  std::string message(int ev) const override {
    for (const auto& [value, text] : ErrorEnum<E>::messages)
      if (static_cast<int>(value) == ev) return text;
    return ErrorEnum<E>::unknown;
  }
};

}  // namespace detail

template <ErrorCodeEnum E>
const boost::system::error_category& error_category_of() noexcept {
  static const detail::EnumCategory<E> category;
  return category;
}

// Found by ADL in namespace gatehouse; areas in nested namespaces add `using
// gatehouse::make_error_code;` beside their enum.
template <ErrorCodeEnum E>
boost::system::error_code make_error_code(E e) noexcept {
  return {static_cast<int>(e), error_category_of<E>()};
}

// A failure with the reason for the log: provider error codes and descriptions, HTTP statuses,
// validation reasons. Never a secret, a code or a token.
struct Failure {
  boost::system::error_code code;
  std::string detail;
};

// Lets Outcome<T>::value() throw a boost::system::system_error carrying code and detail.
[[noreturn]] inline void throw_exception_from_error(const Failure& failure,
                                                    const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(failure.code, failure.detail), location);
}

template <class T>
using Outcome = boost::system::result<T, Failure>;

}  // namespace gatehouse

template <gatehouse::ErrorCodeEnum E>
struct boost::system::is_error_code_enum<E> : std::true_type {};
