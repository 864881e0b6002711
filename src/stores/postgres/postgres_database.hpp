// Internal: the engine behind every PostgresUserSessionStore partition of one database and
// schema: the io thread and the pool.
#pragma once

#include <gatehouse/stores/postgres_user_session_store.hpp>

#include "stores/postgres/postgres_job.hpp"
#include "stores/postgres/postgres_pool.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <thread>

namespace gatehouse {

class PostgresSessionDatabase {
 public:
  // Connects, checks (or migrates) the schema, then starts the io thread with that connection in
  // the pool. Throws StoreOpenError.
  explicit PostgresSessionDatabase(PostgresStoreOptions options);
  // Runs what is queued, closes the connections, joins the io thread.
  ~PostgresSessionDatabase();
  PostgresSessionDatabase(const PostgresSessionDatabase&) = delete;
  PostgresSessionDatabase& operator=(const PostgresSessionDatabase&) = delete;

  // Runs `statement` and resumes the caller on its own executor with `decode(rows)` (a
  // StoreResult<R>) or the error. Pass a named lambda: g++ 12 destroys capturing lambda
  // temporaries in a co_await twice.
  template <class R, class Decode>
  boost::asio::awaitable<StoreResult<R>> execute(postgres::Statement statement,
                                                 postgres::Params params, Decode decode) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(StoreResult<R>)>(
        [this, statement](auto handler, postgres::Params p, Decode d) {
          using Job = postgres::TypedJob<R, Decode, decltype(handler)>;
          auto job =
              std::make_shared<Job>(statement, std::move(p), std::move(d), std::move(handler));
          pool_->attach(*job);
          job->connect_cancellation();
          pool_->submit(std::move(job));
        },
        boost::asio::use_awaitable, std::move(params), std::move(decode));
  }

  // For tests: returns once every operation cancelled while it ran on the server has ended, and
  // every cancel request has been taken by the server.
  void wait_for_cancellations();

 private:
  PostgresStoreOptions options_;
  postgres::ConnectionParameters parameters_;
  boost::asio::io_context io_{1};
  std::unique_ptr<postgres::Pool> pool_;
  std::thread thread_;
};

}  // namespace gatehouse
