// Google Benchmark JSON read into samples, and runs of one binary merged.
#include "perf_framework/gbench_json.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <map>

#include "perf_framework/error.h"
#include "perf_framework/suite.h"

namespace perf {

const BenchmarkMetric& FindBenchmarkMetric(std::string_view name) {
  for (const BenchmarkMetric& m : kBenchmarkMetrics) {
    if (name == m.name) return m;
  }
  detail::Throw("ParseGoogleBenchmark: metric '", name, "' must be ", BenchmarkMetricNames());
}

std::string BenchmarkMetricNames() {
  std::string names;
  for (size_t i = 0; i < std::size(kBenchmarkMetrics); ++i) {
    names += i == 0 ? "" : i + 1 == std::size(kBenchmarkMetrics) ? " or " : ", ";
    names += kBenchmarkMetrics[i].name;
  }
  return names;
}

BenchmarkRun ParseGoogleBenchmark(const nlohmann::json& j, const std::string& source,
                                  const std::string& metric) {
  const BenchmarkMetric& m = FindBenchmarkMetric(metric);
  PERF_CHECK(j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(), source,
             ": not Google Benchmark JSON (no 'benchmarks' array)");
  static const std::map<std::string, double> kToNs = {
      {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  BenchmarkRun run;
  run.source = source;
  run.unit = m.unit;
  run.context = j.value("context", nlohmann::json::object());
  std::map<std::string, size_t> index;  // name → position in run.benchmarks
  std::map<std::string, std::map<std::string, double>> aggregates;  // name → {median, mean}
  const auto entry = [&](const std::string& name) -> BenchmarkSamples& {
    const auto [it, added] = index.emplace(name, run.benchmarks.size());
    if (added) run.benchmarks.push_back({name, {}, false, "", {}});
    return run.benchmarks[it->second];
  };
  for (size_t i = 0; i < j["benchmarks"].size(); ++i) {
    const nlohmann::json& b = j["benchmarks"][i];
    const std::string where = source + ": benchmarks[" + std::to_string(i) + "]";
    PERF_CHECK(b.is_object() && b.contains("name") && b["name"].is_string(), where, ": no 'name'");
    const std::string name = b.contains("run_name") && b["run_name"].is_string()
                                 ? b["run_name"].get<std::string>()
                                 : b["name"].get<std::string>();
    if (JsonOptional(b, "error_occurred", false, where)) {
      entry(name).error = JsonOptional(b, "error_message", std::string("error_occurred"), where);
      continue;
    }
    const std::string run_type = JsonOptional(b, "run_type", std::string("iteration"), where);
    const std::string aggregate = JsonOptional(b, "aggregate_name", std::string(), where);
    // Only a central value stands in for samples; stddev, cv, BigO and RMS are not times of a run.
    if (run_type == "aggregate" && aggregate != "median" && aggregate != "mean") continue;
    PERF_CHECK(b.contains(metric) && b[metric].is_number(), where, " (", name, "): no numeric '",
               metric, "'");
    const std::string unit = JsonOptional(b, "time_unit", std::string("ns"), where);
    const auto scale = kToNs.find(unit);
    PERF_CHECK(scale != kToNs.end(), where, ": unknown time_unit '", unit, "'");
    // No clock measures a time of 0, a negative one or a subnormal one (below 2.2e-308 of its
    // unit); compare works on logs, where such a sample is -inf or a ratio of 10^300. So a time
    // must be positive, finite and normal as written, and finite once in ns.
    const double value = b[metric].get<double>();
    const double ns = value * scale->second;
    PERF_CHECK(std::isnormal(value) && value > 0 && std::isfinite(ns), where, " (", name, "): '",
               metric, "' is ", b[metric].dump(), " ", unit,
               ", not a time: a measured time is positive, finite and not subnormal");
    if (run_type == "aggregate") {
      entry(name);
      aggregates[name][aggregate] = ns;
    } else {
      entry(name).samples.push_back(ns);
    }
  }
  for (BenchmarkSamples& s : run.benchmarks) {
    if (!s.samples.empty()) s.runs = {s.samples.size()};
    if (!s.samples.empty() || !s.error.empty()) continue;
    const auto& a = aggregates[s.name];
    const auto pick = a.count("median") ? a.find("median") : a.find("mean");
    if (pick != a.end()) {
      s.samples = {pick->second};
      s.runs = {1};
      s.aggregate_only = true;
    }
  }
  return run;
}

BenchmarkRun ReadGoogleBenchmark(const std::string& path, const std::string& metric) {
  return ParseGoogleBenchmark(ReadJsonFile(path), path, metric);
}

BenchmarkRun MergeRuns(const std::vector<BenchmarkRun>& runs, const std::string& source) {
  PERF_CHECK(!runs.empty(), "MergeRuns: no runs to merge for ", source);
  BenchmarkRun merged;
  merged.source = source;
  merged.context = runs.front().context;
  merged.unit = runs.front().unit;
  std::map<std::string, size_t> index;
  for (const BenchmarkRun& run : runs) {
    for (const BenchmarkSamples& b : run.benchmarks) {
      const auto [it, added] = index.emplace(b.name, merged.benchmarks.size());
      if (added) {
        merged.benchmarks.push_back(b);
        continue;
      }
      BenchmarkSamples& m = merged.benchmarks[it->second];
      if (!b.error.empty()) m.error = b.error;
      m.runs.insert(m.runs.end(), b.runs.begin(), b.runs.end());
      if (m.aggregate_only != b.aggregate_only) {
        throw Error(source + ": " + b.name +
                    " has repetitions in one file and only aggregates in another; rerun them "
                    "alike");
      }
      m.samples.insert(m.samples.end(), b.samples.begin(), b.samples.end());
    }
  }
  return merged;
}

std::vector<double> LogSamples(const std::vector<double>& samples) {
  std::vector<double> logs(samples.size());
  std::transform(samples.begin(), samples.end(), logs.begin(),
                 [](double v) { return std::log(std::max(v, 1e-300)); });
  return logs;
}

std::vector<std::vector<double>> LogSamplesByRun(const BenchmarkSamples& b) {
  const std::vector<double> logs = LogSamples(b.samples);
  std::vector<std::vector<double>> runs;
  size_t start = 0;
  for (const size_t n : b.runs) {
    runs.emplace_back(logs.begin() + static_cast<std::ptrdiff_t>(start),
                      logs.begin() + static_cast<std::ptrdiff_t>(start + n));
    start += n;
  }
  return runs;
}

}  // namespace perf
