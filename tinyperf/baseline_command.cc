// tinyperf baseline: the committed timing baselines, one directory per machine fingerprint
// (perf::MachineFingerprint) under validation_results/baselines/:
//   <fingerprint>/bench/*.json   Google Benchmark runs with repetitions (what the nightly writes)
//   <fingerprint>/machine.json   the environment they were measured in, and where they came from
// `fingerprint` prints this machine's key; `path` prints its baseline directory (exit 1 when there
// is none, listing the machines that have one); `update RUN_DIR` promotes a nightly run's
// RUN_DIR/bench/*.json to this machine's baseline, replacing the previous one.
// Instruction counts are not per machine but per compiler, -march and SIMD path
// (perf::CountBaselineKey): `update --counts DIR` promotes DIR/*.json, files `tinyperf count`
// wrote, to <root>/counts/<key>/; `path --counts FILE` prints the directory FILE compares with.
// `runs PROFILE` prints the runs per side a noise profile (<fingerprint>/noise.json, `tinyperf
// calibrate`) recommends, for the nightly.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/counts.h"
#include "perf_framework/environment.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/regression.h"
#include "perf_framework/suite.h"

namespace tinyperf {

namespace fs = std::filesystem;

namespace {

using perf::escape::Terminal;

int Path(const std::string& root) {
  const fs::path dir = fs::path(root) / perf::MachineFingerprint(perf::CaptureEnvironment());
  if (fs::is_directory(dir / "bench")) {
    std::printf("%s\n", dir.string().c_str());  // as it is: scripts use the path
    return kExitOk;
  }
  std::fprintf(stderr, "tinyperf baseline: no baseline for this machine (%s) under %s\n",
               Terminal(dir.filename().string()).c_str(), Terminal(root).c_str());
  if (fs::is_directory(root)) {
    for (const auto& e : fs::directory_iterator(root)) {
      if (fs::is_directory(e.path() / "bench")) {
        std::fprintf(stderr, "  baseline of another machine: %s\n",
                     Terminal(e.path().string()).c_str());
      }
    }
  }
  return kExitInvalid;
}

int Update(const std::string& run_dir, const std::string& root) {
  const std::vector<std::string> files = fileio::ListFiles(run_dir + "/bench", ".json");
  if (files.empty()) {
    std::fprintf(stderr, "tinyperf baseline update: no %s/bench/*.json (run the nightly first)\n",
                 Terminal(run_dir).c_str());
    return kExitUsage;
  }
  // Every file must be a readable benchmark run with at least one benchmark before anything is
  // replaced.
  for (const std::string& f : files) {
    if (perf::ReadGoogleBenchmark(f).benchmarks.empty()) {
      std::fprintf(stderr, "tinyperf baseline update: %s holds no benchmarks\n",
                   Terminal(f).c_str());
      return kExitUsage;
    }
  }
  const perf::Environment env = perf::CaptureEnvironment();
  const fs::path dir = fs::path(root) / perf::MachineFingerprint(env);
  const fs::path bench = dir / "bench";
  fileio::ReplaceDirectoryWithCopies(bench.string(), files);
  const nlohmann::json machine = {{"fingerprint", dir.filename().string()},
                                  {"environment", env.ToJson()},
                                  {"promoted_from", run_dir},
                                  {"promoted_utc", perf::UtcNow()},
                                  {"files", files.size()}};
  fileio::WriteAtomically((dir / "machine.json").string(), machine.dump(2) + "\n");
  std::printf("tinyperf baseline update: %zu benchmark files from %s are the baseline of %s\n",
              files.size(), Terminal(run_dir).c_str(), Terminal(dir.string()).c_str());
  return kExitOk;
}

// The count files of `dir` (each read, each benchmark counted) and the one key they share.
std::pair<std::vector<std::string>, std::string> CountFiles(const std::string& dir) {
  const std::vector<std::string> files = fileio::ListFiles(dir, ".json");
  if (files.empty()) throw perf::Error(dir + ": no *.json count files");
  std::string key;
  for (const std::string& f : files) {
    const perf::CountSet set = perf::ParseCounts(perf::ReadJsonFile(f), f);
    if (set.benchmarks.empty()) throw perf::Error(f + ": no counted benchmark");
    if (!set.errors.empty()) {
      throw perf::Error(f + ": " + set.errors[0].first + " was not counted (" +
                        set.errors[0].second + "); a baseline holds counts only");
    }
    const std::string k = perf::CountBaselineKey(set.context);
    if (!key.empty() && k != key) {
      throw perf::Error(f + " was counted as " + k + ", the other files as " + key +
                        ": one baseline holds one compiler, -march and SIMD path");
    }
    key = k;
  }
  return {files, key};
}

int UpdateCounts(const std::string& dir, const std::string& root) {
  const auto [files, key] = CountFiles(dir);
  const fs::path dest = fs::path(root) / "counts" / key;
  fileio::ReplaceDirectoryWithCopies(dest.string(), files);
  std::printf("tinyperf baseline update --counts: %zu count files from %s are the baseline %s\n",
              files.size(), Terminal(dir).c_str(), Terminal(dest.string()).c_str());
  return kExitOk;
}

int CountsPath(const std::string& file, const std::string& root) {
  const std::string key =
      perf::CountBaselineKey(perf::ParseCounts(perf::ReadJsonFile(file), file).context);
  const fs::path dir = fs::path(root) / "counts" / key;
  if (fs::is_directory(dir)) {
    std::printf("%s\n", dir.string().c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "tinyperf baseline: no count baseline %s under %s/counts\n",
               Terminal(key).c_str(), Terminal(root).c_str());
  return kExitInvalid;
}

}  // namespace

void AddBaselineCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* b = app.add_subcommand(
      "baseline", "Timing baselines per machine under validation_results/baselines/");
  b->require_subcommand(1);
  auto root = std::make_shared<std::string>("validation_results/baselines");
  auto run_dir = std::make_shared<std::string>();

  CLI::App* fp = b->add_subcommand("fingerprint", "Print this machine's baseline key");
  fp->callback([&run] {
    run = [] {
      std::printf("%s\n", perf::MachineFingerprint(perf::CaptureEnvironment()).c_str());
      return kExitOk;
    };
  });

  CLI::App* path =
      b->add_subcommand("path", "Print this machine's baseline directory; exit 1 if none");
  auto counts = std::make_shared<std::string>();
  path->add_option("--root", *root, "Baselines directory (validation_results/baselines)");
  path->add_option("--counts", *counts,
                   "A `tinyperf count` file: print the count baseline it compares with")
      ->check(CLI::ExistingFile);
  path->callback([root, counts, &run] {
    run = [root, counts] { return counts->empty() ? Path(*root) : CountsPath(*counts, *root); };
  });

  CLI::App* runs = b->add_subcommand(
      "runs",
      "Print the benchmark runs per side a noise profile recommends for its threshold (0 when "
      "it cannot tell): what the nightly runs");
  auto profile = std::make_shared<std::string>();
  runs->add_option("profile", *profile, "A noise profile from tinyperf calibrate")
      ->required()
      ->check(CLI::ExistingFile);
  runs->callback([profile, &run] {
    run = [profile] {
      std::printf("%d\n", perf::NoiseProfile::Read(*profile).recommended_runs);
      return kExitOk;
    };
  });

  CLI::App* update = b->add_subcommand(
      "update",
      "Promote RUN_DIR/bench/*.json to this machine's baseline (or, with --counts, "
      "RUN_DIR/*.json from tinyperf count to the count baseline)");
  auto counts_flag = std::make_shared<bool>(false);
  update->add_option("run_dir", *run_dir, "A nightly run directory, or a directory of count files")
      ->required()
      ->check(CLI::ExistingDirectory);
  update->add_option("--root", *root, "Baselines directory (validation_results/baselines)");
  update->add_flag("--counts", *counts_flag, "RUN_DIR holds `tinyperf count` files");
  update->callback([root, run_dir, counts_flag, &run] {
    run = [root, run_dir, counts_flag] {
      return *counts_flag ? UpdateCounts(*run_dir, *root) : Update(*run_dir, *root);
    };
  });
}

}  // namespace tinyperf
