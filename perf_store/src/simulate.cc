// The simulated fleet (simulate.h).
#include "perf_store/simulate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "perf_framework/environment.h"
#include "perf_framework/error.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/statistics.h"

namespace perf::store {

namespace {

constexpr double kRepetitionNoise = 0.02;  // log-normal sigma of one repetition
constexpr double kRunNoise = 0.01;         // of one run (process) as a whole
constexpr double kPlantedStep = 1.25;
constexpr int kCalibrationRounds = 3;  // calibrate's default

// SplitMix64: one well-mixed 64-bit value from a few integers, so every (seed, machine, night)
// has its own independent stream and any run can be made alone, in any order.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The night's commit: the same on every machine, 40 hex digits.
std::string CommitOf(uint64_t seed, int night) {
  char hex[41];
  const uint64_t a = Mix(seed ^ Mix(static_cast<uint64_t>(night) + 1)), b = Mix(a), c = Mix(b);
  std::snprintf(hex, sizeof hex, "%016llx%016llx%08llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b), static_cast<unsigned long long>(c >> 32));
  return hex;
}

}  // namespace

void FleetSimulation::Check() const {
  PERF_CHECK(machines >= 1 && machines <= 1000, "simulate: --machines ", machines,
             " must be from 1 to 1000");
  PERF_CHECK(nights >= 1 && nights <= 3650, "simulate: --nights ", nights,
             " must be from 1 to 3650");
  PERF_CHECK(benchmarks >= 2 && benchmarks <= 10000, "simulate: --benchmarks ", benchmarks,
             " must be from 2 to 10000 (benchmarks 0 and 1 carry the planted changes)");
  PERF_CHECK(repetitions >= 1 && repetitions <= 1000, "simulate: --repetitions ", repetitions,
             " must be from 1 to 1000");
}

std::string FleetSimulation::MachineName(int m) const {
  char name[32];
  std::snprintf(name, sizeof name, "sim-%02d", m);
  return name;
}

std::string FleetSimulation::BenchmarkName(int b) const { return "BM_Sim/b:" + std::to_string(b); }

RunBundle SimulatedRun(const FleetSimulation& sim, int m, int night) {
  using namespace std::chrono;
  const year_month_day day{sys_days{2026y / January / 1} + days{night}};
  char run[32], utc[32];
  std::snprintf(run, sizeof run, "%04d%02d%02dT030000Z", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  std::snprintf(utc, sizeof utc, "%04d-%02d-%02dT03:00:00Z", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  const bool avx512 = m % 2 == 0;
  Environment env;
  env.cpu_model = avx512 ? "Simulated Xeon" : "Simulated EPYC";
  env.cpu_flags = avx512 ? std::vector<std::string>{"sse4_2", "avx2", "fma", "avx512f"}
                         : std::vector<std::string>{"sse4_2", "avx2", "fma"};
  env.logical_cores = 2;
  env.governor = "performance";
  env.compiler = "g++ 12.2.0";
  env.build_type = "Release";
  env.git_commit = CommitOf(sim.seed, night);
  env.utc_time = utc;
  env.blas.library = "OpenBLAS";
  env.blas.kernel = avx512 ? "SkylakeX" : "Haswell";

  std::mt19937_64 rng(Mix(sim.seed ^ Mix((static_cast<uint64_t>(m) << 32) + night)));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::string rows;
  for (int b = 0; b < sim.benchmarks; ++b) {
    // Each benchmark's level: 1 us to about 1 ms, fixed by the seed, the same on every machine.
    const double level =
        1000.0 * std::exp(7.0 * static_cast<double>(Mix(sim.seed + b) % 1000) / 1000);
    double step = 1;
    if (b == 0 && night >= sim.FleetChangeNight()) step = kPlantedStep;
    if (b == 1 && avx512 && night >= sim.Avx512ChangeNight()) step = kPlantedStep;
    const double run_factor = std::exp(kRunNoise * normal(rng));
    for (int r = 0; r < sim.repetitions; ++r) {
      const double ns = level * step * run_factor * std::exp(kRepetitionNoise * normal(rng));
      char row[256];
      std::snprintf(row, sizeof row,
                    "%s\n{\"name\": \"%s\", \"run_name\": \"%s\", \"run_type\": \"iteration\", "
                    "\"repetition_index\": %d, \"iterations\": 100, \"real_time\": %.6f, "
                    "\"time_unit\": \"ns\"}",
                    rows.empty() ? "" : ",", sim.BenchmarkName(b).c_str(),
                    sim.BenchmarkName(b).c_str(), r, ns);
      rows += row;
    }
  }
  RunBundle bundle{sim.MachineName(m), run, {}};
  bundle.documents.push_back({"bench/sim_bench.1.json", "{\"benchmarks\": [" + rows + "\n]}\n"});
  bundle.documents.push_back({"environment.json", env.ToJson().dump(2) + "\n"});
  if (sim.Calibrated(m)) {
    // What `tinyperf calibrate` would find: the planted noise (2% per repetition, 1% per run) is
    // far inside compare's 10% threshold, so its A/A comparisons raise no false alarm.
    NoiseProfile p;
    p.fingerprint = MachineFingerprint(env);
    p.rounds = kCalibrationRounds;
    p.repetitions = sim.repetitions;
    p.threshold_pct = 10;
    p.benchmarks = kCalibrationRounds * sim.benchmarks;
    p.families = {{"BM_Sim", p.benchmarks, 0, 0, kNaN}};
    const Interval rate = WilsonInterval(0, p.benchmarks);
    p.false_alarm_low = rate.low;
    p.false_alarm_high = rate.high;
    bundle.documents.push_back({kNoiseProfileDocument, p.ToJson().dump(2) + "\n"});
  }
  std::sort(bundle.documents.begin(), bundle.documents.end(),
            [](const RunDocument& a, const RunDocument& b) { return a.name < b.name; });
  return bundle;
}

}  // namespace perf::store
