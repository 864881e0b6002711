#include <gatehouse/session/store_error.hpp>

#include <string>

namespace gatehouse {
namespace {

class StoreCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatehouse.store"; }

  std::string message(int ev) const override {
    switch (static_cast<StoreErrc>(ev)) {
      case StoreErrc::not_found:
        return "user session not found";
      case StoreErrc::conflict:
        return "a user session with this key already exists";
      case StoreErrc::invalid_argument:
        return "invalid argument";
      case StoreErrc::unavailable:
        return "user session store unavailable";
      case StoreErrc::cancelled:
        return "operation cancelled";
      case StoreErrc::corrupt:
        return "user session database is corrupt or not a gatehouse database";
      case StoreErrc::unsupported_version:
        return "user session database was written by a newer gatehouse";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

}  // namespace gatehouse
