// A token bucket per API token: how often one machine may submit. A machine that retries in a
// tight loop (a broken client, a leaked token) slows down to the refill rate instead of filling
// the database; the answer says when to come back (429 with Retry-After). The buckets live in this
// process's memory: each `tinyperf serve` counts on its own and starts afresh when restarted. The
// fleet runs one server in front of its database, so one process sees every submission (README,
// "Results server"); nothing that must hold across processes depends on the limit.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace perf::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `per_minute` submissions per minute on average, `burst` at once. per_minute <= 0: no limit.
  RateLimiter(double per_minute, int burst) : per_second_(per_minute / 60.0), burst_(burst) {}

  // 0 when `key` may go ahead now (one unit is taken); otherwise the whole seconds (>= 1) to wait
  // before one unit is available again.
  int Take(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double units;
    Clock::time_point at;
  };
  double per_second_;
  int burst_;
  std::mutex mu_;
  // One entry per machine that ever submitted: keys are authenticated machines, never raw input.
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace perf::server
