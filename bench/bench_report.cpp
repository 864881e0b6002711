#include "bench_report.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <unistd.h>

namespace gatehouse::bench {

benchmark::ConsoleReporter::OutputOptions console_options() {
  return isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                               : benchmark::ConsoleReporter::OO_Tabular;
}

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const auto& run : runs) {
    if (run.run_type != Run::RT_Iteration) continue;
    const auto name = run.benchmark_name();
    const auto base = name.substr(0, name.find("/real_time"));
    if (auto it = run.counters.find("items_per_second"); it != run.counters.end())
      rate_[base] = it->second.value;
    if (auto it = run.counters.find("p99_ms"); it != run.counters.end()) {
      // The worst repetition's: a target met only on average is not met.
      auto [slot, fresh] = p99_ms_.try_emplace(base, it->second.value);
      if (!fresh) slot->second = std::max(slot->second, it->second.value);
    }
  }
}

void RatioReporter::Finalize() {
  struct Target {
    const char* what;
    std::string ours, baseline;
    double minimum;
  };
  std::vector<std::string> sizes;
  for (const auto& [name, rate] : rate_)
    if (name.rfind("baseline/get/", 0) == 0) sizes.push_back(name.substr(13));
  std::vector<Target> targets;
  for (const auto& n : sizes) {
    targets.push_back({"get", "sqlite/get/" + n, "baseline/get/" + n, 0.7});
    targets.push_back({"update", "sqlite/update/" + n, "baseline/update/" + n, 0.7});
    targets.push_back({"delete", "sqlite/delete/" + n, "baseline/delete/" + n, 0.7});
    targets.push_back(
        {"create (group commit vs autocommit)", "sqlite/create/" + n, "baseline/create/" + n, 2.0});
    targets.push_back(
        {"get by filter", "sqlite/get_by_filter/" + n, "baseline/get_by_filter/" + n, 0.0});
    targets.push_back({"delete by filter", "sqlite/delete_by_filter/" + n,
                       "baseline/delete_by_filter/" + n, 0.0});
    targets.push_back({"cleanup (batched delete of expired)", "sqlite/cleanup/" + n,
                       "baseline/cleanup/" + n, 1.0});
  }
  std::printf("\n%-40s %8s %14s %14s %8s %8s\n", "ratio vs raw sqlite3 baseline", "size", "ours/s",
              "baseline/s", "ratio", "target");
  for (const auto& t : targets) {
    auto o = rate_.find(t.ours), b = rate_.find(t.baseline);
    if (o == rate_.end() || b == rate_.end() || b->second == 0) continue;
    const double ratio = o->second / b->second;
    const auto size = t.ours.substr(t.ours.rfind('/') + 1);
    std::printf("%-40s %8s %14.0f %14.0f %8.2f %8s %s\n", t.what, size.c_str(), o->second,
                b->second, ratio,
                t.minimum > 0 ? (">=" + std::to_string(t.minimum).substr(0, 3)).c_str() : "-",
                t.minimum > 0 ? (ratio >= t.minimum ? "ok" : "MISSED") : "");
  }
  if (sizes.size() >= 2) {
    const auto& small = sizes.back() == "1000000" ? sizes.front() : sizes.back();
    const std::string large = "1000000";
    auto r = [&](const std::string& n) { return rate_.count(n) ? rate_[n] : 0.0; };
    const double ours = r("sqlite/get/" + large) / r("sqlite/get/" + small);
    const double base = r("baseline/get/" + large) / r("baseline/get/" + small);
    if (ours > 0 && base > 0)
      std::printf("%-40s %8s %14.2f %14.2f %8.2f %8s %s\n", "get 1M relative to 10k", "", ours,
                  base, ours / base, ">=1.0", ours / base >= 1.0 ? "ok" : "MISSED");
  }
  for (const auto& [name, p99] : p99_ms_)
    std::printf("%-40s %8s %11.2f ms %14s %8s %8s %s\n",
                ("worst p99 of gets during " + name).c_str(), "", p99, "", "", "<=5ms",
                p99 <= 5.0 ? "ok" : "MISSED");
  ConsoleReporter::Finalize();
}

void BackchannelReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const auto& run : runs) {
    if (run.run_type != Run::RT_Iteration) continue;
    const auto name = run.benchmark_name();
    Figures f;
    f.mean_us = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e6;
    if (auto it = run.counters.find("p50_us"); it != run.counters.end())
      f.p50_us = it->second.value;
    if (auto it = run.counters.find("p99_us"); it != run.counters.end())
      f.p99_us = it->second.value;
    figures_[name.substr(0, name.find("/manual_time"))].push_back(f);
  }
}

void BackchannelReporter::Finalize() {
  std::map<std::string, Figures> medians;
  for (const auto& [name, runs] : figures_) {
    auto median = [&runs](double Figures::*field) {
      std::vector<double> v;
      for (const auto& r : runs) v.push_back(r.*field);
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    medians[name] = {median(&Figures::mean_us), median(&Figures::p50_us), median(&Figures::p99_us)};
  }
  auto find = [&](const std::string& name) -> const Figures* {
    auto it = medians.find(name);
    return it == medians.end() ? nullptr : &it->second;
  };
  // Per request: mean, p50 and p99 (us); validate and delete alone (mean); then the ratio
  // request / (validate + delete) on means and on medians, and request / (validate + replay write
  // + end_sessions), the parts that should explain nearly all of it.
  std::printf("\n%-20s %8s %9s %9s %9s %9s %9s %9s %9s %9s\n", "back-channel logout", "size",
              "mean us", "p50 us", "p99 us", "valid. us", "delete us", "ratio", "ratio p50",
              "vs parts");
  for (const auto& [name, request] : medians) {
    if (name.rfind("backchannel/request/", 0) != 0) continue;
    const auto rest = name.substr(20);  // "<alg>/<size>"
    const auto alg = rest.substr(0, rest.find('/'));
    const auto size = rest.substr(rest.find('/') + 1);
    const auto* validate = find("backchannel/validate_only/" + alg);
    const auto* remove = find("backchannel/delete_only/" + size);
    const auto* replay = find("backchannel/replay_write/" + size);
    const auto* end = find("backchannel/end_sessions/" + size);
    if (!validate || !remove) continue;
    const double parts = replay && end ? validate->mean_us + replay->mean_us + end->mean_us : 0;
    std::printf("%-20s %8s %9.1f %9.1f %9.1f %9.1f %9.1f %9.2f %9.2f %9.2f\n",
                ("request " + alg).c_str(), size.c_str(), request.mean_us, request.p50_us,
                request.p99_us, validate->mean_us, remove->mean_us,
                request.mean_us / (validate->mean_us + remove->mean_us),
                request.p50_us / (validate->p50_us + remove->p50_us),
                parts > 0 ? request.mean_us / parts : 0.0);
  }
  std::printf("\n%-36s %9s %9s %9s\n", "parts alone", "mean us", "p50 us", "p99 us");
  for (const auto& [name, f] : medians)
    if (name.rfind("backchannel/request/", 0) != 0)
      std::printf("%-36s %9.1f %9.1f %9.1f\n", name.c_str(), f.mean_us, f.p50_us, f.p99_us);
  ConsoleReporter::Finalize();
}

}  // namespace gatehouse::bench
