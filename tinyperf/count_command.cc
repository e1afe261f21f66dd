// tinyperf count [--out FILE] [--filter REGEX] [--no-cache-sim] [--timeout S] BINARY [-- ARGS]:
// instructions (and simulated cache misses and branch mispredictions) per iteration of each
// benchmark of a Google Benchmark binary, under Valgrind (perf_framework/counts.h says how), written
// as Google Benchmark JSON that `tinyperf compare --metric instructions` reads.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/counts.h"
#include "perf_framework/escape.h"

namespace tinyperf {

namespace {

using perf::escape::Terminal;

struct CountArgs {
  perf::CountOptions options;
  std::string out;
  bool no_cache_sim = false;
};

std::string Figure(const std::map<std::string, double>& counters, const char* key) {
  const auto it = counters.find(key);
  if (it == counters.end()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", std::round(it->second));
  return buf;
}

int Count(CountArgs& args) {
  args.options.cache_sim = !args.no_cache_sim;
  const perf::CountRun run = perf::CountBenchmarks(args.options, [](const std::string& line) {
    std::fprintf(stderr, "  %s\n", Terminal(line).c_str());
  });
  const std::string json = CountRunToJson(run).dump(2) + "\n";
  if (args.out.empty()) {
    std::fputs(json.c_str(), stdout);
  } else {
    fileio::WriteAtomically(args.out, json);
    std::printf("%-52s %14s %12s %12s %12s\n", "benchmark (per iteration)", "instructions",
                "L1d misses", "LL misses", "mispredicts");
    for (const perf::BenchmarkCount& b : run.benchmarks) {
      const std::string name = perf::escape::Shorten(Terminal(b.name), 52);
      if (!b.error.empty()) {
        std::printf("%-52s ERROR %s\n", name.c_str(), Terminal(b.error).c_str());
        continue;
      }
      std::printf("%-52s %14s %12s %12s %12s\n", name.c_str(),
                  Figure(b.counters, "instructions").c_str(), Figure(b.counters, "l1d_misses").c_str(),
                  Figure(b.counters, "ll_misses").c_str(),
                  Figure(b.counters, "branch_mispredicts").c_str());
    }
    std::printf("wrote %s\n", Terminal(args.out).c_str());
  }
  for (const perf::BenchmarkCount& b : run.benchmarks) {
    if (!b.error.empty()) return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace

void AddCountCommand(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<CountArgs>();
  CLI::App* cmd = app.add_subcommand(
      "count",
      "Instructions per iteration of each benchmark of a Google Benchmark binary, under Valgrind "
      "(deterministic: for a performance gate on a noisy machine)");
  cmd->add_option("binary", args->options.binary, "the Google Benchmark binary")->required();
  cmd->add_option("benchmark_args", args->options.benchmark_args,
                  "arguments for the binary, after --");
  cmd->add_option("--out", args->out, "write the Google Benchmark JSON here (default: stdout)");
  cmd->add_option("--filter", args->options.filter, "benchmarks to count (a regex, as "
                                                    "--benchmark_filter)");
  cmd->add_flag("--no-cache-sim", args->no_cache_sim,
                "instructions only: no cache or branch simulation (about 2x faster)");
  cmd->add_option("--timeout", args->options.timeout_seconds,
                  "seconds one benchmark may run under Valgrind")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--work-dir", args->options.work_dir, "keep Valgrind's files here")
      ->group("");
  cmd->add_option("--probe", args->options.probe, "the empty-loop probe binary")
      ->group("");  // default: tinyperf-count-probe beside tinyperf
  cmd->footer(
      "Valgrind executes up to AVX2: count binaries from the `portable` preset. TT_SIMD_LEVEL is "
      "set to avx2 for the child unless set already. Exit: 0 every benchmark counted, 1 some "
      "failed, 2 usage or a binary that cannot be counted.");
  cmd->callback([&run, args] { run = [args] { return Count(*args); }; });
}

}  // namespace tinyperf
