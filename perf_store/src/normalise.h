// The rows a run bundle's documents hold: its environment, commit, verdicts and samples. Pure
// (no database), so everything that can be wrong with a document is found before a transaction
// starts: a malformed bundle stores nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf_store/run_bundle.h"

namespace perf::store {

struct NormalisedVerdict {
  std::string module, claim, kind, verdict, unit, reason;
  double value, low, high;  // NaN: not measured / no interval (stored as NULL)
};

struct NormalisedSample {
  std::string benchmark, metric, unit, document;
  int64_t repetition;
  double value;
};

struct NormalisedRun {
  std::string environment_json = "{}";  // the environment block as the run recorded it
  std::string fingerprint;              // perf::MachineFingerprint of it; "" without one
  std::string commit;                   // git commit (hex); "" when unknown
  std::string started_utc;              // ISO 8601; "" when the documents do not say
  std::vector<NormalisedVerdict> verdicts;
  std::vector<NormalisedSample> samples;
};

// Throws perf::Error naming the document and the field ("matmul_bench.json: benchmarks[3]:
// field 'real_time' must be a number, got string").
NormalisedRun Normalise(const RunBundle& bundle);

// At most this many samples per bundle (a 32 MiB benchmark file could otherwise expand into
// tens of millions of rows).
inline constexpr size_t kMaxSamplesPerRun = 2'000'000;

}  // namespace perf::store
