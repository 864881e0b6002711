#include "stores/postgres/postgres_side_thread.hpp"

#include "posix/thread_name.hpp"

namespace gatehouse::postgres {

SideThread::SideThread(std::chrono::milliseconds grace)
    : state_(std::make_shared<State>()), grace_(grace), thread_(&SideThread::loop, state_) {}

SideThread::~SideThread() {
  std::unique_lock lock(state_->mutex);
  state_->stopping = true;
  state_->abandoned = true;
  state_->queue.clear();
  state_->changed.notify_all();
  const bool idle = state_->changed.wait_for(lock, grace_, [this] { return !state_->busy; });
  lock.unlock();
  if (idle)
    thread_.join();
  else
    thread_.detach();  // it holds the state and its task, nothing of the engine's
}

void SideThread::run(std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->abandoned) return;
    state_->queue.push_back({std::move(work), std::move(done)});
  }
  state_->changed.notify_all();
}

void SideThread::abandon() {
  std::lock_guard lock(state_->mutex);
  state_->abandoned = true;
  state_->queue.clear();
}

void SideThread::loop(std::shared_ptr<State> state) {
  posix::name_this_thread("gh-pg-side");
  std::unique_lock lock(state->mutex);
  for (;;) {
    state->changed.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
    if (state->queue.empty()) return;
    auto task = std::move(state->queue.front());
    state->queue.pop_front();
    state->busy = true;
    lock.unlock();
    task.work();
    lock.lock();
    state->busy = false;
    state->changed.notify_all();
    // Under the lock, so that abandon() returning means no `done` runs any more.
    if (!state->abandoned && task.done) task.done();
  }
}

}  // namespace gatehouse::postgres
