// Documents -> rows: results.json through perf's own validating reader, Google Benchmark and
// `tinyperf count` JSON through one generic reader of iteration rows (every numeric field of a
// row that is not bookkeeping is a metric: times, FLOPS, instructions, cache misses).
#include "normalise.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "perf_framework/environment.h"
#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/suite.h"

namespace perf::store {

namespace {

constexpr size_t kMaxNameChars = 512;  // also the server's longest query parameter (api.cc)

// Google Benchmark's time units, in ns.
struct TimeUnit {
  const char* name;
  double ns;
};
constexpr TimeUnit kTimeUnits[] = {{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
// Numeric fields of an iteration row that describe the run rather than measure it.
constexpr const char* kBookkeeping[] = {"family_index", "per_family_instance_index",
                                        "repetitions",  "repetition_index",
                                        "threads",      "iterations",
                                        "real_time",    "cpu_time"};

bool IsHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A text value that can be stored in any backend: bounded, no NUL (PostgreSQL's text cannot
// hold one).
std::string StorableText(const std::string& s, const std::string& where, size_t max_chars) {
  PERF_CHECK(s.find('\0') == std::string::npos, where, " holds a NUL character");
  PERF_CHECK(s.size() <= max_chars, where, " is ", s.size(), " bytes long, at most ", max_chars,
             " allowed");
  return s;
}

// A run's start, which orders its runs, their series and their changes: YYYY-MM-DDTHH:MM:SSZ (the
// form that sorts as text in time order, the same in every backend's collation), or empty when
// the document does not say.
std::string StartTime(const std::string& s, const std::string& where) {
  PERF_CHECK(s.empty() || IsUtcTimestamp(s), where, " '", escape::Shorten(s, 64),
             "' is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ");
  return s;
}

// A benchmark's name: storable, and without control characters, as the server's query
// parameters are (api.cc), so that every stored benchmark has a page and a series to ask for.
std::string BenchmarkName(const std::string& s, const std::string& where) {
  std::string name = StorableText(s, where, kMaxNameChars);
  for (const unsigned char c : name) {
    PERF_CHECK(c >= 0x20 && c != 0x7f, where, " holds a control character (byte ",
               static_cast<int>(c), ")");
  }
  return name;
}

void ReadEnvironment(const nlohmann::json& env, const std::string& where, NormalisedRun& out) {
  PERF_CHECK(env.is_object(), where, " must be an object, got ", env.type_name());
  Environment e;
  try {
    e = Environment::FromJson(env);
  } catch (const std::exception& x) {
    detail::Throw(where, ": ", x.what());
  }
  out.environment_json = env.dump();
  out.fingerprint = MachineFingerprint(e);
  // "unknown" outside a git checkout; anything but a hex commit is not one.
  if (e.git_commit.size() >= 7 && e.git_commit.size() <= 64 && IsHex(e.git_commit)) {
    out.commit = e.git_commit;
  }
  if (out.started_utc.empty()) out.started_utc = StartTime(e.utc_time, where + ".utc_time");
}

void ReadResults(const RunDocument& d, NormalisedRun& out) {
  const nlohmann::json j = ParseJson(d.content, d.name);
  const SuiteResults results = SuiteResults::FromJson(j, d.name);
  out.started_utc = StartTime(results.started_utc, d.name + ": started_utc");
  ReadEnvironment(j.at("environment"), d.name + ": environment", out);
  for (size_t i = 0; i < results.claims.size(); ++i) {
    const ClaimResult& c = results.claims[i];
    const std::string where = d.name + ": claims[" + std::to_string(i) + "]";
    const Evidence& e = c.outcome.evidence;
    out.verdicts.push_back({StorableText(c.module, where + ".module", kMaxNameChars),
                            StorableText(c.id, where + ".id", kMaxNameChars), ClaimKindName(c.kind),
                            ClaimVerdictName(c.outcome.verdict),
                            StorableText(e.unit, where + ".evidence.unit", kMaxNameChars),
                            StorableText(c.outcome.reason, where + ".reason", 1 << 16), e.value,
                            e.low, e.high});
  }
  // Two claims with one (module, id) would make the run's verdict ambiguous.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const NormalisedVerdict& v : out.verdicts) keys.emplace_back(v.module, v.claim);
  std::sort(keys.begin(), keys.end());
  const auto dup = std::adjacent_find(keys.begin(), keys.end());
  PERF_CHECK(dup == keys.end(), d.name, ": claim '", dup->first, ".", dup->second,
             "' appears twice");
}

double TimeField(const nlohmann::json& row, const char* key, double unit_ns,
                 const std::string& where) {
  PERF_CHECK(row.at(key).is_number(), where, ": field '", key, "' must be a number, got ",
             row.at(key).type_name());
  return row.at(key).get<double>() * unit_ns;
}

void ReadBenchmarks(const RunDocument& d, const nlohmann::json& j, NormalisedRun& out) {
  const nlohmann::json& rows = j.at("benchmarks");
  PERF_CHECK(rows.is_array(), d.name, ": field 'benchmarks' must be an array, got ",
             rows.type_name());
  std::map<std::string, int64_t> seen;  // rows per name, for files without repetition_index
  for (size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = rows[i];
    const std::string where = d.name + ": benchmarks[" + std::to_string(i) + "]";
    PERF_CHECK(row.is_object(), where, " must be an object, got ", row.type_name());
    if (JsonOptional<std::string>(row, "run_type", "iteration", where) == "aggregate") continue;
    if (JsonOptional<bool>(row, "error_occurred", false, where)) continue;  // nothing measured
    const std::string name = BenchmarkName(
        JsonOptional<std::string>(row, "run_name",
                                  JsonOptional<std::string>(row, "name", "", where), where),
        where + ".run_name");
    PERF_CHECK(!name.empty(), where, ": missing field 'name'");
    const int64_t repetition =
        row.contains("repetition_index")
            ? JsonInt(row.at("repetition_index"), where + ": field 'repetition_index'")
            : seen[name];
    ++seen[name];
    const auto add = [&](const std::string& metric, const char* unit, double value) {
      out.samples.push_back({name, metric, unit, d.name, repetition, value});
    };
    if (row.contains("real_time") || row.contains("cpu_time")) {
      const std::string unit = JsonOptional<std::string>(row, "time_unit", "ns", where);
      const auto u = std::find_if(std::begin(kTimeUnits), std::end(kTimeUnits),
                                  [&](const TimeUnit& t) { return unit == t.name; });
      PERF_CHECK(u != std::end(kTimeUnits), where, ": field 'time_unit' '", unit.substr(0, 16),
                 "' must be ns, us, ms or s");
      for (const char* key : {"real_time", "cpu_time"}) {
        if (row.contains(key)) add(key, "ns", TimeField(row, key, u->ns, where));
      }
    }
    for (const auto& field : row.items()) {
      const std::string& key = field.key();  // not a structured binding: clang 15 (fuzz preset)
                                             // cannot capture one in the lambda below
      if (!field.value().is_number() ||
          std::any_of(std::begin(kBookkeeping), std::end(kBookkeeping),
                      [&](const char* b) { return key == b; })) {
        continue;
      }
      add(StorableText(key, where + " field name", 128), "", field.value().get<double>());
    }
    PERF_CHECK(out.samples.size() <= kMaxSamplesPerRun, d.name, ": more than ", kMaxSamplesPerRun,
               " samples in one run");
  }
}

// The run's noise profile: a profile, whose false-alarm count is one of its comparisons (the
// fleet verdicts divide one by the other).
void CheckNoiseProfile(const RunDocument& d) {
  const NoiseProfile p = NoiseProfile::FromJson(ParseJson(d.content, d.name), d.name);
  PERF_CHECK(p.benchmarks >= 0, d.name, ": field 'benchmarks' is ", p.benchmarks,
             ", must not be negative");
  PERF_CHECK(p.false_alarms >= 0 && p.false_alarms <= p.benchmarks, d.name,
             ": field 'false_alarms' is ", p.false_alarms, ", must be 0 to 'benchmarks' (",
             p.benchmarks, ")");
}

}  // namespace

NormalisedRun Normalise(const RunBundle& bundle) {
  NormalisedRun out;
  if (const RunDocument* r = bundle.Find("results.json")) ReadResults(*r, out);
  if (const RunDocument* e = bundle.Find("environment.json"); e && out.environment_json == "{}") {
    ReadEnvironment(ParseJson(e->content, e->name), e->name, out);
  }
  if (const RunDocument* p = bundle.Find(kNoiseProfileDocument)) CheckNoiseProfile(*p);
  for (const RunDocument& d : bundle.documents) {
    // Per-claim files duplicate results.json; they and the Markdown are kept verbatim only. The
    // environment and the noise profile were read above.
    if (!d.name.ends_with(".json") || d.name.starts_with("claims/") || d.name == "results.json" ||
        d.name == "environment.json" || d.name == kNoiseProfileDocument) {
      continue;
    }
    const nlohmann::json j = ParseJson(d.content, d.name);
    if (j.is_object() && j.contains("benchmarks")) ReadBenchmarks(d, j, out);
  }
  // A run folder is named by its UTC start (20261203T074900Z) when its documents do not say.
  const std::string& r = bundle.run;
  if (out.started_utc.empty() && r.size() == 16 && r[8] == 'T' && r[15] == 'Z') {
    const std::string t = r.substr(0, 4) + "-" + r.substr(4, 2) + "-" + r.substr(6, 2) + "T" +
                          r.substr(9, 2) + ":" + r.substr(11, 2) + ":" + r.substr(13, 2) + "Z";
    if (IsUtcTimestamp(t)) out.started_utc = t;
  }
  return out;
}

}  // namespace perf::store
