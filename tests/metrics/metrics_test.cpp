// The metrics registry: the text exposition format (HELP/TYPE, label escaping, cumulative
// histogram buckets with +Inf, _sum and _count), re-registration, bounded children, and counting
// from several threads at once.
#include "metrics/metrics.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/session_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

namespace gatehouse::metrics {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricsRender, CounterWithHelpAndType) {
  Registry r;
  auto& c = r.counter("demo_total", "What it counts.\nSecond line \\ end.");
  c.inc();
  c.inc(41);
  EXPECT_EQ(r.render(),
            "# HELP demo_total What it counts.\\nSecond line \\\\ end.\n"
            "# TYPE demo_total counter\n"
            "demo_total 42\n");
}

TEST(MetricsRender, LabelValuesAreEscaped) {
  Registry r;
  auto& family = r.counter_family("odd_total", "Odd labels.", {"value"});
  family.with({"a\"b\\c\nd"}).inc(3);
  EXPECT_TRUE(contains(r.render(), "odd_total{value=\"a\\\"b\\\\c\\nd\"} 3\n")) << r.render();
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");
}

TEST(MetricsRender, ChildrenInLabelOrderAndFamiliesInRegistrationOrder) {
  Registry r;
  auto& requests = r.counter_family("req_total", "Requests.", {"route", "code"});
  requests.with({"bff", "500"}).inc();
  requests.with({"api", "200"}).inc(2);
  requests.with({"bff", "200"}).inc(3);
  r.gauge("zz_gauge", "A gauge.").set(-1.5);
  EXPECT_EQ(r.render(),
            "# HELP req_total Requests.\n# TYPE req_total counter\n"
            "req_total{route=\"api\",code=\"200\"} 2\n"
            "req_total{route=\"bff\",code=\"200\"} 3\n"
            "req_total{route=\"bff\",code=\"500\"} 1\n"
            "# HELP zz_gauge A gauge.\n# TYPE zz_gauge gauge\nzz_gauge -1.5\n");
}

TEST(MetricsRender, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  const double bounds[] = {0.1, 1, 10};
  auto& h = r.histogram_family("lat_seconds", "Latency.", {"op"}, bounds).with({"get"});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counted in that bucket (le = less or equal)
  h.observe(0.5);
  h.observe(20);
  EXPECT_EQ(r.render(),
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "lat_seconds_bucket{op=\"get\",le=\"10\"} 3\n"
            "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{op=\"get\"} 20.65\n"
            "lat_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsRender, UnlabelledHistogramAndDurations) {
  Registry r;
  auto& h = r.histogram("d_seconds", "Durations.");
  h.observe(std::chrono::milliseconds(3));
  const auto text = r.render();
  EXPECT_TRUE(contains(text, "d_seconds_bucket{le=\"0.0025\"} 0\n")) << text;
  EXPECT_TRUE(contains(text, "d_seconds_bucket{le=\"0.005\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "d_seconds_bucket{le=\"+Inf\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "d_seconds_count 1\n")) << text;
}

TEST(MetricsRender, SpecialValues) {
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e21), "1e+21");
}

TEST(MetricsRegistry, SameNameGivesTheSameMetric) {
  Registry r;
  auto& a = r.counter("x_total", "X.");
  auto& b = r.counter("x_total", "X again.");
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.gauge("x_total", "X."), std::logic_error);
  EXPECT_THROW(r.counter_family("x_total", "X.", {"l"}), std::logic_error);
  const double other[] = {1, 2};
  r.histogram("h_seconds", "H.");
  EXPECT_THROW(r.histogram("h_seconds", "H.", other), std::logic_error);
}

TEST(MetricsRegistry, InvalidNamesAndLabelsAreRefused) {
  Registry r;
  EXPECT_THROW(r.counter("1abc", "."), std::invalid_argument);
  EXPECT_THROW(r.counter("a-b", "."), std::invalid_argument);
  EXPECT_THROW(r.counter_family("ok_total", ".", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.counter_family("ok_total", ".", {"__x"}), std::invalid_argument);
  EXPECT_THROW(r.counter_family("ok_total", ".", {"a", "a"}), std::invalid_argument);
  const double unsorted[] = {1, 0.5};
  EXPECT_THROW(r.histogram("bad_seconds", ".", unsorted), std::invalid_argument);
  auto& f = r.counter_family("two_total", ".", {"a", "b"});
  EXPECT_THROW(f.with({"only one"}), std::invalid_argument);
  EXPECT_EQ(r.render().find("bad_seconds"), std::string::npos);
}

TEST(MetricsRegistry, ChildrenAreBounded) {
  Registry r;
  auto& f = r.counter_family("many_total", ".", {"v"});
  for (std::size_t i = 0; i < kMaxChildren + 50; ++i) f.with({std::to_string(i)}).inc();
  const auto text = r.render();
  EXPECT_TRUE(contains(text, "many_total{v=\"_overflow\"} 50\n")) << text.substr(text.size() - 200);
}

TEST(MetricsRegistry, CallbacksAreReadWhenScraped) {
  Registry r;
  double value = 1;
  r.callback("cb_value", "A callback.", Type::gauge, [&value] { return value; });
  EXPECT_TRUE(contains(r.render(), "cb_value 1\n"));
  value = 2.5;
  EXPECT_TRUE(contains(r.render(), "cb_value 2.5\n"));
}

TEST(MetricsThreads, CountersAndHistogramsAddUpAcrossThreads) {
  Registry r;
  auto& counter = r.counter("t_total", ".");
  auto& labelled = r.counter_family("tl_total", ".", {"k"});
  const double bounds[] = {0.5};
  auto& hist = r.histogram("t_seconds", ".", bounds);
  constexpr int kThreads = 8;
  constexpr int kEach = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto& mine = labelled.with({t % 2 ? "odd" : "even"});
      for (int i = 0; i < kEach; ++i) {
        counter.inc();
        mine.inc();
        hist.observe(i % 2 ? 0.25 : 1.0);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(labelled.with({"odd"}).value(), std::uint64_t{kThreads / 2} * kEach);
  const auto snap = hist.snapshot();
  EXPECT_EQ(snap.count, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(snap.cumulative[0], std::uint64_t{kThreads} * kEach / 2);
  EXPECT_DOUBLE_EQ(snap.sum, kThreads * (kEach / 2) * 1.25);
}

TEST(MetricsThreads, ScrapingWhileCountingIsSafe) {
  Registry r;
  auto& f = r.counter_family("s_total", ".", {"n"});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) f.with({std::to_string(i % 100)}).inc();
  });
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(contains(r.render(), "# TYPE s_total counter"));
  stop = true;
  writer.join();
}

TEST(SessionMetrics, CountsEventsByReasonAndCount) {
  Registry r;
  SessionMetrics sink(r);
  events::SessionEvent started;
  started.kind = events::EventKind::session_started;
  sink.publish(started);
  events::SessionEvent ended;
  ended.kind = events::EventKind::session_ended;
  ended.reason = events::EndReason::expired;
  ended.count = 7;
  sink.publish(ended);
  ended.reason = events::EndReason::limit;
  ended.count = 1;
  sink.publish(ended);
  const auto text = r.render();
  EXPECT_TRUE(contains(text, "gatehouse_sessions_started_total 1\n")) << text;
  EXPECT_TRUE(contains(text, "gatehouse_sessions_ended_total{reason=\"expired\"} 7\n")) << text;
  EXPECT_TRUE(contains(text, "gatehouse_sessions_ended_total{reason=\"limit\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "gatehouse_sessions_ended_total{reason=\"logout\"} 0\n")) << text;
}

TEST(ProcessMetrics, ProcStatLine) {
  // comm with spaces and a ')' of its own; fields 14, 15, 20, 22 are utime, stime, threads, start.
  const std::string line =
      "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 6 0 98765 "
      "1000000 500 18446744073709551615\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->user_ticks, 250);
  EXPECT_EQ(stat->system_ticks, 50);
  EXPECT_EQ(stat->threads, 6);
  EXPECT_EQ(stat->start_ticks, 98765);
  EXPECT_FALSE(parse_proc_stat("garbage"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3"));
}

TEST(ProcessMetrics, OwnProcessFigures) {
  Registry r;
  register_process_metrics(r);
  const auto text = r.render();
  for (const auto* name :
       {"process_resident_memory_bytes ", "process_open_fds ", "process_threads ",
        "process_start_time_seconds ", "process_cpu_seconds_total ", "process_max_fds "}) {
    const auto at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << "\n" << text;
    const auto value = text.substr(at + 1 + std::strlen(name), 3);
    EXPECT_NE(value, "NaN") << name;
  }
  EXPECT_TRUE(contains(text, "process_threads 1\n") || !contains(text, "process_threads 0\n"));
}

}  // namespace
}  // namespace gatehouse::metrics
