// Empirical complexity: time a workload at several sizes and fit time = c · size^k on log-log
// axes, so "O(N) versus O(N²)" becomes a statement with an interval that a test can check.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/timer.h"

namespace perf {

struct ScalingResult {
  std::string name;
  std::vector<int64_t> sizes;
  std::vector<Measurement> measurements;  // one per size
  PowerLawFit fit;                        // of the median times against the sizes

  nlohmann::json ToJson() const;
};

// make_workload(size) returns the callable to time at that size (setup happens outside timing).
ScalingResult MeasureScaling(ScientificTimer& timer, const std::string& name,
                             const std::vector<int64_t>& sizes,
                             const std::function<std::function<void()>(int64_t)>& make_workload,
                             double confidence = 0.95);

}  // namespace perf
