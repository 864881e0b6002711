// Typed outcomes of user session store operations. Every store reports expected outcomes with
// these codes (never by message text); callers compare with `ec == gatehouse::StoreErrc::...`.
#pragma once

#include <gatehouse/error_enum.hpp>

#include <boost/system/system_error.hpp>

#include <string>

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

template <>
struct ErrorEnum<StoreErrc> {
  static constexpr const char* name = "gatehouse.store";
  static constexpr const char* unknown = "unknown store error";
  static constexpr ErrorMessage<StoreErrc> messages[] = {
      {StoreErrc::not_found, "user session not found"},
      {StoreErrc::conflict, "a user session with this key already exists"},
      {StoreErrc::invalid_argument, "invalid argument"},
      {StoreErrc::unavailable, "user session store unavailable"},
      {StoreErrc::cancelled, "operation cancelled"},
      {StoreErrc::corrupt, "user session database is corrupt or not a gatehouse database"},
      {StoreErrc::unsupported_version, "user session database was written by a newer gatehouse"},
  };
};

// The result of a store operation: a value, or an error_code (a StoreErrc).
template <class T>
using StoreResult = boost::system::result<T, boost::system::error_code>;

// A store could not be opened (thrown by constructors and factories): code() is a StoreErrc
// (unavailable, corrupt, unsupported_version, invalid_argument) and what() names the database
// and the problem, never a password.
class StoreOpenError : public boost::system::system_error {
 public:
  StoreOpenError(boost::system::error_code ec, const std::string& what)
      : boost::system::system_error(ec, what) {}
};

}  // namespace gatehouse
