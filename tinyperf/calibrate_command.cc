// tinyperf calibrate: A/A comparisons on this machine. Each benchmark binary is run 2 × rounds
// times (the very same binary every time), as the nightly runs it; perf::CompareAAPairs compares
// the pairs of runs by the held-out protocol, and perf::ProfileFromAA sums them up per family
// (resolution, drift, out-of-sample false-alarm rate at the threshold). The profile goes to this
// machine's baseline directory (validation_results/baselines/<fingerprint>/noise.json), where
// `compare --noise` and the nightly read it.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/noise_profile.h"

namespace tinyperf {

namespace fs = std::filesystem;

namespace {

using perf::escape::Terminal;

struct CalibrateOptions {
  std::vector<std::string> binaries;
  int rounds = 3, repetitions = 10;
  double min_time = 0.1, threshold_pct = 10;
  std::string filter, out, work = "build/calibrate";
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int Calibrate(CalibrateOptions o) {
  if (o.binaries.empty()) {
    o.binaries =
        fileio::ListFiles(fs::canonical("/proc/self/exe").parent_path().string(), "_bench");
  }
  if (o.binaries.empty()) {
    std::fprintf(stderr, "tinyperf calibrate: no *_bench binaries next to tinyperf\n");
    return kExitUsage;
  }
  const perf::Environment env = perf::CaptureEnvironment();
  const std::string fingerprint = perf::MachineFingerprint(env);
  std::vector<perf::ComparisonReport> reports;
  std::vector<perf::BenchmarkDrift> drift;
  for (const std::string& binary : o.binaries) {
    const std::string name = fs::path(binary).filename().string();
    const fs::path dir = fs::path(o.work) / name;
    fs::remove_all(dir);
    fs::create_directories(dir / "a");
    fs::create_directories(dir / "b");
    std::printf("tinyperf calibrate: %s, %d alternating rounds\n", Terminal(name).c_str(),
                o.rounds);
    std::fflush(stdout);
    for (int round = 0; round < o.rounds; ++round) {
      for (const char* side : {"a", "b"}) {
        const std::string out = (dir / side / (std::to_string(round) + ".json")).string();
        const std::string cmd =
            Quote(binary) + " --benchmark_repetitions=" + std::to_string(o.repetitions) +
            " --benchmark_min_time=" + std::to_string(o.min_time) +
            (o.filter.empty() ? "" : " --benchmark_filter=" + Quote(o.filter)) +
            " --benchmark_out=" + Quote(out) + " --benchmark_out_format=json >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) {
          std::fprintf(stderr, "tinyperf calibrate: %s failed (%s)\n", Terminal(name).c_str(),
                       Terminal(cmd).c_str());
          return kExitUsage;  // a binary that cannot run is bad input, not a finding
        }
      }
    }
    std::vector<perf::BenchmarkRun> runs;  // a0 b0 a1 b1 ...
    for (int round = 0; round < o.rounds; ++round) {
      for (const char* side : {"a", "b"}) {
        runs.push_back(
            perf::ReadGoogleBenchmark((dir / side / (std::to_string(round) + ".json")).string()));
      }
    }
    perf::AAComparison aa = perf::CompareAAPairs(runs, o.threshold_pct / 100);
    drift.insert(drift.end(), aa.drift.begin(), aa.drift.end());
    perf::ComparisonReport& r = aa.pairs;
    if (r.changes.empty()) {
      std::fprintf(stderr, "tinyperf calibrate: %s ran zero benchmarks\n", Terminal(name).c_str());
      return kExitUsage;
    }
    for (const perf::BenchmarkChange& c : r.changes) {
      if (c.verdict == perf::ChangeVerdict::kRegression) {
        std::printf("  A/A false alarm: %s %s\n", perf::format::TerminalName(c.name).c_str(),
                    Terminal(c.reason).c_str());
      }
    }
    reports.push_back(std::move(r));
  }
  const perf::NoiseProfile profile =
      perf::ProfileFromAA(reports, fingerprint, o.rounds, o.repetitions, drift);
  std::string out = o.out;
  if (out.empty()) out = "validation_results/baselines/" + fingerprint + "/noise.json";
  // `--out noise.json` has no directory part to create.
  if (const fs::path dir = fs::path(out).parent_path(); !dir.empty()) fs::create_directories(dir);
  fileio::WriteAtomically(out, profile.ToJson().dump(2) + "\n");
  std::printf("%s", profile.ToText().c_str());
  std::printf("tinyperf calibrate: wrote %s\n", Terminal(out).c_str());
  return kExitOk;
}

}  // namespace

void AddCalibrateCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* c = app.add_subcommand(
      "calibrate",
      "A/A comparisons of benchmark binaries on this machine: per-family resolution and the "
      "false-alarm rate of compare, written as a noise profile");
  c->add_option("binaries", o->binaries,
                "Google Benchmark binaries (default: every *_bench next to tinyperf)")
      ->check(CLI::ExistingFile);
  c->add_option("--rounds", o->rounds,
                "Pairs of single runs (3): 2 x rounds runs estimate the drift between runs")
      ->check(CLI::Range(3, 100));
  c->add_option("--repetitions", o->repetitions,
                "--benchmark_repetitions per run (10, as the nightly's runs)")
      ->check(CLI::Range(2, 1000));
  c->add_option("--min-time", o->min_time, "--benchmark_min_time per repetition, s (0.1)")
      ->check(CLI::Range(0.001, 100.0));
  c->add_option("--filter", o->filter, "--benchmark_filter for every binary");
  c->add_option("--threshold", o->threshold_pct, "Regression threshold in % (10), as in compare")
      ->check(CLI::Range(0.1, 1000.0));
  c->add_option("--out", o->out,
                "Profile path (validation_results/baselines/<fingerprint>/noise.json)");
  c->add_option("--work", o->work, "Scratch directory for the runs (build/calibrate)");
  c->callback([o, &run] { run = [o] { return Calibrate(*o); }; });
}

}  // namespace tinyperf
