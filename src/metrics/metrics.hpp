// Prometheus metrics: counters, gauges and histograms with label sets, rendered in the text
// exposition format 0.0.4. Recording is lock-free and cheap from any number of threads: every
// counter and histogram is split into per-thread shards (relaxed atomics on their own cache
// lines) that are summed only when scraped. Looking a labelled child up takes a mutex: resolve
// the children a hot path needs once (keep the reference; it lives as long as the registry),
// and look up per call only on rare paths.
//
// Registering from anywhere (as bff/backchannel.cpp does for gatehouse_backchannel_total):
//   static auto& family = metrics::default_registry().counter_family(
//       "gatehouse_backchannel_total", "Back-channel logout requests, by result.", {"result"});
//   family.with({"accepted"}).inc();
// A count kept elsewhere is read at scrape time with callback() instead, as the audit sinks'
// gatehouse_audit_file_dropped_total and gatehouse_audit_webhook_dropped_total are.
// Registering the same name again returns the same metric (same type, labels and buckets;
// anything else throws std::logic_error), so independent parts may each register what they use.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::metrics {

// What GET /metrics answers with.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Children a labelled family may hold; further label sets all land in one child whose label
// values are "_overflow", so a bug feeding unbounded values cannot exhaust memory.
inline constexpr std::size_t kMaxChildren = 1000;

namespace detail {
inline constexpr std::size_t kShards = 8;
// This thread's shard: threads are dealt shards round-robin on first use.
std::size_t shard_index() noexcept;
struct alignas(64) Cell {
  std::atomic<std::uint64_t> value{0};
};
}  // namespace detail

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    cells_[detail::shard_index()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept;

 private:
  std::array<detail::Cell, detail::kShards> cells_;
};

// A value that goes up and down (set, or add a signed amount).
class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds for durations in seconds: 0.5 ms to 10 s.
std::span<const double> duration_buckets();

class Histogram {
 public:
  // `bounds`: finite, strictly increasing upper bounds (the +Inf bucket is implicit).
  // Throws std::invalid_argument otherwise.
  explicit Histogram(std::span<const double> bounds);

  void observe(double value) noexcept;
  // In seconds.
  void observe(std::chrono::steady_clock::duration elapsed) noexcept {
    observe(std::chrono::duration<double>(elapsed).count());
  }

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  struct alignas(64) Line {
    std::array<std::atomic<std::uint64_t>, 8> v{};
  };
  struct alignas(64) Sum {
    std::atomic<double> v{0};
  };
  std::vector<double> bounds_;
  std::size_t lines_per_shard_;
  std::vector<Line> lines_;  // kShards * lines_per_shard_; bucket i of shard s in line s*lps+i/8
  std::array<Sum, detail::kShards> sums_;
};

enum class Type { counter, gauge, histogram };

// The part of a family the registry renders; see Family below.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labels);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return labels_; }
  // Appends `# HELP`, `# TYPE` and every sample.
  void render(std::string& out) const;

 protected:
  virtual void render_samples(std::string& out) const = 0;

 private:
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> labels_;
};

// A metric and its children by label values (in the order of the family's label names).
template <class Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
         std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
        make_(std::move(make)) {}

  // The child for these label values, created on first use. Throws std::invalid_argument when
  // the number of values differs from the number of label names.
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& with(std::span<const std::string_view> values);

 private:
  void render_samples(std::string& out) const override;

  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, std::less<>> children_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not "le", not
  // starting with "__"); std::invalid_argument otherwise.
  Counter& counter(std::string_view name, std::string_view help);
  Family<Counter>& counter_family(std::string_view name, std::string_view help,
                                  std::vector<std::string> labels);
  Gauge& gauge(std::string_view name, std::string_view help);
  Family<Gauge>& gauge_family(std::string_view name, std::string_view help,
                              std::vector<std::string> labels);
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::span<const double> bounds = duration_buckets());
  Family<Histogram>& histogram_family(std::string_view name, std::string_view help,
                                      std::vector<std::string> labels,
                                      std::span<const double> bounds = duration_buckets());
  // A value read when scraped (process figures); `type` counter or gauge. Registering the same
  // name again replaces the function.
  void callback(std::string_view name, std::string_view help, Type type,
                std::function<double()> read);

  // Every family in registration order, in the text exposition format 0.0.4.
  std::string render() const;

 private:
  template <class Metric>
  Family<Metric>& family(std::string_view name, std::string_view help, Type type,
                         std::vector<std::string> labels,
                         std::function<std::unique_ptr<Metric>()> make,
                         std::span<const double> bounds);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::vector<double>, std::less<>> bounds_;  // of each histogram family
};

// The process-wide registry: what the gateway serves on /metrics.
Registry& default_registry();

// Exposition-format pieces, exposed for tests.
std::string escape_label_value(std::string_view value);
std::string format_value(double value);

}  // namespace gatehouse::metrics
