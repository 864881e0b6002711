#include "metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace gatehouse::metrics {
namespace detail {

std::size_t shard_index() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

}  // namespace detail
namespace {

constexpr double kDurationBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

void check_name(std::string_view name, bool metric) {
  bool ok = !name.empty();
  for (std::size_t i = 0; ok && i < name.size(); ++i) ok = name_char(name[i], i == 0, metric);
  if (!metric && ok) ok = name != "le" && !name.starts_with("__");
  if (!ok)
    throw std::invalid_argument(std::string(metric ? "metric" : "label") + " name \"" +
                                std::string(name) + "\" is not valid");
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"` without the closing brace, or empty when there are no labels and no `extra`.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  out += '}';
}

void sample(std::string& out, std::string_view name, std::string_view suffix,
            const std::vector<std::string>& names, const std::vector<std::string>& values,
            std::string_view value, std::string_view extra = {}) {
  out += name;
  out += suffix;
  append_labels(out, names, values, extra);
  out += ' ';
  out += value;
  out += '\n';
}

// A value read at scrape time (process figures).
class CallbackFamily final : public FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, Type type, std::function<double()> read)
      : FamilyBase(std::move(name), std::move(help), type, {}), read_(std::move(read)) {}
  void replace(std::function<double()> read) {
    std::lock_guard lock(mutex_);
    read_ = std::move(read);
  }

 private:
  void render_samples(std::string& out) const override {
    std::function<double()> read;
    {
      std::lock_guard lock(mutex_);
      read = read_;
    }
    const double value = read ? read() : std::nan("");
    sample(out, name(), "", {}, {}, format_value(value));
  }
  mutable std::mutex mutex_;
  std::function<double()> read_;
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc{}) return "NaN";
  return std::string(buffer, end);
}

std::uint64_t Counter::value() const noexcept {
  std::uint64_t total = 0;
  for (const auto& cell : cells_) total += cell.value.load(std::memory_order_relaxed);
  return total;
}

std::span<const double> duration_buckets() {
  return kDurationBuckets;
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      lines_per_shard_((bounds.size() + 1 + 7) / 8),
      lines_(detail::kShards * lines_per_shard_) {
  for (std::size_t i = 0; i < bounds_.size(); ++i)
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
}

void Histogram::observe(double value) noexcept {
  const std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  const std::size_t shard = detail::shard_index();
  lines_[shard * lines_per_shard_ + bucket / 8].v[bucket % 8].fetch_add(1,
                                                                        std::memory_order_relaxed);
  sums_[shard].v.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  const std::size_t buckets = bounds_.size() + 1;
  out.cumulative.assign(buckets, 0);
  for (std::size_t shard = 0; shard < detail::kShards; ++shard) {
    for (std::size_t b = 0; b < buckets; ++b)
      out.cumulative[b] +=
          lines_[shard * lines_per_shard_ + b / 8].v[b % 8].load(std::memory_order_relaxed);
    out.sum += sums_[shard].v.load(std::memory_order_relaxed);
  }
  for (std::size_t b = 1; b < buckets; ++b) out.cumulative[b] += out.cumulative[b - 1];
  out.count = out.cumulative.back();
  return out;
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}

void FamilyBase::render(std::string& out) const {
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + std::string(type_name(type_)) + "\n";
  render_samples(out);
}

template <class Metric>
Metric& Family<Metric>::with(std::span<const std::string_view> values) {
  if (values.size() != label_names().size())
    throw std::invalid_argument("metric " + name() + " takes " +
                                std::to_string(label_names().size()) + " label value(s), got " +
                                std::to_string(values.size()));
  std::vector<std::string> key(values.begin(), values.end());
  std::lock_guard lock(mutex_);
  if (auto it = children_.find(key); it != children_.end()) return *it->second;
  if (children_.size() >= kMaxChildren) {
    key.assign(values.size(), "_overflow");
    if (auto it = children_.find(key); it != children_.end()) return *it->second;
  }
  auto& child = children_[std::move(key)];
  child = make_();
  return *child;
}

template <>
void Family<Counter>::render_samples(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_)
    sample(out, name(), "", label_names(), values, std::to_string(child->value()));
}

template <>
void Family<Gauge>::render_samples(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_)
    sample(out, name(), "", label_names(), values, format_value(child->value()));
}

template <>
void Family<Histogram>::render_samples(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_) {
    const auto snap = child->snapshot();
    const auto bounds = child->bounds();
    for (std::size_t b = 0; b < snap.cumulative.size(); ++b) {
      const std::string le =
          "le=\"" + (b < bounds.size() ? format_value(bounds[b]) : std::string("+Inf")) + "\"";
      sample(out, name(), "_bucket", label_names(), values, std::to_string(snap.cumulative[b]), le);
    }
    sample(out, name(), "_sum", label_names(), values, format_value(snap.sum));
    sample(out, name(), "_count", label_names(), values, std::to_string(snap.count));
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class Metric>
Family<Metric>& Registry::family(std::string_view name, std::string_view help, Type type,
                                 std::vector<std::string> labels,
                                 std::function<std::unique_ptr<Metric>()> make,
                                 std::span<const double> bounds) {
  check_name(name, true);
  for (const auto& label : labels) check_name(label, false);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (std::count(labels.begin(), labels.end(), labels[i]) > 1)
      throw std::invalid_argument("metric " + std::string(name) + " repeats label " + labels[i]);
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() != name) continue;
    auto* same = dynamic_cast<Family<Metric>*>(existing.get());
    const auto known = bounds_.find(name);
    const bool same_bounds =
        known == bounds_.end() ||
        std::equal(known->second.begin(), known->second.end(), bounds.begin(), bounds.end());
    if (!same || existing->type() != type || existing->label_names() != labels || !same_bounds)
      throw std::logic_error("metric " + std::string(name) +
                             " is already registered with another type, labels or buckets");
    return *same;
  }
  auto created = std::make_unique<Family<Metric>>(std::string(name), std::string(help), type,
                                                  std::move(labels), std::move(make));
  auto& out = *created;
  families_.push_back(std::move(created));
  if (type == Type::histogram)
    bounds_.emplace(std::string(name), std::vector(bounds.begin(), bounds.end()));
  return out;
}

Counter& Registry::counter(std::string_view name, std::string_view help) {
  return counter_family(name, help, {}).with({});
}

Family<Counter>& Registry::counter_family(std::string_view name, std::string_view help,
                                          std::vector<std::string> labels) {
  return family<Counter>(name, help, Type::counter, std::move(labels),
                         [] { return std::make_unique<Counter>(); }, {});
}

Gauge& Registry::gauge(std::string_view name, std::string_view help) {
  return gauge_family(name, help, {}).with({});
}

Family<Gauge>& Registry::gauge_family(std::string_view name, std::string_view help,
                                      std::vector<std::string> labels) {
  return family<Gauge>(name, help, Type::gauge, std::move(labels),
                       [] { return std::make_unique<Gauge>(); }, {});
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::span<const double> bounds) {
  return histogram_family(name, help, {}, bounds).with({});
}

Family<Histogram>& Registry::histogram_family(std::string_view name, std::string_view help,
                                              std::vector<std::string> labels,
                                              std::span<const double> bounds) {
  Histogram probe(bounds);  // validates the bounds before anything is registered
  std::vector<double> copy(bounds.begin(), bounds.end());
  return family<Histogram>(
      name, help, Type::histogram, std::move(labels),
      [copy = std::move(copy)] { return std::make_unique<Histogram>(copy); }, bounds);
}

void Registry::callback(std::string_view name, std::string_view help, Type type,
                        std::function<double()> read) {
  check_name(name, true);
  if (type == Type::histogram)
    throw std::invalid_argument("metric " + std::string(name) +
                                ": a callback cannot be a histogram");
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() != name) continue;
    auto* same = dynamic_cast<CallbackFamily*>(existing.get());
    if (!same || same->type() != type)
      throw std::logic_error("metric " + std::string(name) + " is already registered");
    same->replace(std::move(read));
    return;
  }
  families_.push_back(std::make_unique<CallbackFamily>(std::string(name), std::string(help), type,
                                                       std::move(read)));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) family->render(out);
  return out;
}

Registry& default_registry() {
  static Registry registry;
  return registry;
}

}  // namespace gatehouse::metrics
