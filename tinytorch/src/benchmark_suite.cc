// Module 19: benchmark suites: every model through the runner, the Pareto frontier over the chosen
// metrics, and the report (Markdown + JSON).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarking_internal.h"
#include "perf_framework/environment.h"
#include "perf_framework/statistics.h"
#include "printf.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"
#include "tinytorch/serialization.h"

namespace tinytorch {

using detail::Dominates;
using detail::Json;
using detail::Printf;

const char* SuiteMetricName(SuiteMetric m) {
  switch (m) {
    case SuiteMetric::kLatency:
      return "latency_ms";
    case SuiteMetric::kAccuracy:
      return "accuracy";
    case SuiteMetric::kMemory:
      return "memory_bytes";
    case SuiteMetric::kEnergy:
      return "energy_j";
  }
  return "unknown";
}

namespace {

double MetricValue(const ModelBenchmark& r, SuiteMetric m) {
  switch (m) {
    case SuiteMetric::kLatency:
      return r.latency.median;
    case SuiteMetric::kAccuracy:
      return r.accuracy;
    case SuiteMetric::kMemory:
      return static_cast<double>(r.memory_bytes());
    case SuiteMetric::kEnergy:
      return r.energy.joules_per_query;
  }
  return 0;
}

Objective MetricObjective(SuiteMetric m) {
  return m == SuiteMetric::kAccuracy ? Objective::kMaximize : Objective::kMinimize;
}

}  // namespace

namespace detail {

std::string Bytes(int64_t b) {
  if (b >= int64_t{1} << 20) return Printf("%.2f MiB", static_cast<double>(b) / (1 << 20));
  if (b >= int64_t{1} << 10) return Printf("%.1f KiB", static_cast<double>(b) / (1 << 10));
  return Printf("%lld B", static_cast<long long>(b));
}

}  // namespace detail

using detail::Bytes;

namespace {

// The median with its distribution-free interval (the Student-t interval belongs to the mean).
std::string LatencyCell(const BenchmarkResult& l) {
  const perf::Interval ci = perf::OrderStatisticMedianInterval(l.values, l.confidence);
  if (!std::isfinite(ci.low) || !std::isfinite(ci.high)) {
    return Printf("%.4g (n = %lld, too few for an interval)", l.median,
                  static_cast<long long>(l.count));
  }
  return Printf("%.4g [%.4g, %.4g]", l.median, ci.low, ci.high);
}

}  // namespace

SuiteReport RunSuite(std::string name, const Benchmark& benchmark,
                     const std::vector<BenchmarkModel>& models, const Tensor& query,
                     const EvaluationSet* eval, std::vector<SuiteMetric> metrics) {
  if (metrics.empty()) {
    metrics = {SuiteMetric::kLatency, SuiteMetric::kMemory};
    if (eval != nullptr) metrics.insert(metrics.begin() + 1, SuiteMetric::kAccuracy);
  }
  for (SuiteMetric m : metrics) {
    TT_CHECK(m != SuiteMetric::kAccuracy || eval != nullptr, "RunSuite: '", name,
             "' ranks by accuracy but has no evaluation set");
  }
  SuiteReport report;
  report.name = std::move(name);
  report.metrics = metrics;
  report.models = benchmark.RunAll(models, query, eval);
  report.environment_json = perf::CaptureEnvironment().ToJson().dump();

  std::vector<size_t> ran;
  std::vector<std::vector<double>> points;
  for (size_t i = 0; i < report.models.size(); ++i) {
    if (!report.models[i].ok) continue;
    ran.push_back(i);
    std::vector<double> p;
    for (SuiteMetric m : metrics) p.push_back(MetricValue(report.models[i], m));
    points.push_back(std::move(p));
  }
  std::vector<Objective> objectives;
  for (SuiteMetric m : metrics) objectives.push_back(MetricObjective(m));
  const std::vector<size_t> front = ParetoFrontier(points, objectives);
  for (size_t k = 0, f = 0; k < ran.size(); ++k) {
    if (f < front.size() && front[f] == k) {
      report.frontier.push_back(ran[k]);
      ++f;
      continue;
    }
    for (size_t j = 0; j < ran.size(); ++j) {
      if (Dominates(points[j], points[k], objectives)) {
        report.dominated.emplace_back(ran[k], ran[j]);
        break;
      }
    }
  }
  return report;
}

std::string SuiteReport::ToMarkdown() const {
  std::string s = "# Benchmark suite: " + name + "\n\n";
  s += "Latency: median ms per query over the timer's samples, with the order-statistic interval "
       "of the median; "
       "accuracy with its Wilson interval; memory = parameters and buffers + peak activation heap; "
       "energy per query.\n\n";
  s += "| model | status | latency ms | p90 ms | accuracy | memory | energy mJ | Pareto |\n";
  s += "|---|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < models.size(); ++i) {
    const ModelBenchmark& r = models[i];
    if (!r.ok) {
      s += "| " + r.model + " | ERROR | | | | | | " + r.error + " |\n";
      continue;
    }
    const bool on_front = std::find(frontier.begin(), frontier.end(), i) != frontier.end();
    std::string accuracy = "not measured";
    if (r.has_accuracy) {
      accuracy = Printf("%.4f [%.4f, %.4f]%s", r.accuracy, r.accuracy_low, r.accuracy_high,
                        r.synthetic_data ? " (synthetic data)" : "");
    }
    s += "| " + r.model + " | ok | " + LatencyCell(r.latency) +
         Printf(" | %.4g | ", r.latency.p90) + accuracy + " | " + Bytes(r.memory_bytes()) +
         Printf(" | %.4g%s | ", r.energy.joules_per_query * 1e3,
                r.energy.estimated ? " (estimated)" : "") +
         (on_front ? "frontier" : "dominated") + " |\n";
  }
  s += "\nPareto frontier over";
  for (SuiteMetric m : metrics) s += std::string(" ") + SuiteMetricName(m);
  s += ":";
  for (size_t i : frontier) s += " " + models[i].model;
  s += "\n";
  for (const auto& [d, by] : dominated) {
    s += "- " + models[d].model + " is dominated by " + models[by].model + "\n";
  }
  return s;
}

std::string SuiteReport::ToJson() const {
  nlohmann::json j = {{"schema", "tinytorch.benchmark_suite/1"}, {"name", name}};
  j["metrics"] = nlohmann::json::array();
  for (SuiteMetric m : metrics) j["metrics"].push_back(SuiteMetricName(m));
  j["models"] = nlohmann::json::array();
  for (const ModelBenchmark& r : models) j["models"].push_back(Json(r));
  j["frontier"] = nlohmann::json::array();
  for (size_t i : frontier) j["frontier"].push_back(models[i].model);
  j["dominated"] = nlohmann::json::array();
  for (const auto& [d, by] : dominated) {
    j["dominated"].push_back({{"model", models[d].model}, {"dominated_by", models[by].model}});
  }
  j["environment"] =
      environment_json.empty() ? nlohmann::json() : nlohmann::json::parse(environment_json);
  return j.dump(2);
}

void SuiteReport::Write(const std::string& directory, const std::string& file_stem) const {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  TT_CHECK(!ec, "SuiteReport::Write: cannot create directory '", directory, "': ", ec.message());
  const std::filesystem::path base = std::filesystem::path(directory) / file_stem;
  WriteFileAtomically(base.string() + ".md", ToMarkdown());
  WriteFileAtomically(base.string() + ".json", ToJson() + "\n");
}

}  // namespace tinytorch
