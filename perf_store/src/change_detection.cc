// A stored series' change points (change_detection.h).
#include "change_detection.h"

#include <algorithm>

#include "perf_framework/statistics.h"

namespace perf::store {

PerRun PerRunValues(const std::vector<RunSample>& samples) {
  PerRun out;
  for (size_t first = 0; first < samples.size();) {
    size_t end = first;
    while (end < samples.size() && samples[end].run_id == samples[first].run_id) ++end;
    // The nightly's repetitions (bench/) when the run has them; run_all's single files otherwise
    // (a run folder holds both, and they are not the same measurement).
    const bool nightly =
        std::any_of(samples.begin() + first, samples.begin() + end,
                    [](const RunSample& s) { return s.document.starts_with("bench/"); });
    std::vector<double> values;
    for (size_t i = first; i < end; ++i) {
      if (!nightly || samples[i].document.starts_with("bench/")) values.push_back(samples[i].value);
    }
    out.run_ids.push_back(samples[first].run_id);
    out.values.push_back(Median(values));
    first = end;
  }
  return out;
}

std::vector<DetectedChange> DetectInSeries(const std::vector<RunSample>& samples, bool exact) {
  const PerRun r = PerRunValues(samples);
  const std::vector<ChangePoint> points = exact ? CountSteps(r.values) : FindChangePoints(r.values);
  std::vector<DetectedChange> out;
  for (const ChangePoint& p : points) out.push_back({r.run_ids[p.index], p, r.values.size()});
  return out;
}

}  // namespace perf::store
