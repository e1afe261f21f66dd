// What machine and build a measurement ran on, and whether that machine is fit to measure on.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "perf_framework/blas.h"

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
  std::string git_commit;  // of the working directory's checkout; "unknown" outside one
  std::string utc_time;    // ISO 8601, e.g. 2026-11-23T22:15:00Z
  double load_average_1min = 0;
  BlasInfo blas;  // the reference BLAS as this process runs it
  // The GEMM tinytorch's MatMul runs by default, and how it was chosen, when the process runs
  // tinytorch (empty otherwise): a measured speed depends on it as much as on the BLAS kernel.
  std::string matmul_default_backend;
  std::string matmul_choice;
  // Reasons not to trust comparisons made here: a degraded reference, for one.
  std::vector<std::string> warnings;

  nlohmann::json ToJson() const;
  // Throws perf::Error naming the field ("environment: missing field 'governor'", "environment:
  // field 'cpu_flags[1]' has the wrong type (number)"); blas, the MatMul choice and warnings are
  // optional (files written before they were recorded read as "not recorded").
  static Environment FromJson(const nlohmann::json& j);
};

// The machine, the build and the reference libraries as this process sees them, with the
// environment probes' additions (AddEnvironmentProbe) and every warning.
Environment CaptureEnvironment();

// A library that decides what runs (tinytorch's MatMul backend choice, say) registers a probe that
// adds its choices and warnings to every captured environment. Registration is process-wide and
// may happen during static initialisation.
using EnvironmentProbe = void (*)(Environment&);
void AddEnvironmentProbe(EnvironmentProbe probe);

// This process's BLAS (ProbeBlas on this CPU's flags), probed once.
const BlasInfo& ProcessBlas();

// Machine-level reasons to distrust timings right now, each with what to do about it: frequency
// scaling governor, optimisation off, other processes competing for the CPU, a degraded BLAS.
// Cheap (two small /proc and /sys reads), so the timer checks it on every measurement.
std::vector<std::string> MachineWarnings();

std::string UtcNow();  // ISO 8601 with seconds, "Z" suffix
// True for a time of UtcNow's form, RFC 3339 "YYYY-MM-DDTHH:MM:SSZ", that the calendar has: month
// 1 to 12, the month's days (February 29 in leap years only), hour 0 to 23, minute 0 to 59,
// second 0 to 60 (a leap second). Every reader of a recorded time checks it with this.
bool IsUtcTimestamp(std::string_view s);

// A file-name-safe key for "timings from here are comparable": CPU model, logical cores, compiler
// and the BLAS kernel (the same CPU with another OpenBLAS kernel is another machine), lowercased,
// runs of other characters as '-', e.g. "amd-epyc-2c-g-12-2-0-openblas-cooperlake". Baselines
// are stored under it (validation_results/baselines/<fingerprint>/).
std::string MachineFingerprint(const Environment& env);
// The same for this process, from the CPU, the compiler and ProcessBlas() alone: no git, no
// probes, so a probe may call it.
std::string ThisMachineFingerprint();

}  // namespace perf
