// ScientificTimer: measures how long a callable takes, with an interval, and says when the number
// should not be trusted.
//
// Pipeline (each step through the same batch-running code path):
//   1. calibrate iterations per sample until one sample lasts far longer than the clock's
//      resolution and read overhead (measured once per clock);
//   2. warm up (caches, branch predictors, lazy initialisation, frequency ramp-up);
//   3. take samples, each with a slightly jittered iteration count so periodic noise cannot
//      line up with them, until the median's distribution-free interval is narrow enough or the
//      sample or time budget runs out. Every raw sample is kept; outliers are classified, never
//      dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/statistics.h"

namespace perf {

// The clock the timer reads. Production code uses SteadyClock; tests inject a fake.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNs() = 0;
};

// std::chrono::steady_clock: monotonic (never steps with NTP or settimeofday) and, on Linux, a
// vDSO read of CLOCK_MONOTONIC. Rejected alternatives: high_resolution_clock (an alias of the
// non-monotonic system_clock in libstdc++) and raw rdtsc (needs invariant-TSC detection and
// frequency calibration, and is unreliable across cores on some hypervisors).
class SteadyClock final : public Clock {
 public:
  int64_t NowNs() override;
};
SteadyClock& DefaultClock();

struct ClockProperties {
  double resolution_ns = 0;  // smallest positive step between consecutive readings
  double overhead_ns = 0;    // mean cost of one reading
};
ClockProperties MeasureClock(Clock& clock);

struct TimerOptions {
  double confidence = 0.95;
  // Stop once the median's interval half-width is within this fraction of the median.
  double target_relative_half_width = 0.01;
  int min_samples = 10;
  int max_samples = 300;
  double max_seconds = 2.0;  // whole measurement, calibration and warm-up included
  double warmup_seconds = 0.05;
  double min_sample_seconds = 0;  // 0: automatic, max(10 µs, 1000 × resolution and overhead)
  bool jitter = true;             // vary iterations per sample by up to ±20%
  uint64_t seed = 1;              // for the jitter
  bool flush_cache = false;       // evict caches before every sample (outside the timed region)
  int pin_cpu = -1;               // pin the measuring thread to this CPU for the measurement
};

struct Measurement {
  std::string name;
  std::vector<double> samples_ns;     // time per iteration of each sample, in order
  int64_t iterations_per_sample = 0;  // calibrated base (jitter varies it per sample)
  int64_t total_iterations = 0;
  double median_ns = 0, mean_ns = 0, stddev_ns = 0, cv = 0, mdape = 0;
  double min_ns = 0, max_ns = 0, p90_ns = 0;
  Interval median_ci;  // order-statistic (distribution-free) interval
  Interval mean_ci;    // Student t interval
  TukeyOutliers outliers;
  double lag1_autocorrelation = 0;
  ClockProperties clock;
  bool converged = false;
  std::string stop_reason;            // "converged", "sample budget", "time budget"
  std::vector<std::string> warnings;  // each with a recommendation
  double elapsed_seconds = 0;

  nlohmann::json ToJson() const;
};

class ScientificTimer {
 public:
  explicit ScientificTimer(TimerOptions options = {}, Clock& clock = DefaultClock());

  // Times fn(), called many times in a row.
  template <class F>
  Measurement Measure(const std::string& name, F&& fn) {
    return MeasureBatches(name, [&fn](int64_t iterations) {
      for (int64_t i = 0; i < iterations; ++i) fn();
    });
  }

  // The type-erased core: run_batch(n) must run the workload n times. The indirect call costs
  // once per sample, not once per iteration.
  Measurement MeasureBatches(const std::string& name,
                             const std::function<void(int64_t)>& run_batch);

  const TimerOptions& options() const { return options_; }
  const ClockProperties& clock_properties() const { return clock_properties_; }
  // Time of one batch of `iterations`, in ns, through the same path as every sample.
  double TimeBatch(const std::function<void(int64_t)>& run_batch, int64_t iterations);
  // Iterations per sample such that a sample lasts at least the minimum sample time.
  int64_t Calibrate(const std::function<void(int64_t)>& run_batch);
  double min_sample_ns() const;

 private:
  TimerOptions options_;
  Clock& clock_;
  ClockProperties clock_properties_;
};

// Keeps the compiler from optimising away a value or the stores before it.
template <class T>
inline void DoNotOptimize(T& value) {
  asm volatile("" : "+m"(value) : : "memory");
}
inline void ClobberMemory() { asm volatile("" : : : "memory"); }

}  // namespace perf
