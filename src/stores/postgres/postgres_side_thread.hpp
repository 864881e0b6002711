// Internal: a thread for the libpq calls that block (PQconnectdbParams, PQcancel), so the io
// thread never does. Connecting resolves the host name (getaddrinfo blocks, and libpq 15 offers
// nothing else) and runs the TLS and authentication handshakes; PQcancel opens a connection of
// its own and waits until the server has signalled the backend. Both are rare: the pool's
// reconnects and the callers' cancellations.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace gatehouse::postgres {

class SideThread {
 public:
  explicit SideThread(std::chrono::milliseconds grace);
  // Waits up to `grace` for the call in progress (a server that stopped answering can hold one
  // for long); past that, the thread finishes it alone and reports to nobody.
  ~SideThread();
  SideThread(const SideThread&) = delete;
  SideThread& operator=(const SideThread&) = delete;

  // Runs `work` on the thread, then `done` (also there), unless abandoned by then. `work` must
  // own what it uses: it may outlive the engine.
  void run(std::function<void()> work, std::function<void()> done);
  // From now on nothing starts and no `done` is called (the engine is shutting down); once this
  // returns, no `done` runs any more.
  void abandon();

 private:
  struct Task {
    std::function<void()> work;
    std::function<void()> done;
  };
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Task> queue;
    bool busy = false;
    bool stopping = false;
    bool abandoned = false;
  };
  static void loop(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
  std::chrono::milliseconds grace_;
  std::thread thread_;
};

}  // namespace gatehouse::postgres
