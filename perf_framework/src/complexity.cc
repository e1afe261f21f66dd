#include "perf_framework/complexity.h"

namespace perf {

ScalingResult MeasureScaling(ScientificTimer& timer, const std::string& name,
                             const std::vector<int64_t>& sizes,
                             const std::function<std::function<void()>(int64_t)>& make_workload,
                             double confidence) {
  PERF_CHECK(sizes.size() >= 3, "MeasureScaling: ", name, " needs at least 3 sizes, got ",
             sizes.size());
  ScalingResult r;
  r.name = name;
  r.sizes = sizes;
  std::vector<double> x, y;
  for (int64_t size : sizes) {
    const std::function<void()> work = make_workload(size);
    r.measurements.push_back(timer.Measure(name + " n=" + std::to_string(size), work));
    x.push_back(static_cast<double>(size));
    y.push_back(r.measurements.back().median_ns);
  }
  r.fit = FitPowerLaw(x, y, confidence);
  return r;
}

nlohmann::json ScalingResult::ToJson() const {
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i < sizes.size(); ++i) {
    points.push_back({{"size", sizes[i]},
                      {"median_ns", measurements[i].median_ns},
                      {"low_ns", measurements[i].median_ci.low},
                      {"high_ns", measurements[i].median_ci.high}});
  }
  return {{"name", name},
          {"points", points},
          {"exponent", fit.exponent},
          {"exponent_low", fit.exponent_low},
          {"exponent_high", fit.exponent_high},
          {"coefficient", fit.coefficient},
          {"r_squared", fit.r_squared}};
}

}  // namespace perf
