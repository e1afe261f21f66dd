// What `tinyperf compare` does with two paths: tell their kind, read them, compare, and add what
// a noise profile says.
#include "perf_framework/regression.h"

#include <filesystem>
#include <utility>

#include "fileio/fileio.h"
#include "perf_framework/error.h"

namespace perf {

namespace {

enum class InputKind { kGoogleBenchmark, kResults };

// Reads and classifies one input file; throws naming it.
std::pair<InputKind, nlohmann::json> ReadInput(const std::string& path) {
  nlohmann::json j = ReadJsonFile(path);
  if (j.is_object() && j.contains("benchmarks")) return {InputKind::kGoogleBenchmark, j};
  if (j.is_object() && j.contains("schema")) return {InputKind::kResults, j};
  throw Error(path +
              ": neither Google Benchmark JSON (no 'benchmarks') nor a tinytorch results file "
              "(no 'schema')");
}

// A Google Benchmark file, or a directory of them merged; throws naming the file.
BenchmarkRun ReadBenchmarkRuns(const std::string& path, const std::string& metric) {
  if (!std::filesystem::is_directory(path)) {
    const auto [kind, j] = ReadInput(path);
    if (kind != InputKind::kGoogleBenchmark) throw Error(path + ": not Google Benchmark JSON");
    return ParseGoogleBenchmark(j, path, metric);
  }
  const std::vector<std::string> files = fileio::ListFiles(path, ".json");
  if (files.empty()) throw Error(path + ": no *.json files in the directory");
  std::vector<BenchmarkRun> runs;
  for (const std::string& f : files) runs.push_back(ReadBenchmarkRuns(f, metric));
  return MergeRuns(runs, path);
}

}  // namespace

FileComparison CompareFiles(const std::string& baseline_path, const std::string& current_path,
                            const CompareFilesOptions& o) {
  NoiseProfile profile;
  if (!o.noise_profile.empty()) profile = NoiseProfile::Read(o.noise_profile);
  BenchmarkRun baseline, current;
  if (!std::filesystem::is_directory(baseline_path) &&
      !std::filesystem::is_directory(current_path)) {
    const auto [kb, jb] = ReadInput(baseline_path);
    const auto [kc, jc] = ReadInput(current_path);
    if (kb != kc) {
      throw Error(baseline_path + " and " + current_path +
                  " are different kinds of file (Google Benchmark JSON vs results)");
    }
    if (kb == InputKind::kResults) {
      FileComparison claims;
      claims.claims = CompareToBaseline(SuiteResults::FromJson(jb, baseline_path),
                                        SuiteResults::FromJson(jc, current_path));
      return claims;
    }
    baseline = ParseGoogleBenchmark(jb, baseline_path, o.metric);
    current = ParseGoogleBenchmark(jc, current_path, o.metric);
  } else {
    baseline = ReadBenchmarkRuns(baseline_path, o.metric);
    current = ReadBenchmarkRuns(current_path, o.metric);
  }
  CompareOptions options{.threshold = o.threshold_pct / 100, .alpha = o.alpha};
  if (!profile.drift.empty()) {
    options.process_drift = [profile](const std::string& n) { return profile.DriftFor(n); };
  }
  FileComparison result;
  ComparisonReport& report = result.benchmarks.emplace(CompareRuns(baseline, current, options));
  if (!o.noise_profile.empty()) {
    for (std::string& w : NoiseWarnings(profile, o.noise_profile, report, o.threshold_pct)) {
      report.warnings.push_back(std::move(w));
    }
  }
  return result;
}

}  // namespace perf
