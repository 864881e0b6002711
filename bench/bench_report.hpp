// Console output plus the ratio tables the issues' targets are stated in (a reporter per binary).
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace gatehouse::bench {

// Colours only on a terminal (a redirected run's output goes into docs as it is).
benchmark::ConsoleReporter::OutputOptions console_options();

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(console_options()) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::map<std::string, double> rate_;  // run name -> items per second
  std::map<std::string, double> p99_ms_;
};

// Console output plus the back-channel logout table: the request beside the sum of its parts
// measured alone (validation + the bare delete), as a ratio, with mean and p99 latencies. With
// --benchmark_repetitions every figure is the median over the repetitions.
class BackchannelReporter : public benchmark::ConsoleReporter {
 public:
  BackchannelReporter() : ConsoleReporter(console_options()) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  struct Figures {
    double mean_us = 0, p50_us = 0, p99_us = 0;
  };
  // Run name (without "/manual_time") -> one entry per repetition; the table takes medians.
  std::map<std::string, std::vector<Figures>> figures_;
};

}  // namespace gatehouse::bench
