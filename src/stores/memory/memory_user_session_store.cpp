#include <gatehouse/session/store_support.hpp>
#include <gatehouse/session/user_session_validation.hpp>
#include <gatehouse/stores/memory_user_session_store.hpp>

#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace gatehouse {
namespace {

// (partition, value): every index is scoped by partition so partitions never meet.
using Scoped = std::pair<std::string, std::string>;

struct ScopedHash {
  std::size_t operator()(const Scoped& s) const noexcept {
    auto h = std::hash<std::string>{}(s.first);
    return h ^ (std::hash<std::string>{}(s.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

using KeySet = std::set<std::string>;
using ExpiryIndex = std::set<std::tuple<std::string, Timestamp, std::string>>;

}  // namespace

class InMemorySessionDatabase {
 public:
  std::mutex mutex;
  std::map<Scoped, UserSession> sessions;  // ordered: listing walks a partition in key order
  std::unordered_map<Scoped, KeySet, ScopedHash> by_subject;
  std::unordered_map<Scoped, KeySet, ScopedHash> by_session_id;
  ExpiryIndex by_expiry;  // only sessions that have an expiry

  void index(const UserSession& s) {
    by_subject[{s.partition_key, s.subject_id}].insert(s.key);
    if (s.session_id) by_session_id[{s.partition_key, *s.session_id}].insert(s.key);
    if (s.expires) by_expiry.emplace(s.partition_key, *s.expires, s.key);
  }

  void unindex(const UserSession& s) {
    erase_from(by_subject, {s.partition_key, s.subject_id}, s.key);
    if (s.session_id) erase_from(by_session_id, {s.partition_key, *s.session_id}, s.key);
    if (s.expires) by_expiry.erase({s.partition_key, *s.expires, s.key});
  }

  // Keys of the partition matching the filter (already validated: at least one id is set).
  std::vector<std::string> matching(const std::string& partition, const UserSessionsFilter& f) {
    const bool by_sub = f.subject_id.has_value();
    const auto& index = by_sub ? by_subject : by_session_id;
    auto it = index.find({partition, by_sub ? *f.subject_id : *f.session_id});
    std::vector<std::string> keys;
    if (it == index.end()) return keys;
    for (const auto& key : it->second) {
      if (by_sub && f.session_id) {
        const auto& s = sessions.at({partition, key});
        if (s.session_id != f.session_id) continue;
      }
      keys.push_back(key);
    }
    return keys;
  }

  void erase(const std::string& partition, const std::string& key) {
    auto it = sessions.find({partition, key});
    if (it == sessions.end()) return;
    unindex(it->second);
    sessions.erase(it);
  }

 private:
  static void erase_from(std::unordered_map<Scoped, KeySet, ScopedHash>& index, const Scoped& at,
                         const std::string& key) {
    auto it = index.find(at);
    if (it == index.end()) return;
    it->second.erase(key);
    if (it->second.empty()) index.erase(it);
  }
};

std::shared_ptr<InMemorySessionDatabase> make_in_memory_session_database() {
  return std::make_shared<InMemorySessionDatabase>();
}

InMemoryUserSessionStore::InMemoryUserSessionStore(InMemoryUserSessionStoreOptions options)
    : partition_(std::move(options.partition)),
      clock_(options.clock ? std::move(options.clock) : system_clock()),
      database_(options.database ? std::move(options.database)
                                 : make_in_memory_session_database()) {
  if (validate_partition_key(partition_))
    throw std::invalid_argument("session partition is longer than 200 bytes");
}

InMemoryUserSessionStore::InMemoryUserSessionStore(const UserSessionStoreContext& context)
    : InMemoryUserSessionStore(
          InMemoryUserSessionStoreOptions{context.partition, context.clock, {}}) {}

InMemoryUserSessionStore::~InMemoryUserSessionStore() = default;

std::shared_ptr<UserSessionStore> InMemoryUserSessionStore::open_partition(std::string partition) {
  return std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{std::move(partition), clock_, database_});
}

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
InMemoryUserSessionStore::get_user_session(std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  auto it = database_->sessions.find({partition_, key});
  if (it == database_->sessions.end()) co_return std::optional<UserSession>{};
  co_return std::optional<UserSession>{it->second};
}

boost::asio::awaitable<StoreResult<void>> InMemoryUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = validate_new_session(session, partition_)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  session.partition_key = partition_;
  session.version = 1;
  std::lock_guard lock(database_->mutex);
  // A provider session (sid) maps to one gatehouse session per partition, as in the SQL schema.
  if (session.session_id && database_->by_session_id.contains({partition_, *session.session_id}))
    co_return StoreErrc::conflict;
  auto [it, inserted] = database_->sessions.try_emplace({partition_, session.key}, session);
  if (!inserted) co_return StoreErrc::conflict;
  database_->index(it->second);
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<void>> InMemoryUserSessionStore::update_user_session(
    std::string key, UserSessionUpdate update) {
  if (auto ec = validate_key(key)) co_return ec;
  if (auto ec = validate_update(update)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  auto it = database_->sessions.find({partition_, key});
  if (it == database_->sessions.end()) co_return StoreErrc::not_found;
  UserSession& s = it->second;
  if (!version_matches(s, update)) co_return StoreErrc::conflict;
  if (update.session_id && update.session_id != s.session_id &&
      database_->by_session_id.contains({partition_, *update.session_id}))
    co_return StoreErrc::conflict;
  database_->unindex(s);
  apply_update(s, std::move(update));
  database_->index(s);
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<void>> InMemoryUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  database_->erase(partition_, key);
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
InMemoryUserSessionStore::get_user_sessions(UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  std::vector<UserSession> found;
  for (const auto& key : database_->matching(partition_, filter))
    found.push_back(database_->sessions.at({partition_, key}));
  co_return found;
}

boost::asio::awaitable<StoreResult<std::size_t>> InMemoryUserSessionStore::delete_user_sessions(
    UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  auto keys = database_->matching(partition_, filter);
  for (const auto& key : keys) database_->erase(partition_, key);
  co_return keys.size();
}

boost::asio::awaitable<StoreResult<UserSessionPage>> InMemoryUserSessionStore::list_user_sessions(
    UserSessionPageRequest page) {
  if (auto ec = validate_page_request(page)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(database_->mutex);
  auto& sessions = database_->sessions;
  // Keys are never empty, so ("partition", "") sorts before the partition's first session.
  auto it = sessions.upper_bound({partition_, page.after.value_or("")});
  UserSessionPage out;
  for (; it != sessions.end() && it->first.first == partition_; ++it) {
    if (out.sessions.size() == page.limit) {
      out.next = out.sessions.back().key;
      break;
    }
    out.sessions.push_back(it->second);
  }
  co_return out;
}

boost::asio::awaitable<StoreResult<std::size_t>> InMemoryUserSessionStore::delete_expired_sessions(
    DeleteExpiredOptions options) {
  const Timestamp now = clock_();
  // Batches keep the lock short so readers are never starved by a large cleanup.
  auto batch = [this, now, limit = options.batch_size,
                report = static_cast<bool>(
                    options.on_removed)]() -> boost::asio::awaitable<StoreResult<ExpiredBatch>> {
    ExpiredBatch out;
    std::lock_guard lock(database_->mutex);
    auto& index = database_->by_expiry;
    auto it = index.lower_bound({partition_, Timestamp::min(), std::string{}});
    while (out.count < limit && it != index.end() && std::get<0>(*it) == partition_ &&
           std::get<1>(*it) < now) {
      auto key = std::get<2>(*it++);
      if (report) {
        const auto& s = database_->sessions.at({partition_, key});
        out.sessions.push_back({s.key, s.subject_id, s.session_id, s.expires});
      }
      database_->erase(partition_, key);
      ++out.count;
    }
    co_return out;
  };
  co_return co_await remove_expired_in_batches(std::move(options), std::move(batch));
}

}  // namespace gatehouse
