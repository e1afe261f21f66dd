// Calibration: the A/A runs of `tinyperf calibrate` and the noise profile made from them.
#include "perf_framework/calibrate.h"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "perf_framework/error.h"
#include "perf_framework/gbench_json.h"

namespace perf {

namespace fs = std::filesystem;

namespace {

// One POSIX shell word, whatever `s` holds.
std::string Quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

constexpr const char* kSides[] = {"a", "b"};

fs::path RunPath(const fs::path& dir, const char* side, int round) {
  return dir / side / (std::to_string(round) + ".json");
}

// The 2 × rounds runs of one binary, in the order they ran: a0 b0 a1 b1 ...
std::vector<BenchmarkRun> RunAlternately(const std::string& binary, const std::string& name,
                                         const fs::path& dir, const CalibrateOptions& o) {
  fs::remove_all(dir);
  for (const char* side : kSides) fs::create_directories(dir / side);
  for (int round = 0; round < o.rounds; ++round) {
    for (const char* side : kSides) {
      const std::string cmd = CalibrationCommand(binary, RunPath(dir, side, round).string(), o);
      // A binary that cannot run is bad input, not a finding.
      PERF_CHECK(std::system(cmd.c_str()) == 0, name, " failed (", cmd, ")");
    }
  }
  std::vector<BenchmarkRun> runs;
  for (int round = 0; round < o.rounds; ++round) {
    for (const char* side : kSides) {
      runs.push_back(ReadGoogleBenchmark(RunPath(dir, side, round).string()));
    }
  }
  return runs;
}

}  // namespace

std::string CalibrationCommand(const std::string& binary, const std::string& out,
                               const CalibrateOptions& o) {
  return Quote(binary) + " --benchmark_repetitions=" + std::to_string(o.repetitions) +
         " --benchmark_min_time=" + std::to_string(o.min_time_s) +
         (o.filter.empty() ? "" : " --benchmark_filter=" + Quote(o.filter)) +
         " --benchmark_out=" + Quote(out) + " --benchmark_out_format=json >/dev/null 2>&1";
}

NoiseProfile Calibrate(const std::vector<std::string>& binaries, const std::string& fingerprint,
                       const CalibrateOptions& o, const CalibrateProgress& progress) {
  std::vector<ComparisonReport> reports;
  std::vector<BenchmarkDrift> drift;
  for (const std::string& binary : binaries) {
    const std::string name = fs::path(binary).filename().string();
    if (progress.starting) progress.starting(name);
    const std::vector<BenchmarkRun> runs =
        RunAlternately(binary, name, fs::path(o.work_dir) / name, o);
    AAComparison aa = CompareAAPairs(runs, o.threshold_pct / 100);
    PERF_CHECK(!aa.pairs.changes.empty(), name, " ran zero benchmarks");
    drift.insert(drift.end(), aa.drift.begin(), aa.drift.end());
    if (progress.compared) progress.compared(name, aa.pairs);
    reports.push_back(std::move(aa.pairs));
  }
  return ProfileFromAA(reports, fingerprint, o.rounds, o.repetitions, drift);
}

}  // namespace perf
