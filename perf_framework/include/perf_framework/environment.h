// What machine and build a measurement ran on, and whether that machine is fit to measure on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace perf {

struct Environment {
  std::string cpu_model;
  std::vector<std::string>
      cpu_flags;  // the ones that matter for kernels: sse4_2, avx2, fma, avx512*
  int logical_cores = 0;
  std::string governor;  // scaling governor of cpu0, or "unavailable" (common on VMs)
  std::string compiler;
  std::string compile_flags;
  std::string build_type;
  std::string git_commit;  // "unknown" outside a git checkout
  std::string utc_time;    // ISO 8601, e.g. 2026-11-23T22:15:00Z
  double load_average_1min = 0;

  nlohmann::json ToJson() const;
  static Environment FromJson(const nlohmann::json& j);  // throws perf::Error on missing fields
};

Environment CaptureEnvironment();

// Machine-level reasons to distrust timings right now, each with what to do about it: frequency
// scaling governor, optimisation off, other processes competing for the CPU. Cheap (two small
// /proc and /sys reads), so the timer checks it on every measurement.
std::vector<std::string> MachineWarnings();

std::string UtcNow();  // ISO 8601 with seconds, "Z" suffix

// A file-name-safe key for "timings from here are comparable": CPU model, logical cores and
// compiler, lowercased, runs of other characters as '-', e.g. "amd-epyc-2c-g-12-2-0". Baselines
// are stored under it (validation_results/baselines/<fingerprint>/).
std::string MachineFingerprint(const Environment& env);

}  // namespace perf
