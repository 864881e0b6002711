// The request id: a sane X-Request-Id is kept, anything else (absent, duplicated, too long,
// spaces or control characters) gets a fresh random id.
#include "http/request_id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gatehouse::http {
namespace {

Request with_ids(std::initializer_list<std::string> ids) {
  Request r;
  for (const auto& id : ids) r.headers.emplace_back("x-request-id", id);
  return r;
}

bool fresh(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RequestId, SaneIdIsKept) {
  EXPECT_EQ(request_id_for(with_ids({"abc-123_XYZ.:/=+"})), "abc-123_XYZ.:/=+");
  EXPECT_EQ(request_id_for(with_ids({std::string(kMaxRequestIdLength, 'a')})),
            std::string(kMaxRequestIdLength, 'a'));
}

TEST(RequestId, AnythingElseIsReplaced) {
  for (const auto& bad :
       {std::string(), std::string(kMaxRequestIdLength + 1, 'a'), std::string("has space"),
        std::string("tab\there"), std::string("new\nline"), std::string("caf\xc3\xa9"),
        std::string("del\x7f")}) {
    const auto id = request_id_for(with_ids({bad}));
    EXPECT_TRUE(fresh(id)) << id;
    EXPECT_NE(id, bad);
  }
  EXPECT_TRUE(fresh(request_id_for(with_ids({}))));
  EXPECT_TRUE(fresh(request_id_for(with_ids({"one", "two"})))) << "two ids: which one to trust?";
}

TEST(RequestId, FreshIdsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(new_request_id());
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace gatehouse::http
