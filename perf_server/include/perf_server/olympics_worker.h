// The Olympics' verification worker behind `tinyperf serve --worker`: claims pending submissions
// from the store's queue (olympics_store.h), rebuilds each optimized model from its recipe,
// measures it with the same Benchmark runner as `tinyperf olympics submit`, and records verified
// (the server's numbers, which are ranked), rejected (the reasons: claims implausible given the
// re-measurement, rules broken; tinytorch::VerifyClaim) or error (the measurement itself failed).
// Several workers may run against one database, on one machine or several.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "perf_store/olympics_store.h"
#include "tinytorch/digits.h"

namespace perf::server {

struct WorkerOptions {
  std::string db_url;            // sqlite:PATH or postgresql://...
  std::string worker_id;         // unique per worker: "" makes HOST:PID
  std::string digits_csv;        // the digits data set the recipes train on
  double latency_seconds = 1.0;  // timer budget per model (small in tests; never compare times
                                 // measured with another budget)
  int lease_seconds = 600;       // a claim not finished in time is released to another worker
  int poll_ms = 500;             // sleep when the queue is empty
  bool drain = false;            // return once the queue is empty instead of waiting for more
};

struct WorkerStats {
  int verified = 0, rejected = 0, errors = 0;
  int lost = 0;  // finished after the lease expired and another worker took it: discarded
};

// Trained baselines by (epochs, seed): most of a class submits with the defaults, and training
// costs more than measuring. A baseline is deterministic for one build, so reusing it changes
// nothing but the time.
using BaselineCache = std::map<std::pair<int, uint64_t>, std::shared_ptr<tinytorch::Sequential>>;

// The outcome of one claimed submission, reusing and filling `baselines` when given. Never
// throws: a failure is an outcome with status error.
store::Outcome VerifyJob(const store::Job& job, const tinytorch::digits::Split& split,
                         double latency_seconds, BaselineCache* baselines = nullptr);

// Claims and verifies until `stop` is set (checked between submissions and while idle), or the
// queue is empty with `drain`. `on_finished` (optional) is called after each recorded outcome.
// Throws perf::Error when the database or the data set cannot be opened at start; a database
// failure later is retried after poll_ms.
WorkerStats RunWorker(
    const WorkerOptions& options, const std::atomic<bool>& stop,
    const std::function<void(const store::Job&, const store::Outcome&)>& on_finished = nullptr);

}  // namespace perf::server
