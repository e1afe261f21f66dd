// Fleet verdicts: a change one machine detected (Store::DetectChanges), judged against the other
// machines that measured the same commit. Change detection stays inside one machine's history
// (history.h); what this adds is "seen on k of n machines of its hardware class", whether that is
// more than the machines' own noise would give, and whether it is confined to one class.
//
// The rule, and why. Each machine m has a false-alarm rate a_m: the chance that its detector
// flags a given benchmark's series at a given run when nothing changed. A change recorded on
// machine M at commit X of benchmark b is confirmed when, among the other machines of M's class
// that measured X and b, at least k − 1 flagged the same change (same benchmark, metric,
// direction, at a run of X), and noise alone would make that many of them flag with probability
// below kFleetAlpha: P(at least k − 1 of independent alarms with probabilities a_m) — the
// Poisson-binomial tail, a sign test with unequal rates. M itself is left out of the test because
// it is the reason the change is being looked at (counting it would test a selected event). One
// machine alone (n = 1) is never confirmed: nothing can agree with it. A change confirmed in its
// class while the machines of every other class that measured X stay within their noise (their
// own tail p ≥ kFleetAlpha) is hardware-specific.
//
// A machine's false-alarm rate for times comes from its own noise profile when its runs carry
// one (the run folder's noise.json: the nightly copies in the profile of `tinyperf calibrate`
// its comparison used; the newest run carrying one counts): the profile's A/A comparisons
// compared the very same binary with itself, so every regression they called is a false alarm,
// measured, not assumed. The rate is the upper end of the 95% Wilson interval of its false alarms
// in its benchmark comparisons. The profile counts only when it describes the machine as it is:
// its fingerprint is the machine's latest, and it compared at least one benchmark. Otherwise,
// and always for instruction counts (a profile measures times), the rate is estimated on the
// machine's own history in the store: the changes it recorded of that metric per series and run
// searched, every recorded change counted as an alarm (real ones too: the estimate errs toward
// noisy, which only makes confirmation harder), again at the upper end of its 95% Wilson
// interval, so that a machine with a short history cannot look quiet. Every verdict says which
// of the two its machine's rate is (FalseAlarmRate::source).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "perf_framework/environment.h"
#include "perf_store/store.h"

namespace perf::store {

inline constexpr double kFleetAlpha = 0.01;

// The ISA level a machine's kernels run at, from its recorded CPU flags: "avx512" (avx512f),
// "avx2" (avx2 and fma), "sse4.2", else "baseline".
std::string IsaLevel(const std::vector<std::string>& cpu_flags);

// Machines whose timings move together: the same CPU model, ISA level and BLAS kernel,
// "Intel Xeon Gold 6338 | avx512 | SkylakeX". An environment without a CPU model is "unknown".
std::string HardwareClass(const Environment& env);
// The class of an environment as the store keeps it (MachineInfo::environment_json): "unknown"
// when there is none ("{}") or it cannot be read.
std::string HardwareClassOf(const std::string& environment_json);

// P(at least k of n independent events happen), event i with probability p[i] (each in [0, 1]):
// the Poisson-binomial upper tail, by the exact O(n²) recurrence over counts. 1 for k <= 0, 0 for
// k > n. Throws perf::Error for a probability outside [0, 1].
double PoissonBinomialTail(std::span<const double> p, int k);

// The upper end of the 95% Wilson interval of `alarms` in `tested` (1 when nothing was tested).
double FalseAlarmBound(int64_t alarms, int64_t tested);

// The last is kUnconfirmed (fleet.cc's name table counts on it).
enum class FleetStatus { kConfirmed, kHardwareSpecific, kUnconfirmed };
const char* FleetStatusName(FleetStatus s);  // "confirmed", "hardware-specific", "unconfirmed"

// One class's evidence on one change: n machines of it measured the commit, k flagged.
struct ClassEvidence {
  std::string hardware_class;
  int n = 0, k = 0;
  double p_value = 1;  // the tail probability of the rule (above), for this class
};

// Where a machine's false-alarm rate comes from (the rule above).
enum class FalseAlarmSource { kNoiseProfile, kHistory };
const char* FalseAlarmSourceName(FalseAlarmSource s);  // "noise-profile", "history"

// A machine's false-alarm rate for one metric, and what it is measured on.
struct FalseAlarmRate {
  double rate = 1;  // FalseAlarmBound(alarms, tested)
  // kNoiseProfile: the profile's A/A regressions in its benchmark comparisons; kHistory: the
  // recorded changes in the series-runs searched.
  int64_t alarms = 0, tested = 0;
  FalseAlarmSource source = FalseAlarmSource::kHistory;
  std::string profile_run;  // kNoiseProfile: the run whose noise.json it is; "" otherwise
};

// A recorded change with its fleet verdict.
struct FleetChange {
  Change change;
  std::string hardware_class;                // of the change's machine
  FalseAlarmRate false_alarm;                // the machine's, for the change's metric
  ClassEvidence own;                         // its own class (k counts the machine itself)
  std::vector<ClassEvidence> other_classes;  // classes that measured the commit too
  FleetStatus status = FleetStatus::kUnconfirmed;
};

// Judges one change from its class's evidence and the other classes': the rule above. `own_rates`
// are the false-alarm rates of the other machines of its class that measured the commit, and
// `own_flagged` how many of them flagged it; each other class likewise.
struct ClassRates {
  std::string hardware_class;
  std::vector<double> rates;  // one per machine that measured the commit
  int flagged = 0;
};
FleetStatus JudgeChange(const ClassRates& own_others, const std::vector<ClassRates>& other_classes,
                        ClassEvidence& own, std::vector<ClassEvidence>& others);

// Every recorded change (newest first, as ListChanges), of `machine` when not "", with its verdict.
std::vector<FleetChange> FleetChanges(Store& store, const std::string& machine = "");

}  // namespace perf::store
