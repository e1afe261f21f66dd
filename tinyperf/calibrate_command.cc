// tinyperf calibrate: A/A comparisons on this machine (perf::Calibrate, calibrate.h: each
// benchmark binary run 2 × rounds times, the very same binary every time, as the nightly runs it,
// compared pair by pair by the held-out protocol and summed up per family). The profile goes to
// this machine's baseline directory (validation_results/baselines/<fingerprint>/noise.json), where
// `compare --noise` and the nightly read it.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/calibrate.h"
#include "perf_framework/environment.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"

namespace tinyperf {

namespace fs = std::filesystem;

namespace {

using perf::escape::Terminal;

struct CalibrateCommandOptions {
  std::vector<std::string> binaries;
  std::string out;
  perf::CalibrateOptions calibrate;
};

// Each binary as it starts, and the false alarms of its A/A pairs.
perf::CalibrateProgress PrintProgress(int rounds) {
  return {.starting =
              [rounds](const std::string& name) {
                std::printf("tinyperf calibrate: %s, %d alternating rounds\n",
                            Terminal(name).c_str(), rounds);
                std::fflush(stdout);
              },
          .compared =
              [](const std::string&, const perf::ComparisonReport& pairs) {
                for (const perf::BenchmarkChange& c : pairs.changes) {
                  if (c.verdict == perf::ChangeVerdict::kRegression) {
                    std::printf("  A/A false alarm: %s %s\n",
                                perf::format::TerminalName(c.name).c_str(),
                                Terminal(c.reason).c_str());
                  }
                }
              }};
}

int Calibrate(CalibrateCommandOptions o) {
  if (o.binaries.empty()) {
    o.binaries =
        fileio::ListFiles(fs::canonical("/proc/self/exe").parent_path().string(), "_bench");
  }
  if (o.binaries.empty()) {
    std::fprintf(stderr, "tinyperf calibrate: no *_bench binaries next to tinyperf\n");
    return kExitUsage;
  }
  const std::string fingerprint = perf::MachineFingerprint(perf::CaptureEnvironment());
  const perf::NoiseProfile profile =
      perf::Calibrate(o.binaries, fingerprint, o.calibrate, PrintProgress(o.calibrate.rounds));
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
  auto o = std::make_shared<CalibrateCommandOptions>();
  CLI::App* c = app.add_subcommand(
      "calibrate",
      "A/A comparisons of benchmark binaries on this machine: per-family resolution and the "
      "false-alarm rate of compare, written as a noise profile");
  c->add_option("binaries", o->binaries,
                "Google Benchmark binaries (default: every *_bench next to tinyperf)")
      ->check(CLI::ExistingFile);
  c->add_option("--rounds", o->calibrate.rounds,
                "Pairs of single runs (3): 2 x rounds runs estimate the drift between runs")
      ->check(CLI::Range(3, 100));
  c->add_option("--repetitions", o->calibrate.repetitions,
                "--benchmark_repetitions per run (10, as the nightly's runs)")
      ->check(CLI::Range(2, 1000));
  c->add_option("--min-time", o->calibrate.min_time_s,
                "--benchmark_min_time per repetition, s (0.1)")
      ->check(CLI::Range(0.001, 100.0));
  c->add_option("--filter", o->calibrate.filter, "--benchmark_filter for every binary");
  c->add_option("--threshold", o->calibrate.threshold_pct,
                "Regression threshold in % (10), as in compare")
      ->check(CLI::Range(0.1, 1000.0));
  c->add_option("--out", o->out,
                "Profile path (validation_results/baselines/<fingerprint>/noise.json)");
  c->add_option("--work", o->calibrate.work_dir,
                "Scratch directory for the runs (build/calibrate)");
  c->callback([o, &run] { run = [o] { return Calibrate(*o); }; });
}

}  // namespace tinyperf
