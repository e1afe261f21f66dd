// Fleet verdicts (fleet.h): hardware classes, the Poisson-binomial tail, and the judgement of each
// recorded change against the machines that measured its commit.
#include "perf_store/fleet.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "perf_framework/error.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/statistics.h"

namespace perf::store {

std::string IsaLevel(const std::vector<std::string>& cpu_flags) {
  const auto has = [&](const char* f) {
    return std::find(cpu_flags.begin(), cpu_flags.end(), f) != cpu_flags.end();
  };
  if (has("avx512f")) return "avx512";
  if (has("avx2") && has("fma")) return "avx2";
  if (has("sse4_2")) return "sse4.2";
  return "baseline";
}

std::string HardwareClass(const Environment& env) {
  if (env.cpu_model.empty()) return "unknown";
  const std::string kernel = env.blas.kernel.empty() ? env.blas.library : env.blas.kernel;
  return env.cpu_model + " | " + IsaLevel(env.cpu_flags) + " | " + kernel;
}

double PoissonBinomialTail(std::span<const double> p, int k) {
  for (const double x : p) {
    PERF_CHECK(x >= 0 && x <= 1, "PoissonBinomialTail: probability ", x, " is not in [0, 1]");
  }
  if (k <= 0) return 1;
  if (static_cast<size_t>(k) > p.size()) return 0;
  // dist[j] = P(exactly j of the events so far), one event added at a time: sums of products of
  // probabilities only, no subtraction, so a tail of 1e-12 keeps its digits.
  std::vector<double> dist(p.size() + 1, 0.0);
  dist[0] = 1;
  for (size_t i = 0; i < p.size(); ++i) {
    for (size_t j = i + 1; j > 0; --j) dist[j] = dist[j] * (1 - p[i]) + dist[j - 1] * p[i];
    dist[0] *= 1 - p[i];
  }
  double tail = 0;
  for (size_t j = static_cast<size_t>(k); j < dist.size(); ++j) tail += dist[j];
  return std::min(tail, 1.0);
}

double FalseAlarmBound(int64_t alarms, int64_t tested) {
  if (tested <= 0) return 1;
  return WilsonInterval(std::min(alarms, tested), tested).high;
}

// FleetStatus's names, in its order.
constexpr const char* kFleetStatusNames[] = {"confirmed", "hardware-specific", "unconfirmed"};
static_assert(std::size(kFleetStatusNames) == static_cast<size_t>(FleetStatus::kUnconfirmed) + 1,
              "a name for every FleetStatus");

const char* FleetStatusName(FleetStatus s) { return kFleetStatusNames[static_cast<size_t>(s)]; }

const char* FalseAlarmSourceName(FalseAlarmSource s) {
  return s == FalseAlarmSource::kNoiseProfile ? "noise-profile" : "history";
}

FleetStatus JudgeChange(const ClassRates& own_others, const std::vector<ClassRates>& other_classes,
                        ClassEvidence& own, std::vector<ClassEvidence>& others) {
  own.hardware_class = own_others.hardware_class;
  own.n = static_cast<int>(own_others.rates.size()) + 1;
  own.k = own_others.flagged + 1;
  // The machine that recorded the change is why it is looked at: only the others are evidence.
  own.p_value = own.n == 1 ? 1 : PoissonBinomialTail(own_others.rates, own_others.flagged);
  others.clear();
  bool elsewhere = false;
  for (const ClassRates& c : other_classes) {
    const double p = PoissonBinomialTail(c.rates, c.flagged);
    others.push_back({c.hardware_class, static_cast<int>(c.rates.size()), c.flagged, p});
    elsewhere = elsewhere || (c.flagged > 0 && p < kFleetAlpha);
  }
  if (own.n < 2 || !(own.p_value < kFleetAlpha)) return FleetStatus::kUnconfirmed;
  return !others.empty() && !elsewhere ? FleetStatus::kHardwareSpecific : FleetStatus::kConfirmed;
}

std::string HardwareClassOf(const std::string& environment_json) {
  try {
    const nlohmann::json j = nlohmann::json::parse(environment_json);
    if (!j.is_object() || j.empty()) return "unknown";
    return HardwareClass(Environment::FromJson(j));
  } catch (const std::exception&) {
    return "unknown";
  }
}

namespace {

// The metric a noise profile measures: compare's A/A comparisons are of times.
constexpr const char* kProfileMetric = "real_time";

// Each machine's rate from its newest noise profile, for the machines whose profile counts (the
// rule in fleet.h): measured on the machine as it is now, with at least one comparison.
std::map<std::string, FalseAlarmRate> ProfileRates(Store& store,
                                                   const std::map<std::string, std::string>& fp) {
  std::map<std::string, FalseAlarmRate> out;
  for (const StoredNoiseProfile& s : store.LatestNoiseProfiles()) {
    NoiseProfile p;
    try {
      p = NoiseProfile::FromJson(nlohmann::json::parse(s.content), s.run + "/noise.json");
    } catch (const std::exception&) {
      continue;  // checked on import: only a database edited by hand gets here; history then
    }
    const auto machine_fp = fp.find(s.machine);
    if (machine_fp == fp.end() || machine_fp->second.empty() ||
        machine_fp->second != p.fingerprint || p.benchmarks <= 0) {
      continue;
    }
    out[s.machine] = {FalseAlarmBound(p.false_alarms, p.benchmarks), p.false_alarms, p.benchmarks,
                      FalseAlarmSource::kNoiseProfile, s.run};
  }
  return out;
}

}  // namespace

std::vector<FleetChange> FleetChanges(Store& store, const std::string& machine) {
  std::map<std::string, std::string> class_of, fingerprint_of;
  for (const MachineInfo& m : store.ListMachines()) {
    class_of[m.name] = HardwareClassOf(m.environment_json);
    fingerprint_of[m.name] = m.fingerprint;
  }
  const std::map<std::string, FalseAlarmRate> profiled = ProfileRates(store, fingerprint_of);
  std::map<std::string, std::set<std::string>> commits_of;
  std::map<std::string, int64_t> runs_of;
  for (const RunCommit& r : store.ListRunCommits()) {
    ++runs_of[r.machine];
    if (!r.commit.empty()) commits_of[r.machine].insert(r.commit);
  }
  // (machine, metric) -> the benchmarks its newest run measured
  std::map<std::pair<std::string, std::string>, std::set<std::string>> measures;
  for (const char* metric : {"real_time", "instructions"}) {
    for (const LatestValue& v : store.LatestValues(metric)) {
      measures[{v.machine, metric}].insert(v.benchmark);
    }
  }
  const std::vector<Change> all = store.ListChanges();
  std::map<std::pair<std::string, std::string>, int64_t> alarms;  // (machine, metric)
  std::set<std::tuple<std::string, std::string, std::string, std::string, std::string>> flagged;
  for (const Change& c : all) {
    ++alarms[{c.machine, c.metric}];
    flagged.insert({c.machine, c.benchmark, c.metric, c.direction, c.commit});
  }
  // Each series searched at each run but its first: the positions a false alarm could land on.
  const auto tested = [&](const std::string& m, const std::string& metric) {
    const auto it = measures.find({m, metric});
    const int64_t series = it == measures.end() ? 0 : static_cast<int64_t>(it->second.size());
    return series * std::max<int64_t>(runs_of[m] - 1, 0);
  };
  const auto rate = [&](const std::string& m, const std::string& metric) {
    if (metric == kProfileMetric) {
      if (const auto p = profiled.find(m); p != profiled.end()) return p->second;
    }
    const int64_t a = alarms[{m, metric}], t = tested(m, metric);
    return FalseAlarmRate{FalseAlarmBound(a, t), a, t, FalseAlarmSource::kHistory, ""};
  };

  std::vector<FleetChange> out;
  for (const Change& c : all) {
    if (!machine.empty() && c.machine != machine) continue;
    FleetChange f;
    f.change = c;
    f.hardware_class = class_of[c.machine];
    f.false_alarm = rate(c.machine, c.metric);
    ClassRates own{f.hardware_class, {}, 0};
    std::map<std::string, ClassRates> other;
    if (!c.commit.empty()) {
      for (const auto& [m, commits] : commits_of) {
        const auto bench = measures.find({m, c.metric});
        if (m == c.machine || !commits.contains(c.commit) || bench == measures.end() ||
            !bench->second.contains(c.benchmark)) {
          continue;
        }
        const std::string& cls = class_of[m];
        ClassRates& into = cls == f.hardware_class ? own : other[cls];
        into.hardware_class = cls;
        into.rates.push_back(rate(m, c.metric).rate);
        into.flagged += flagged.contains({m, c.benchmark, c.metric, c.direction, c.commit});
      }
    }
    std::vector<ClassRates> others;
    for (auto& [cls, r] : other) others.push_back(std::move(r));
    f.status = JudgeChange(own, others, f.own, f.other_classes);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace perf::store
