// Module 19: optimization techniques against their baseline: speedup, memory ratio and paired
// accuracy delta with intervals, dominance, and recommendations that respect constraints.
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarking_internal.h"
#include "perf_framework/statistics.h"
#include "printf.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"

namespace tinytorch {

using detail::Bytes;
using detail::Dominates;
using detail::Number;
using detail::Printf;

namespace {

void CheckPairable(const ModelBenchmark& baseline, const ModelBenchmark& v) {
  TT_CHECK(v.has_accuracy == baseline.has_accuracy && v.dataset == baseline.dataset &&
               v.evaluated == baseline.evaluated,
           "CompareOptimizationTechniques: '", v.model, "' was evaluated on ",
           v.has_accuracy ? std::to_string(v.evaluated) + " rows of '" + v.dataset + "'"
                          : std::string("no data"),
           " but the baseline '", baseline.model, "' on ",
           baseline.has_accuracy
               ? std::to_string(baseline.evaluated) + " rows of '" + baseline.dataset + "'"
               : std::string("no data"));
}

TechniqueImprovement Improve(const ModelBenchmark& baseline, const ModelBenchmark& v) {
  TechniqueImprovement t;
  t.variant = v.model;
  const perf::Interval speedup = perf::BootstrapMedianRatioInterval(
      baseline.latency.values, v.latency.values, baseline.latency.confidence);
  t.speedup = speedup.estimate;
  t.speedup_low = speedup.low;
  t.speedup_high = speedup.high;
  t.memory_ratio = v.memory_bytes() > 0 ? static_cast<double>(baseline.memory_bytes()) /
                                              static_cast<double>(v.memory_bytes())
                                        : std::numeric_limits<double>::infinity();
  double retention = 1;
  if (baseline.has_accuracy) {
    t.has_accuracy = true;
    std::vector<double> diff(baseline.correct_by_example.size());
    for (size_t i = 0; i < diff.size(); ++i) {
      diff[i] = static_cast<double>(v.correct_by_example[i]) - baseline.correct_by_example[i];
    }
    t.accuracy_delta = v.accuracy - baseline.accuracy;
    if (diff.size() >= 2) {
      const perf::Interval ci = perf::StudentTMeanInterval(diff, baseline.latency.confidence);
      t.accuracy_delta_low = ci.low;
      t.accuracy_delta_high = ci.high;
    } else {
      t.accuracy_delta_low = -std::numeric_limits<double>::infinity();
      t.accuracy_delta_high = std::numeric_limits<double>::infinity();
    }
    retention = baseline.accuracy > 0
                    ? v.accuracy / baseline.accuracy
                    : (v.accuracy > 0 ? std::numeric_limits<double>::infinity() : 1.0);
    t.accuracy_retention = retention;
  }
  t.efficiency = t.speedup * t.memory_ratio * retention;
  return t;
}

std::string Cite(const TechniqueImprovement& t) {
  std::string s = Printf("%s: %.2fx speed [%.2f, %.2f], %.2fx less memory", t.variant.c_str(),
                         t.speedup, t.speedup_low, t.speedup_high, t.memory_ratio);
  if (t.has_accuracy) {
    s +=
        Printf(", accuracy %+.2f points [%+.2f, %+.2f] (retention %.1f%%)", 100 * t.accuracy_delta,
               100 * t.accuracy_delta_low, 100 * t.accuracy_delta_high, 100 * t.accuracy_retention);
  }
  return s;
}

}  // namespace

TechniqueComparison CompareOptimizationTechniques(const ModelBenchmark& baseline,
                                                  const std::vector<ModelBenchmark>& variants,
                                                  const TechniqueConstraints& constraints) {
  const char* op = "CompareOptimizationTechniques";
  TT_CHECK(baseline.ok, op, ": the baseline '", baseline.model, "' is an ERROR result (",
           baseline.error, ")");
  TT_CHECK(constraints.min_accuracy_retention >= 0 && constraints.max_latency_ms >= 0 &&
               constraints.max_memory_bytes >= 0,
           op, ": constraints must not be negative");
  TechniqueComparison c;
  c.baseline = baseline.model;
  std::vector<const ModelBenchmark*> ran;
  for (const ModelBenchmark& v : variants) {
    if (!v.ok) {
      c.errors.push_back(v.model + ": " + v.error);
      continue;
    }
    CheckPairable(baseline, v);
    ran.push_back(&v);
    c.improvements.push_back(Improve(baseline, v));
  }
  // Dominance among the baseline and every variant that ran.
  std::vector<std::vector<double>> points;
  std::vector<Objective> objectives = {Objective::kMinimize, Objective::kMinimize};
  if (baseline.has_accuracy) objectives.push_back(Objective::kMaximize);
  const auto point = [&](const ModelBenchmark& r) {
    std::vector<double> p = {r.latency.median, static_cast<double>(r.memory_bytes())};
    if (baseline.has_accuracy) p.push_back(r.accuracy);
    return p;
  };
  points.push_back(point(baseline));
  for (const ModelBenchmark* v : ran) points.push_back(point(*v));
  for (size_t i = 0; i < ran.size(); ++i) {
    TechniqueImprovement& t = c.improvements[i];
    for (size_t j = 0; j < points.size() && !t.dominated; ++j) {
      t.dominated = j != i + 1 && Dominates(points[j], points[i + 1], objectives);
    }
    std::string& why = t.constraint_failure;
    if (t.has_accuracy && t.accuracy_retention < constraints.min_accuracy_retention) {
      why = Printf("accuracy retention %.1f%% < %.1f%%", 100 * t.accuracy_retention,
                   100 * constraints.min_accuracy_retention);
    } else if (constraints.max_latency_ms > 0 &&
               ran[i]->latency.median > constraints.max_latency_ms) {
      why = Printf("median latency %.4g ms > %.4g ms", ran[i]->latency.median,
                   constraints.max_latency_ms);
    } else if (constraints.max_memory_bytes > 0 &&
               ran[i]->memory_bytes() > constraints.max_memory_bytes) {
      why = "memory " + Bytes(ran[i]->memory_bytes()) + " > " + Bytes(constraints.max_memory_bytes);
    }
    t.meets_constraints = why.empty();
  }

  // Each use case: the best eligible variant by its key, among those that improve what it is for.
  const auto pick = [&](const char* use_case, const char* improves,
                        const std::function<bool(const TechniqueImprovement&)>& useful,
                        const std::function<double(const TechniqueImprovement&)>& key) {
    const TechniqueImprovement* best = nullptr;
    for (const TechniqueImprovement& t : c.improvements) {
      if (!t.meets_constraints || t.dominated || !useful(t)) continue;
      if (best == nullptr || key(t) > key(*best)) best = &t;
    }
    Recommendation r{use_case, "", ""};
    if (best != nullptr) {
      r.variant = best->variant;
      r.reason = Cite(*best);
    } else {
      r.reason = std::string(
                     "keep the baseline: no variant that meets the constraints and is not "
                     "dominated ") +
                 improves;
    }
    c.recommendations.push_back(std::move(r));
  };
  pick(
      "latency_critical", "is significantly faster",
      [](const TechniqueImprovement& t) { return t.speedup_low > 1; },
      [](const TechniqueImprovement& t) { return t.speedup; });
  pick(
      "memory_constrained", "uses less memory",
      [](const TechniqueImprovement& t) { return t.memory_ratio > 1; },
      [](const TechniqueImprovement& t) { return t.memory_ratio; });
  if (baseline.has_accuracy) {
    pick(
        "accuracy_preserving", "improves speed or memory",
        [](const TechniqueImprovement& t) { return t.speedup_low > 1 || t.memory_ratio > 1; },
        [](const TechniqueImprovement& t) { return t.accuracy_delta; });
  } else {
    c.recommendations.push_back(
        {"accuracy_preserving", "", "no accuracy was measured, so none can be recommended"});
  }
  pick(
      "balanced", "has an efficiency above 1",
      [](const TechniqueImprovement& t) { return t.efficiency > 1; },
      [](const TechniqueImprovement& t) { return t.efficiency; });
  return c;
}

std::string TechniqueComparison::ToMarkdown() const {
  std::string s = "# Optimization techniques against " + baseline + "\n\n";
  s += "| variant | speedup [CI] | memory ratio | accuracy delta, points [CI] | efficiency | "
       "constraints | dominated |\n|---|---|---|---|---|---|---|\n";
  for (const TechniqueImprovement& t : improvements) {
    s += Printf("| %s | %.2f [%.2f, %.2f] | %.2f | ", t.variant.c_str(), t.speedup, t.speedup_low,
                t.speedup_high, t.memory_ratio);
    s += t.has_accuracy ? Printf("%+.2f [%+.2f, %+.2f]", 100 * t.accuracy_delta,
                                 100 * t.accuracy_delta_low, 100 * t.accuracy_delta_high)
                        : std::string("not measured");
    s += Printf(" | %.2f | %s | %s |\n", t.efficiency,
                t.meets_constraints ? "met" : t.constraint_failure.c_str(),
                t.dominated ? "yes" : "no");
  }
  for (const std::string& e : errors) s += "\nERROR " + e + "\n";
  s += "\n## Recommendations\n\n";
  for (const Recommendation& r : recommendations) {
    s += "- **" + r.use_case + "**: " + (r.variant.empty() ? "" : r.variant + " — ") + r.reason +
         "\n";
  }
  return s;
}

std::string TechniqueComparison::ToJson() const {
  nlohmann::json j = {{"schema", "tinytorch.technique_comparison/1"}, {"baseline", baseline}};
  j["improvements"] = nlohmann::json::array();
  for (const TechniqueImprovement& t : improvements) {
    nlohmann::json i = {{"variant", t.variant},
                        {"speedup", t.speedup},
                        {"speedup_low", t.speedup_low},
                        {"speedup_high", t.speedup_high},
                        {"memory_ratio", Number(t.memory_ratio)},
                        {"efficiency", Number(t.efficiency)},
                        {"meets_constraints", t.meets_constraints},
                        {"constraint_failure", t.constraint_failure},
                        {"dominated", t.dominated}};
    if (t.has_accuracy) {
      i["accuracy_delta"] = t.accuracy_delta;
      i["accuracy_delta_low"] = Number(t.accuracy_delta_low);
      i["accuracy_delta_high"] = Number(t.accuracy_delta_high);
      i["accuracy_retention"] = Number(t.accuracy_retention);
    }
    j["improvements"].push_back(std::move(i));
  }
  j["errors"] = errors;
  j["recommendations"] = nlohmann::json::array();
  for (const Recommendation& r : recommendations) {
    j["recommendations"].push_back(
        {{"use_case", r.use_case}, {"variant", r.variant}, {"reason", r.reason}});
  }
  return j.dump(2);
}

}  // namespace tinytorch
