// Typed outcomes of user session store operations. Every store reports expected outcomes with
// these codes (never by message text); callers compare with `ec == gatehouse::StoreErrc::...`.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <system_error>
#include <type_traits>

namespace gatehouse {

enum class StoreErrc {
  not_found = 1,        // update of a key that does not exist (nothing was created)
  conflict,             // create of a key that already exists (the stored session is unchanged)
  invalid_argument,     // empty/oversized key or id, empty filter, foreign partition key
  unavailable,          // the backing store cannot be reached or written (disk, network, lock)
  cancelled,            // the operation was cancelled before it took effect
  corrupt,              // the backing database is damaged or not a gatehouse database
  unsupported_version,  // the database was written by a newer schema version
};

const boost::system::error_category& store_category() noexcept;

inline boost::system::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

// The result of a store operation: a value, or an error_code of store_category().
template <class T>
using StoreResult = boost::system::result<T, boost::system::error_code>;

}  // namespace gatehouse

template <>
struct boost::system::is_error_code_enum<gatehouse::StoreErrc> : std::true_type {};
