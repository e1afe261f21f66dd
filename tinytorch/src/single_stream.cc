// Module 19: MLPerf-style single-stream latency: every query timed on its own, statistics the
// median over windows.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "perf_framework/statistics.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"

namespace tinytorch {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

SingleStreamLatency MeasureSingleStream(const std::function<void()>& query,
                                        const SingleStreamOptions& o,
                                        const std::function<int64_t()>& now_ns) {
  const char* op = "MeasureSingleStream";
  TT_CHECK(static_cast<bool>(query), op, ": no query");
  TT_CHECK(o.windows >= 1 && o.min_queries_per_window >= 1 && o.warmup_queries >= 0, op,
           ": windows (", o.windows, ") and min_queries_per_window (", o.min_queries_per_window,
           ") must be positive, warmup_queries (", o.warmup_queries, ") not negative");
  TT_CHECK(o.warmup_seconds >= 0 && o.min_window_seconds >= 0 && o.max_seconds > 0, op,
           ": warmup_seconds ", o.warmup_seconds, " and min_window_seconds ", o.min_window_seconds,
           " must not be negative, max_seconds ", o.max_seconds, " must be positive");
  const std::function<int64_t()> now = now_ns ? now_ns : [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count());
  };
  const int64_t start = now();
  const auto elapsed_s = [&](int64_t since) { return static_cast<double>(now() - since) * 1e-9; };
  for (int64_t i = 0; i < o.warmup_queries || elapsed_s(start) < o.warmup_seconds; ++i) {
    if (elapsed_s(start) > o.max_seconds) break;
    query();
  }
  SingleStreamLatency r;
  std::vector<double> means, p50s, p99s;
  for (int w = 0; w < o.windows; ++w) {
    std::vector<double> window;
    int64_t t = now();
    const int64_t window_start = t;
    while (static_cast<int64_t>(window.size()) < o.min_queries_per_window ||
           static_cast<double>(t - window_start) * 1e-9 < o.min_window_seconds) {
      if (static_cast<double>(t - start) * 1e-9 > o.max_seconds && !window.empty()) {
        r.time_limited = true;
        break;
      }
      query();
      const int64_t end = now();
      window.push_back(static_cast<double>(end - t) * 1e-6);
      t = end;
    }
    // A window cut short would count in the medians as much as a full one (its p99 from a few
    // queries is near their maximum): dropped when a full window exists.
    if (r.time_limited && w > 0) break;
    const std::span<const double> v(window);
    means.push_back(perf::Mean(v));
    p50s.push_back(perf::Percentile(v, 50));
    r.window_p90_ms.push_back(perf::Percentile(v, 90));
    p99s.push_back(perf::Percentile(v, 99));
    r.window_queries.push_back(static_cast<int64_t>(window.size()));
    r.query_ms.insert(r.query_ms.end(), window.begin(), window.end());
    if (r.time_limited) break;
  }
  r.mean_ms = perf::Median(means);
  r.p50_ms = perf::Median(p50s);
  r.p90_ms = perf::Median(r.window_p90_ms);
  r.p99_ms = perf::Median(p99s);
  return r;
}

}  // namespace tinytorch
