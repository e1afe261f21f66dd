// A run bundle: one validation, nightly or bench run as the results store imports it and the
// server receives it — the run folder's documents, verbatim, and the machine that produced them.
// Keeping the documents as exact text (not re-serialised JSON) is what makes an import lossless:
// `tinyperf db export` writes back files byte-identical to the ones imported.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace perf::store {

// One file of a run folder. `name` is its path relative to the folder: "results.json",
// "matmul_bench.json", "bench/matmul_bench.2.json", "counts/matmul_bench.json",
// "claims/module_17_acceleration.blocked_over_reordered.json", "report.md". Only top-level files
// and files directly under bench/, counts/ and claims/ ending in .json or .md are documents
// (logs and report.html are not: they are large and derived). `content` is the exact bytes,
// which must be UTF-8 (JSON and Markdown are).
struct RunDocument {
  std::string name;
  std::string content;
};

// The bundle, as JSON (the body of the server's POST /api/v1/runs):
//   {
//     "schema": "tinytorch-run-bundle",
//     "schema_version": 1,
//     "machine": "ci-runner-3",           // [A-Za-z0-9._-]{1,64}: who produced the run
//     "run": "20261203T074900Z",          // the run folder's name, [A-Za-z0-9._-]{1,64}
//     "documents": [                      // sorted by name, names unique, at least one
//       {"name": "results.json", "content": "{\n  \"claims\": [ ... exact file text ... }\n"},
//       {"name": "matmul_bench.json", "content": "..."}
//     ]
//   }
// What the store reads out of the documents (the normalised rows):
//   - results.json (schema docs/results-schema.md): the environment (machine fingerprint, commit
//     environment.git_commit, the full environment JSON), started_utc, and every claim's verdict;
//   - environment.json (`tinyperf env --format json`, written by scripts/bench.sh): the
//     environment of a run that has no results.json;
//   - noise.json (kNoiseProfileDocument; the nightly copies in the machine's `tinyperf calibrate`
//     profile, the one its comparison used): checked as a noise profile and kept verbatim; the
//     fleet verdicts (fleet.h) take the machine's false-alarm rate from its newest one;
//   - every other *.json document whose top level has a "benchmarks" array (Google Benchmark
//     JSON, and `tinyperf count` output): one sample per iteration row (every repetition;
//     aggregates are skipped): real_time and cpu_time in ns, and every other numeric field of the
//     row that is not bookkeeping (instructions, l1d_misses, FLOPS, ...) as a metric of its name.
// Everything else (claims/*.json, Markdown) is kept verbatim only.
// Limits (a bundle comes from the network): at most kMaxDocuments documents, each at most
// kMaxDocumentBytes, kMaxBundleBytes in all.
struct RunBundle {
  std::string machine;
  std::string run;
  std::vector<RunDocument> documents;

  nlohmann::json ToJson() const;
  // Checks the schema name and version, the names (pattern, no "..", only the allowed folders),
  // the sorting, the limits; throws perf::Error naming `source` and the field
  // ("bundle.json: documents[3].name 'x/../y' is not a run document name").
  static RunBundle FromJson(const nlohmann::json& j, const std::string& source);
  // SHA-256 (hex) over the machine, the run name and every document name and content, each
  // length-prefixed: equal bundles, and only equal bundles, have equal hashes.
  std::string ContentHash() const;
  // The document named `name`, or nullptr.
  const RunDocument* Find(const std::string& name) const;
};

// The document that carries the machine's noise profile (perf_framework/noise_profile.h).
inline constexpr const char* kNoiseProfileDocument = "noise.json";

inline constexpr size_t kMaxDocuments = 4096;
inline constexpr size_t kMaxDocumentBytes = size_t{32} << 20;
inline constexpr size_t kMaxBundleBytes = size_t{256} << 20;

// The run folder `dir` as a bundle produced by `machine` (its `run` is the folder's name). Throws
// perf::Error naming the file when a document is unreadable, over the limits, or not UTF-8, and
// when the folder holds no document at all.
RunBundle ReadRunFolder(const std::string& dir, const std::string& machine);
// Writes every document under `dir` (created if missing; each file atomically). Refuses (throws
// perf::Error) to overwrite an existing file whose content differs.
void WriteRunFolder(const RunBundle& bundle, const std::string& dir);

// What FromJson checks, for a bundle built in code: names, order, limits, UTF-8. Throws perf::Error
// naming `source` and the field.
void CheckBundle(const RunBundle& bundle, const std::string& source);

// Throws perf::Error unless `name` is a valid machine or run name ([A-Za-z0-9._-]{1,64}, not "."
// or ".."); `what` names it in the message.
void CheckName(const std::string& name, const std::string& what);

}  // namespace perf::store
