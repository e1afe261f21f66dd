// The token bucket of rate_limiter.h.
#include "rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace perf::server {

int RateLimiter::Take(const std::string& key, Clock::time_point now) {
  if (per_second_ <= 0) return 0;
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{static_cast<double>(burst_), now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed_s = std::chrono::duration<double>(now - b.at).count();
    b.units = std::min<double>(burst_, b.units + std::max(0.0, elapsed_s) * per_second_);
    b.at = now;
  }
  if (b.units >= 1.0) {
    b.units -= 1.0;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.units) / per_second_)));
}

}  // namespace perf::server
