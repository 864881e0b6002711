// The events of sessions a cleanup removed: one session_ended per session, named by sub, sid and
// public session id (never the store key), with the actor and origin given.
#include "tickets/expired_events.hpp"

#include "tickets/handle.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gatehouse::tickets {
namespace {

struct Recorder : events::SessionEventSink {
  std::vector<events::SessionEvent> seen;
  void publish(const events::SessionEvent& event) noexcept override { seen.push_back(event); }
};

TEST(ExpiredEvents, OneSessionEndedPerRemovedSessionNamedByItsPublicId) {
  events::SessionEvents fan;
  fan.set_partition("shop");
  auto recorder = std::make_shared<Recorder>();
  fan.subscribe(recorder);
  const std::vector<ExpiredSession> removed = {{"key-one-0123456789", "alice", "sid-1", {}},
                                               {"key-two-0123456789", "bob", std::nullopt, {}}};
  const events::RequestOrigin origin{"", "gatehouse-cli uid=0"};
  publish_expired(&fan, removed, events::Actor::admin, &origin);
  ASSERT_EQ(recorder->seen.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& e = recorder->seen[i];
    EXPECT_EQ(e.kind, events::EventKind::session_ended);
    EXPECT_EQ(e.partition, "shop");
    EXPECT_EQ(e.subject, removed[i].subject_id);
    EXPECT_EQ(e.sid, removed[i].session_id);
    EXPECT_EQ(e.session_id, public_session_id(removed[i].key));
    EXPECT_NE(e.session_id, removed[i].key);
    EXPECT_EQ(e.reason, events::EndReason::expired);
    EXPECT_EQ(e.actor, events::Actor::admin);
    EXPECT_EQ(e.user_agent, "gatehouse-cli uid=0");
    EXPECT_EQ(e.count, 1u);
  }
  publish_expired(&fan, {}, events::Actor::cleanup);
  EXPECT_EQ(recorder->seen.size(), 2u) << "nothing removed, nothing published";
  publish_expired(nullptr, removed, events::Actor::cleanup);  // no fan-out: nothing to do
}

}  // namespace
}  // namespace gatehouse::tickets
