// A seeded simulated fleet, for the store's scale benchmark (`tinyperf db simulate`) and for tests
// that need a fleet's worth of history: machines in two hardware classes run the same nightly
// commits; every benchmark's time is its own level times log-normal noise (2% per repetition, 1%
// per run); two changes are planted: benchmark 0 is 25% slower from the middle night on every
// machine, benchmark 1 is 25% slower from three quarters in on the AVX-512 class only (the even
// machines). The first half of the machines (sim-00 up to machines / 2, both classes) are
// calibrated: every run of theirs carries a noise profile (noise.json, as the nightly copies it
// in), so the fleet verdicts take their false-alarm rates from it and the others' from their
// history. Deterministic in the seed: the same arguments give byte-identical bundles.
#pragma once

#include <cstdint>
#include <string>

#include "perf_store/run_bundle.h"

namespace perf::store {

struct FleetSimulation {
  int machines = 20;
  int nights = 365;
  int benchmarks = 150;
  int repetitions = 10;
  uint64_t seed = 1;

  // Throws perf::Error naming the field unless machines in [1, 1000], nights in [1, 3650],
  // benchmarks in [2, 10000], repetitions in [1, 1000].
  void Check() const;
  // "sim-00" ... : machine `m`'s name; its class is AVX-512 for even m, AVX2 for odd.
  std::string MachineName(int m) const;
  // "BM_Sim/b:0" ...
  std::string BenchmarkName(int b) const;
  // The night the planted changes start (nights / 2 and 3 * nights / 4).
  int FleetChangeNight() const { return nights / 2; }
  int Avx512ChangeNight() const { return 3 * nights / 4; }
  // Whether machine `m`'s runs carry a noise profile.
  bool Calibrated(int m) const { return m < machines / 2; }
};

// Machine `m`'s run of night `night` (0-based; 2026-01-01 plus `night` days): environment.json
// (its class, the night's commit), bench/sim_bench.1.json (every repetition's real_time) and, on a
// calibrated machine, noise.json.
RunBundle SimulatedRun(const FleetSimulation& sim, int m, int night);

}  // namespace perf::store
