// tinyperf db simulate [--db URL] [--machines 20 --nights 365 --benchmarks 150 --repetitions 10]
// [--seed 1]: the results store's scale benchmark. Imports a seeded simulated fleet
// (perf_store/simulate.h: 20 x 365 x 150 x 10 ≈ 11 M samples by default) into a new database,
// detects its changes, judges them across the fleet and renders one benchmark's history on every
// machine, printing the counts read back from the database and the wall time of each stage.
// The counts are deterministic in the arguments (a test checks them at a small scale); the times
// are the benchmark's result and depend on the machine and its load. Exit 0; 2 bad input (bad
// arguments, a database that already holds runs); 1 the database failed.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "commands.h"
#include "perf_framework/escape.h"
#include "perf_server/dashboard.h"
#include "perf_store/fleet.h"
#include "perf_store/simulate.h"
#include "perf_store/store.h"

namespace tinyperf {

namespace {

using perf::escape::Terminal;

struct SimulateOptions {
  std::string url = "sqlite:build/simulated_fleet.db";
  perf::store::FleetSimulation sim;
};

// Seconds since `start`, on the monotonic clock.
double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Simulate(const SimulateOptions& o) {
  try {
    const perf::store::FleetSimulation& sim = o.sim;
    sim.Check();
    perf::store::Store store = perf::store::Store::Open(o.url);
    store.Init();
    PERF_CHECK(store.ListRuns({"", 1}).empty(),
               "simulate: the database already holds runs: simulate into an empty one");
    std::printf(
        "tinyperf db simulate: %d machines x %d nights x %d benchmarks x %d repetitions "
        "(seed %llu)\n",
        sim.machines, sim.nights, sim.benchmarks, sim.repetitions,
        static_cast<unsigned long long>(sim.seed));
    std::fflush(stdout);
    auto start = std::chrono::steady_clock::now();
    for (int night = 0; night < sim.nights; ++night) {
      for (int m = 0; m < sim.machines; ++m) {
        // Detection once at the end: after every run it would search each series again.
        store.ImportRun(perf::store::SimulatedRun(sim, m, night), "", /*detect=*/false);
      }
    }
    const double import_s = Since(start);
    int64_t runs = 0, samples = 0;
    for (const perf::store::RunInfo& r : store.ListRuns({"", sim.machines * sim.nights + 1})) {
      ++runs;
      samples += r.samples;
    }
    std::printf("imported: %lld runs, %lld samples (%.1f s)\n", static_cast<long long>(runs),
                static_cast<long long>(samples), import_s);
    std::fflush(stdout);

    start = std::chrono::steady_clock::now();
    const perf::store::DetectResult d = store.DetectChanges();
    std::printf("detected: %d series searched, %d changes recorded (%.1f s)\n", d.series,
                d.recorded, Since(start));
    start = std::chrono::steady_clock::now();
    std::map<perf::store::FleetStatus, int> verdicts;
    int profiled = 0, total = 0;
    for (const perf::store::FleetChange& f : perf::store::FleetChanges(store)) {
      ++verdicts[f.status];
      ++total;
      profiled += f.false_alarm.source == perf::store::FalseAlarmSource::kNoiseProfile;
    }
    std::printf("fleet verdicts: %d confirmed, %d hardware-specific, %d unconfirmed (%.2f s)\n",
                verdicts[perf::store::FleetStatus::kConfirmed],
                verdicts[perf::store::FleetStatus::kHardwareSpecific],
                verdicts[perf::store::FleetStatus::kUnconfirmed], Since(start));
    std::printf("false-alarm rates: %d from noise profiles, %d from histories\n", profiled,
                total - profiled);

    const std::string benchmark = sim.BenchmarkName(1);
    start = std::chrono::steady_clock::now();
    const std::string html = perf::server::BenchmarkHistoryHtml(store, benchmark);
    const double render_s = Since(start);
    size_t charts = 0;
    for (size_t at = html.find("trend-chart"); at != std::string::npos;
         at = html.find("trend-chart", at + 1)) {
      ++charts;
    }
    std::printf("rendered: %s, %zu charts of %d runs each, %zu bytes (%.3f s)\n",
                Terminal(benchmark).c_str(), charts, sim.nights, html.size(), render_s);
    return kExitOk;
  } catch (const perf::store::StoreError& e) {
    std::fprintf(stderr, "tinyperf db simulate: %s\n", Terminal(e.what()).c_str());
    return kExitInvalid;
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "tinyperf db simulate: %s\n", Terminal(e.what()).c_str());
    return kExitUsage;
  }
}

}  // namespace

void AddDbSimulateCommand(CLI::App& db, std::function<int()>& run) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* c = db.add_subcommand(
      "simulate", "Scale benchmark: import a seeded simulated fleet, detect, judge, render");
  c->add_option("--db", o->url,
                "An empty database: sqlite:PATH or postgresql://... (default " + o->url + ")");
  c->add_option("--machines", o->sim.machines, "Machines (even: AVX-512 class, odd: AVX2)");
  c->add_option("--nights", o->sim.nights, "Nightly runs per machine");
  c->add_option("--benchmarks", o->sim.benchmarks, "Benchmarks per run");
  c->add_option("--repetitions", o->sim.repetitions, "Repetitions per benchmark");
  c->add_option("--seed", o->sim.seed, "Seed of the simulation");
  c->callback([o, &run] { run = [o] { return Simulate(*o); }; });
}

}  // namespace tinyperf
