// Console output plus the ratio table the targets are stated in.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>

namespace gatehouse::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::map<std::string, double> rate_;  // run name -> items per second
  std::map<std::string, double> p99_ms_;
};

}  // namespace gatehouse::bench
