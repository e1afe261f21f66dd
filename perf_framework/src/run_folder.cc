// A validation run folder's benchmark times and instruction counts (run_folder.h).
#include "perf_framework/run_folder.h"

#include <algorithm>
#include <filesystem>

#include "fileio/fileio.h"
#include "perf_framework/counts.h"
#include "perf_framework/gbench_json.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"

namespace perf {

RunBenchmarks ReadRunBenchmarks(const std::string& run_dir) {
  namespace fs = std::filesystem;
  RunBenchmarks out;
  const fs::path dir(run_dir);
  const auto skipped = [&out](const std::string& shown, const std::exception& e) {
    out.warnings.push_back(shown + " skipped: " + e.what());
  };
  // The nightly's repetitions when present, else run_all's single runs.
  const fs::path bench_dir = fs::is_directory(dir / "bench") ? dir / "bench" : dir;
  for (const std::string& f : fileio::ListFiles(bench_dir.string(), "_bench.json")) {
    try {
      for (const BenchmarkSamples& b : ReadGoogleBenchmark(f).benchmarks) {
        if (!b.samples.empty()) out.median_ns.emplace_back(b.name, Median(b.samples));
      }
    } catch (const std::exception& e) {
      skipped(fs::path(f).filename().string(), e);
    }
  }
  for (const std::string& f : fileio::ListFiles((dir / "counts").string(), ".json")) {
    try {
      CountSet set = ParseCounts(ReadJsonFile(f), f);
      for (const auto& [name, reason] : set.errors) {
        out.warnings.push_back("counts/" + fs::path(f).filename().string() + ": " + name +
                               " was not counted: " + reason);
      }
      for (auto& [name, counters] : set.benchmarks) {
        const bool seen = std::any_of(out.counts.begin(), out.counts.end(),
                                      [&name = name](const auto& c) { return c.first == name; });
        if (seen) {
          out.warnings.push_back("counts/" + fs::path(f).filename().string() + ": " + name +
                                 " counted in another file too; the first kept");
        } else {
          out.counts.emplace_back(name, std::move(counters));
        }
      }
    } catch (const std::exception& e) {
      skipped("counts/" + fs::path(f).filename().string(), e);
    }
  }
  return out;
}

}  // namespace perf
