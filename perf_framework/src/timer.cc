// ScientificTimer: calibration, warm-up, adaptive sampling and the trust diagnostics.
#include "perf_framework/timer.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "perf_framework/environment.h"
#include "perf_framework/format.h"

namespace perf {

int64_t SteadyClock::NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SteadyClock& DefaultClock() {
  static SteadyClock clock;
  return clock;
}

ClockProperties MeasureClock(Clock& clock) {
  ClockProperties p;
  int64_t min_step = std::numeric_limits<int64_t>::max();
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t t0 = clock.NowNs();
    int64_t t1 = t0;
    for (int spin = 0; spin < 1'000'000 && t1 == t0; ++spin) t1 = clock.NowNs();
    PERF_CHECK(t1 > t0, "MeasureClock: the clock never advanced in a million reads");
    min_step = std::min(min_step, t1 - t0);
  }
  p.resolution_ns = static_cast<double>(min_step);
  constexpr int kReads = 10000;
  const int64_t start = clock.NowNs();
  for (int i = 0; i < kReads; ++i) clock.NowNs();
  p.overhead_ns = static_cast<double>(clock.NowNs() - start) / (kReads + 1);
  return p;
}

namespace {

std::string Percent(double fraction) { return format::Significant(fraction * 100, 3) + "%"; }

// Touches a buffer twice the size of the last-level cache so earlier data is evicted.
void FlushCaches() {
  static std::vector<char> buffer = [] {
    long llc = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (llc <= 0) llc = 32L << 20;
    return std::vector<char>(static_cast<size_t>(std::min(2 * llc, 256L << 20)));
  }();
  for (size_t i = 0; i < buffer.size(); i += 64) buffer[i] = static_cast<char>(buffer[i] + 1);
  ClobberMemory();
}

// Pins the calling thread to one CPU for its lifetime and restores the old mask afterwards.
class CpuPin {
 public:
  CpuPin(int cpu, std::vector<std::string>& warnings) {
    if (cpu < 0) return;
    if (::sched_getaffinity(0, sizeof old_, &old_) != 0) {
      warnings.push_back(std::string("could not read the CPU affinity: ") + std::strerror(errno));
      return;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(0, sizeof one, &one) != 0) {
      warnings.push_back("could not pin to CPU " + std::to_string(cpu) + ": " +
                         std::strerror(errno) + "; measured unpinned");
      return;
    }
    pinned_ = true;
  }
  ~CpuPin() {
    if (pinned_) ::sched_setaffinity(0, sizeof old_, &old_);
  }
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;

 private:
  cpu_set_t old_{};
  bool pinned_ = false;
};

void Summarise(Measurement& m, const TimerOptions& o) {
  const std::vector<double>& s = m.samples_ns;
  m.median_ns = Median(s);
  m.mean_ns = Mean(s);
  m.stddev_ns = s.size() > 1 ? StdDev(s) : 0;
  m.cv = s.size() > 1 ? CoefficientOfVariation(s) : 0;
  m.mdape = MedianAbsolutePercentError(s);
  m.min_ns = *std::min_element(s.begin(), s.end());
  m.max_ns = *std::max_element(s.begin(), s.end());
  m.p90_ns = Percentile(s, 90);
  m.median_ci = OrderStatisticMedianInterval(s, o.confidence);
  m.mean_ci = StudentTMeanInterval(s, o.confidence);
  m.outliers = ClassifyTukey(s);
  m.lag1_autocorrelation = Lag1Autocorrelation(s);
}

void AddWarnings(Measurement& m, const TimerOptions& o) {
  const auto n = static_cast<double>(m.samples_ns.size());
  if (!m.converged) {
    m.warnings.push_back("did not reach ±" + Percent(o.target_relative_half_width) + " after " +
                         std::to_string(m.samples_ns.size()) + " samples (stopped by " +
                         m.stop_reason +
                         "); the interval is wider than asked: raise "
                         "max_seconds/max_samples or reduce the noise");
  }
  if (m.samples_ns.size() < 5) {
    m.warnings.push_back("only " + std::to_string(m.samples_ns.size()) +
                         " samples: too few for a trustworthy interval; raise max_seconds");
  }
  if (m.cv > 0.05) {
    m.warnings.push_back("high variability (CV " + Percent(m.cv) +
                         "): close other programs, pin the CPU (pin_cpu) or take more samples");
  }
  const size_t severe = m.outliers.low_severe.size() + m.outliers.high_severe.size();
  if (severe > 0) {
    m.warnings.push_back(std::to_string(severe) +
                         " severe outliers (Tukey fences), kept in the sample: likely "
                         "interruptions (other processes, interrupts, page faults)");
  }
  if (n >= 10 && std::fabs(m.lag1_autocorrelation) > 2 / std::sqrt(n)) {
    std::ostringstream os;
    os.precision(2);
    os << "samples drift (lag-1 autocorrelation " << m.lag1_autocorrelation
       << "): frequency or thermal changes, or a workload whose state changes between calls";
    m.warnings.push_back(os.str());
  }
  for (std::string& w : MachineWarnings()) m.warnings.push_back(std::move(w));
}

}  // namespace

ScientificTimer::ScientificTimer(TimerOptions options, Clock& clock)
    : options_(options), clock_(clock) {
  PERF_CHECK(options_.min_samples >= 2 && options_.max_samples >= options_.min_samples,
             "ScientificTimer: need 2 <= min_samples (", options_.min_samples, ") <= max_samples (",
             options_.max_samples, ")");
  PERF_CHECK(options_.confidence > 0 && options_.confidence < 1, "ScientificTimer: confidence ",
             options_.confidence, " must be in (0, 1)");
  PERF_CHECK(options_.target_relative_half_width > 0 && options_.max_seconds > 0,
             "ScientificTimer: target and time budget must be positive");
  clock_properties_ = MeasureClock(clock_);
}

double ScientificTimer::min_sample_ns() const {
  if (options_.min_sample_seconds > 0) return options_.min_sample_seconds * 1e9;
  return std::max(
      {1e4, 1000 * clock_properties_.resolution_ns, 1000 * clock_properties_.overhead_ns});
}

double ScientificTimer::TimeBatch(const std::function<void(int64_t)>& run_batch,
                                  int64_t iterations) {
  if (options_.flush_cache) FlushCaches();
  const int64_t t0 = clock_.NowNs();
  run_batch(iterations);
  const int64_t t1 = clock_.NowNs();
  return static_cast<double>(t1 - t0);
}

int64_t ScientificTimer::Calibrate(const std::function<void(int64_t)>& run_batch) {
  const double target = min_sample_ns();
  int64_t iterations = 1;
  while (true) {
    const double ns = TimeBatch(run_batch, iterations);
    if (ns >= target) return iterations;
    // Grow towards the target with 20% headroom, at least 2× and at most 10× per step.
    const double grow = ns <= 0 ? 10 : std::clamp(1.2 * target / ns, 2.0, 10.0);
    iterations = static_cast<int64_t>(std::ceil(static_cast<double>(iterations) * grow));
    PERF_CHECK(iterations < (int64_t{1} << 40),
               "ScientificTimer: the workload takes no measurable time (clock not advancing?)");
  }
}

Measurement ScientificTimer::MeasureBatches(const std::string& name,
                                            const std::function<void(int64_t)>& run_batch) {
  Measurement m;
  m.name = name;
  m.clock = clock_properties_;
  CpuPin pin(options_.pin_cpu, m.warnings);
  const int64_t start = clock_.NowNs();
  const auto elapsed_ns = [&] { return static_cast<double>(clock_.NowNs() - start); };

  m.iterations_per_sample = Calibrate(run_batch);
  const double warmup_ns = options_.warmup_seconds * 1e9;
  const int64_t warm_start = clock_.NowNs();
  do {
    TimeBatch(run_batch, m.iterations_per_sample);
  } while (static_cast<double>(clock_.NowNs() - warm_start) < warmup_ns);

  std::mt19937_64 rng(options_.seed);
  while (true) {
    int64_t k = m.iterations_per_sample;
    if (options_.jitter) {
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      k = std::max<int64_t>(1, std::llround(static_cast<double>(k) * (0.8 + 0.4 * u)));
    }
    m.samples_ns.push_back(TimeBatch(run_batch, k) / static_cast<double>(k));
    m.total_iterations += k;
    const auto n = static_cast<int>(m.samples_ns.size());
    if (n >= options_.min_samples) {
      const Interval ci = OrderStatisticMedianInterval(m.samples_ns, options_.confidence);
      const double half = std::max(ci.estimate - ci.low, ci.high - ci.estimate);
      if (half <= options_.target_relative_half_width * std::fabs(ci.estimate)) {
        m.converged = true;
        m.stop_reason = "converged";
        break;
      }
    }
    if (n >= options_.max_samples) {
      m.stop_reason = "sample budget";
      break;
    }
    if (elapsed_ns() >= options_.max_seconds * 1e9) {
      m.stop_reason = "time budget";
      break;
    }
  }
  m.elapsed_seconds = elapsed_ns() / 1e9;
  Summarise(m, options_);
  AddWarnings(m, options_);
  return m;
}

nlohmann::json Measurement::ToJson() const {
  auto interval = [](const Interval& i) {
    return nlohmann::json{
        {"estimate", i.estimate}, {"low", i.low}, {"high", i.high}, {"confidence", i.confidence}};
  };
  return {{"name", name},
          {"samples_ns", samples_ns},
          {"iterations_per_sample", iterations_per_sample},
          {"total_iterations", total_iterations},
          {"median_ns", median_ns},
          {"mean_ns", mean_ns},
          {"stddev_ns", stddev_ns},
          {"cv", cv},
          {"mdape", mdape},
          {"min_ns", min_ns},
          {"max_ns", max_ns},
          {"p90_ns", p90_ns},
          {"median_ci", interval(median_ci)},
          {"mean_ci", interval(mean_ci)},
          {"outliers",
           {{"low_severe", outliers.low_severe.size()},
            {"low_mild", outliers.low_mild.size()},
            {"high_mild", outliers.high_mild.size()},
            {"high_severe", outliers.high_severe.size()}}},
          {"lag1_autocorrelation", lag1_autocorrelation},
          {"clock_resolution_ns", clock.resolution_ns},
          {"clock_overhead_ns", clock.overhead_ns},
          {"converged", converged},
          {"stop_reason", stop_reason},
          {"warnings", warnings},
          {"elapsed_seconds", elapsed_seconds}};
}

}  // namespace perf
