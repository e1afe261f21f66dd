// Module 19: benchmark results, Pareto frontiers, the model runner, suites and technique
// comparisons.
#include "tinytorch/benchmarking.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "benchmarking_internal.h"
#include "perf_framework/environment.h"
#include "perf_framework/memory.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "perf_framework/timer.h"
#include "printf.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/error.h"
#include "tinytorch/serialization.h"

namespace tinytorch {

BenchmarkResult BenchmarkResult::FromValues(std::string name, std::string metric, std::string unit,
                                            std::vector<double> values, double confidence) {
  TT_CHECK(!values.empty(), "BenchmarkResult: '", name, "' has no values");
  TT_CHECK(confidence > 0 && confidence < 1, "BenchmarkResult: confidence ", confidence,
           " must be in (0, 1)");
  for (size_t i = 0; i < values.size(); ++i) {
    TT_CHECK(std::isfinite(values[i]), "BenchmarkResult: '", name, "' value ", i, " is ",
             values[i]);
  }
  BenchmarkResult r;
  r.name = std::move(name);
  r.metric = std::move(metric);
  r.unit = std::move(unit);
  r.values = std::move(values);
  const std::span<const double> v(r.values);
  r.count = static_cast<int64_t>(v.size());
  r.mean = perf::Mean(v);
  r.median = perf::Median(v);
  r.min = perf::Percentile(v, 0);
  r.max = perf::Percentile(v, 100);
  r.p5 = perf::Percentile(v, 5);
  r.p25 = perf::Percentile(v, 25);
  r.p75 = perf::Percentile(v, 75);
  r.p90 = perf::Percentile(v, 90);
  r.p95 = perf::Percentile(v, 95);
  r.p99 = perf::Percentile(v, 99);
  r.confidence = confidence;
  r.has_interval = r.count >= 2;
  r.std = r.has_interval ? perf::StdDev(v) : 0.0;
  if (r.has_interval) {
    const perf::Interval ci = perf::StudentTMeanInterval(v, confidence);
    r.ci_low = ci.low;
    r.ci_high = ci.high;
  } else {
    r.ci_low = r.ci_high = std::numeric_limits<double>::quiet_NaN();
  }
  return r;
}

namespace {

// NaN (an undefined interval) is written as null.
nlohmann::json Number(double x) {
  if (!std::isfinite(x)) return nullptr;
  return x;
}

}  // namespace

std::string BenchmarkResult::ToJson() const {
  nlohmann::json j = {{"schema", "tinytorch.benchmark_result/1"},
                      {"name", name},
                      {"metric", metric},
                      {"unit", unit},
                      {"values", values},
                      {"count", count},
                      {"mean", Number(mean)},
                      {"std", Number(std)},
                      {"median", Number(median)},
                      {"min", Number(min)},
                      {"max", Number(max)},
                      {"percentiles",
                       {{"p5", Number(p5)},
                        {"p25", Number(p25)},
                        {"p75", Number(p75)},
                        {"p90", Number(p90)},
                        {"p95", Number(p95)},
                        {"p99", Number(p99)}}},
                      {"confidence", confidence},
                      {"has_interval", has_interval},
                      {"ci_low", Number(ci_low)},
                      {"ci_high", Number(ci_high)}};
  // nlohmann prints each double in the shortest form that reads back as the same double.
  return j.dump(2);
}

BenchmarkResult BenchmarkResult::FromJson(const std::string& text) {
  const char* op = "BenchmarkResult::FromJson";
  nlohmann::json j;
  try {
    j = perf::ParseJson(text, op);
  } catch (const perf::Error& e) {
    throw Error(e.what());
  }
  TT_CHECK(j.is_object(), op, ": expected an object");
  TT_CHECK(j.contains("schema") && j["schema"] == "tinytorch.benchmark_result/1", op,
           ": field 'schema' must be \"tinytorch.benchmark_result/1\"");
  const auto field = [&](const char* key) -> const nlohmann::json& {
    TT_CHECK(j.contains(key), op, ": missing field '", key, "'");
    return j.at(key);
  };
  for (const char* key : {"name", "metric", "unit"}) {
    TT_CHECK(field(key).is_string(), op, ": field '", key, "' must be a string");
  }
  TT_CHECK(field("values").is_array(), op, ": field 'values' must be an array of numbers");
  std::vector<double> values;
  for (const auto& v : field("values")) {
    TT_CHECK(v.is_number(), op, ": field 'values' must be an array of numbers");
    values.push_back(v.get<double>());
  }
  TT_CHECK(field("confidence").is_number(), op, ": field 'confidence' must be a number");
  BenchmarkResult r = FromValues(
      field("name").get<std::string>(), field("metric").get<std::string>(),
      field("unit").get<std::string>(), std::move(values), field("confidence").get<double>());
  // Stored statistics must be the ones the values give: a hand-edited or truncated file is caught.
  const auto check = [&](const nlohmann::json& stored, double expected, const std::string& key) {
    const bool ok = stored.is_null() ? !std::isfinite(expected)
                                     : stored.is_number() && stored.get<double>() == expected;
    TT_CHECK(ok, op, ": field '", key, "' is ", stored.dump(), " but the values give ", expected);
  };
  TT_CHECK(field("count").is_number_integer() && field("count").get<int64_t>() == r.count, op,
           ": field 'count' is ", field("count").dump(), " but there are ", r.count, " values");
  for (const auto& [key, expected] :
       std::vector<std::pair<std::string, double>>{{"mean", r.mean},
                                                   {"std", r.std},
                                                   {"median", r.median},
                                                   {"min", r.min},
                                                   {"max", r.max},
                                                   {"ci_low", r.ci_low},
                                                   {"ci_high", r.ci_high}}) {
    check(field(key.c_str()), expected, key);
  }
  const nlohmann::json& pct = field("percentiles");
  for (const auto& [key, expected] : std::vector<std::pair<std::string, double>>{{"p5", r.p5},
                                                                                 {"p25", r.p25},
                                                                                 {"p75", r.p75},
                                                                                 {"p90", r.p90},
                                                                                 {"p95", r.p95},
                                                                                 {"p99", r.p99}}) {
    TT_CHECK(pct.is_object() && pct.contains(key), op, ": missing field 'percentiles.", key, "'");
    check(pct.at(key), expected, "percentiles." + key);
  }
  return r;
}

namespace {

// a dominates b: at least as good in every metric and strictly better in one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives) {
  bool strictly = false;
  for (size_t m = 0; m < objectives.size(); ++m) {
    // Oriented so that larger is better.
    const double sign = objectives[m] == Objective::kMaximize ? 1.0 : -1.0;
    if (sign * a[m] < sign * b[m]) return false;
    strictly = strictly || sign * a[m] > sign * b[m];
  }
  return strictly;
}

}  // namespace

std::vector<size_t> ParetoFrontier(const std::vector<std::vector<double>>& points,
                                   const std::vector<Objective>& objectives) {
  const char* op = "ParetoFrontier";
  TT_CHECK(!objectives.empty(), op, ": no objectives");
  for (size_t i = 0; i < points.size(); ++i) {
    TT_CHECK(points[i].size() == objectives.size(), op, ": point ", i, " has ", points[i].size(),
             " metrics, expected ", objectives.size());
    for (size_t m = 0; m < objectives.size(); ++m) {
      TT_CHECK(std::isfinite(points[i][m]), op, ": point ", i, " metric ", m, " is ", points[i][m]);
    }
  }
  std::vector<size_t> frontier;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      dominated = j != i && Dominates(points[j], points[i], objectives);
    }
    if (!dominated) frontier.push_back(i);
  }
  return frontier;
}

// ---------------------------------------------------------------------------------------------
// The runner.

namespace {

using Clock = std::chrono::steady_clock;

using detail::Printf;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

using detail::CheckModelOutput;
using detail::ModelFailure;

// The first forward on a watchdog thread, so a model that never returns cannot hang the run. The
// thread owns copies of the forward (and so of the module it shares) and of the query, and drops
// them before it signals (a test's mock model is verified when the test destroys it).
Tensor ForwardWithin(const BenchmarkModel& model, const Tensor& query, double seconds) {
  std::future<Tensor> result =
      perf::RunDetached<Tensor>([forward = model.forward, query] { return forward(query); });
  if (result.wait_for(std::chrono::duration<double>(seconds)) != std::future_status::ready) {
    throw ModelFailure{
        Printf("the first forward did not return within the %.3g s time limit "
               "(abandoned on a detached thread)",
               seconds)};
  }
  return result.get();
}

std::optional<double> ReadRaplJoules() {
  std::ifstream in("/sys/class/powercap/intel-rapl:0/energy_uj");
  double microjoules = 0;
  if (!(in >> microjoules)) return std::nullopt;
  return microjoules * 1e-6;
}

EnergyEstimate Energy(const BenchmarkModel& model, const Tensor& query, const ModelBenchmark& r) {
  if (const auto before = ReadRaplJoules()) {
    int64_t queries = 0;
    const Clock::time_point start = Clock::now();
    while (SecondsSince(start) < 0.2 || queries < 3) {
      Tensor y = model.forward(query);
      perf::DoNotOptimize(y);
      ++queries;
    }
    const auto after = ReadRaplJoules();
    // The counter wraps; a wrapped or vanished reading falls back to the model below.
    if (after && *after > *before) {
      return {(*after - *before) / static_cast<double>(queries), false,
              "RAPL package energy over a loop of forwards (includes idle and other work)"};
    }
  }
  const double seconds = r.latency.median * 1e-3;
  const double bytes = static_cast<double>(r.state_bytes + r.allocated_bytes);
  return {kActiveCoreWatts * NumThreads() * seconds + kDramJoulesPerByte * bytes, true,
          Printf("model: %.0f W x %d threads x median latency + %.0f pJ/byte x %.0f bytes moved",
                 kActiveCoreWatts, NumThreads(), kDramJoulesPerByte * 1e12, bytes)};
}

void CheckEvaluationSet(const EvaluationSet& eval) {
  const char* op = "Benchmark::Run";
  TT_CHECK(eval.inputs.defined() && eval.labels.defined(), op, ": evaluation set '", eval.name,
           "' has undefined inputs or labels");
  TT_CHECK(eval.labels.dtype() == DType::kInt64 && eval.labels.dim() == 1, op, ": evaluation set '",
           eval.name, "' labels must be 1-d int64, got shape ", eval.labels.shape());
  TT_CHECK(eval.inputs.dim() >= 1 && eval.inputs.size(0) == eval.labels.size(0) &&
               eval.labels.size(0) > 0,
           op, ": evaluation set '", eval.name, "' has inputs ", eval.inputs.shape(),
           " and labels ", eval.labels.shape(), " (need the same number of rows, at least one)");
  TT_CHECK(eval.batch_size > 0, op, ": evaluation set '", eval.name, "' batch_size ",
           eval.batch_size, " must be positive");
}

void Evaluate(const BenchmarkModel& model, const EvaluationSet& eval, Clock::time_point start,
              double limit, ModelBenchmark& r) {
  const int64_t n = eval.labels.size(0);
  const Tensor labels = eval.labels.Contiguous();
  const int64_t* y = labels.data<int64_t>();
  r.correct_by_example.assign(static_cast<size_t>(n), 0);
  for (int64_t lo = 0; lo < n; lo += eval.batch_size) {
    const int64_t hi = std::min(n, lo + eval.batch_size);
    const std::string what = Printf("forward on evaluation rows [%lld, %lld)",
                                    static_cast<long long>(lo), static_cast<long long>(hi));
    const Tensor out = model.forward(eval.inputs.Slice(0, lo, hi));
    CheckModelOutput(out, what, {});
    detail::ScoreClassifier(out, y + lo, lo, hi - lo, what, eval.name,
                            r.correct_by_example.data() + lo);
    if (SecondsSince(start) > limit) {
      throw ModelFailure{
          Printf("over the %.3g s time limit during evaluation (after %lld of %lld "
                 "rows)",
                 limit, static_cast<long long>(hi), static_cast<long long>(n))};
    }
  }
  r.has_accuracy = true;
  r.dataset = eval.name;
  r.synthetic_data = eval.synthetic_data;
  r.evaluated = n;
  r.correct = std::count(r.correct_by_example.begin(), r.correct_by_example.end(), 1);
  r.accuracy = static_cast<double>(r.correct) / static_cast<double>(n);
  const perf::Interval ci = perf::WilsonInterval(r.correct, n, r.latency.confidence);
  r.accuracy_low = ci.low;
  r.accuracy_high = ci.high;
}

}  // namespace

namespace detail {

void CheckModelOutput(const Tensor& out, const std::string& what, const Shape& expected) {
  if (!out.defined()) throw ModelFailure{what + " returned an undefined tensor"};
  if (!expected.empty() && out.shape() != expected) {
    throw ModelFailure{what + " returned shape " + ShapeToString(out.shape()) + ", expected " +
                       ShapeToString(expected)};
  }
  if (out.dtype() != DType::kFloat32) return;
  const std::vector<float> v = out.ToVector();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      throw ModelFailure{Printf("%s returned a non-finite value (element %zu is %g)", what.c_str(),
                                i, static_cast<double>(v[i]))};
    }
  }
}

int64_t ScoreClassifier(const Tensor& out, const int64_t* labels, int64_t first_row, int64_t rows,
                        const std::string& what, const std::string& set, uint8_t* correct) {
  if (out.dim() != 2 || out.size(0) != rows) {
    throw ModelFailure{what + " returned shape " + ShapeToString(out.shape()) + ", expected (" +
                       std::to_string(rows) + ", classes)"};
  }
  const Tensor predicted = out.Argmax(1).Contiguous();
  const int64_t* p = predicted.data<int64_t>();
  int64_t right = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (labels[i] < 0 || labels[i] >= out.size(1)) {
      throw ModelFailure{
          Printf("evaluation set '%s' has label %lld at row %lld, outside the "
                 "model's %lld output classes",
                 set.c_str(), static_cast<long long>(labels[i]),
                 static_cast<long long>(first_row + i), static_cast<long long>(out.size(1)))};
    }
    correct[i] = p[i] == labels[i];
    right += correct[i];
  }
  return right;
}

}  // namespace detail

BenchmarkModel BenchmarkModel::Of(std::string name, std::shared_ptr<Module> module) {
  TT_CHECK(module != nullptr, "BenchmarkModel::Of: '", name, "' has no module");
  module->Eval();
  BenchmarkModel m;
  m.name = std::move(name);
  m.parameters = module->NumParameters();
  m.state_bytes = module->StateBytes();
  m.forward = [module](const Tensor& x) {
    NoGradGuard no_grad;
    return module->Forward(x);
  };
  return m;
}

Benchmark::Benchmark(BenchmarkOptions options) : options_(std::move(options)) {
  const char* op = "Benchmark";
  TT_CHECK(options_.latency_seconds > 0 && std::isfinite(options_.latency_seconds), op,
           ": latency_seconds ", options_.latency_seconds, " must be positive");
  TT_CHECK(options_.time_limit_seconds > 0 && std::isfinite(options_.time_limit_seconds), op,
           ": time_limit_seconds ", options_.time_limit_seconds, " must be positive");
  TT_CHECK(options_.memory_limit_bytes >= 0, op, ": memory_limit_bytes ",
           options_.memory_limit_bytes, " must not be negative");
  TT_CHECK(options_.confidence > 0 && options_.confidence < 1, op, ": confidence ",
           options_.confidence, " must be in (0, 1)");
}

ModelBenchmark Benchmark::Run(const BenchmarkModel& model, const Tensor& query,
                              const EvaluationSet* eval) const {
  TT_CHECK(query.defined(), "Benchmark::Run: '", model.name, "' got an undefined query");
  TT_CHECK(static_cast<bool>(model.forward), "Benchmark::Run: '", model.name, "' has no forward");
  if (eval != nullptr) CheckEvaluationSet(*eval);
  const double limit = options_.time_limit_seconds;
  ModelBenchmark r;
  r.model = model.name;
  r.parameters = model.parameters;
  r.state_bytes = model.state_bytes;
  r.latency.confidence = options_.confidence;
  const Clock::time_point start = Clock::now();
  try {
    const Tensor out = ForwardWithin(model, query, limit);
    CheckModelOutput(out, "forward on the query", options_.expected_output_shape);
    r.output_shape = out.shape();

    const perf::MemoryMeasurement memory = perf::MeasureMemory([&] {
      Tensor y = model.forward(query);
      perf::DoNotOptimize(y);
    });
    r.peak_activation_bytes = memory.peak_bytes;
    r.allocated_bytes = memory.allocated_bytes;
    if (options_.memory_limit_bytes > 0 && memory.peak_bytes > options_.memory_limit_bytes) {
      throw ModelFailure{Printf("one forward peaked at %lld heap bytes, over the %lld-byte limit",
                                static_cast<long long>(memory.peak_bytes),
                                static_cast<long long>(options_.memory_limit_bytes))};
    }

    const double remaining = limit - SecondsSince(start);
    if (remaining <= 0)
      throw ModelFailure{Printf("over the %.3g s time limit before timing", limit)};
    perf::ScientificTimer timer(
        {.max_seconds = std::min(options_.latency_seconds, remaining),
         .warmup_seconds = std::min(options_.latency_seconds, remaining) / 20});
    const perf::Measurement m = timer.Measure(model.name, [&] {
      Tensor y = model.forward(query);
      perf::DoNotOptimize(y);
    });
    std::vector<double> ms(m.samples_ns.size());
    std::transform(m.samples_ns.begin(), m.samples_ns.end(), ms.begin(),
                   [](double ns) { return ns * 1e-6; });
    r.latency = BenchmarkResult::FromValues(model.name + "/latency", "latency", "ms", std::move(ms),
                                            options_.confidence);
    r.latency_converged = m.converged;
    r.warnings = m.warnings;
    if (SecondsSince(start) > limit) {
      throw ModelFailure{Printf("over the %.3g s time limit after timing", limit)};
    }

    if (eval != nullptr) Evaluate(model, *eval, start, limit, r);
    r.energy = Energy(model, query, r);
    r.ok = true;
  } catch (const ModelFailure& f) {
    r.error = f.reason;
  } catch (const std::exception& e) {
    r.error = std::string("the forward threw: ") + e.what();
  } catch (...) {
    r.error = "the forward threw an exception that is not a std::exception";
  }
  if (!r.ok) {
    // An ERROR result keeps what it measured before failing, except derived numbers that would
    // mislead without the rest.
    r.has_accuracy = false;
    r.correct_by_example.clear();
  }
  return r;
}

std::vector<ModelBenchmark> Benchmark::RunAll(const std::vector<BenchmarkModel>& models,
                                              const Tensor& query,
                                              const EvaluationSet* eval) const {
  std::vector<ModelBenchmark> results;
  results.reserve(models.size());
  for (const BenchmarkModel& m : models) results.push_back(Run(m, query, eval));
  return results;
}

namespace {

nlohmann::json Json(const ModelBenchmark& r) {
  nlohmann::json j = {{"model", r.model},
                      {"status", r.ok ? "ok" : "error"},
                      {"error", r.error},
                      {"output_shape", r.output_shape},
                      {"parameters", r.parameters},
                      {"state_bytes", r.state_bytes},
                      {"peak_activation_bytes", r.peak_activation_bytes},
                      {"allocated_bytes", r.allocated_bytes},
                      {"memory_bytes", r.memory_bytes()},
                      {"warnings", r.warnings}};
  j["latency"] = r.latency.count > 0 ? nlohmann::json::parse(r.latency.ToJson()) : nlohmann::json();
  j["latency_converged"] = r.latency_converged;
  if (r.has_accuracy) {
    j["accuracy"] = {{"dataset", r.dataset},
                     {"synthetic_data", r.synthetic_data},
                     {"evaluated", r.evaluated},
                     {"correct", r.correct},
                     {"value", r.accuracy},
                     {"low", r.accuracy_low},
                     {"high", r.accuracy_high},
                     {"interval", "wilson"},
                     {"confidence", r.latency.confidence}};
  } else {
    j["accuracy"] = nullptr;
  }
  if (r.ok) {
    j["energy"] = {{"joules_per_query", r.energy.joules_per_query},
                   {"estimated", r.energy.estimated},
                   {"method", r.energy.method}};
  } else {
    j["energy"] = nullptr;
  }
  return j;
}

}  // namespace

std::string ModelBenchmark::ToJson() const { return Json(*this).dump(2); }

// ---------------------------------------------------------------------------------------------
// Single-stream latency.

SingleStreamLatency MeasureSingleStream(const std::function<void()>& query,
                                        const SingleStreamOptions& o,
                                        const std::function<int64_t()>& now_ns) {
  const char* op = "MeasureSingleStream";
  TT_CHECK(static_cast<bool>(query), op, ": no query");
  TT_CHECK(o.windows >= 1 && o.min_queries_per_window >= 1 && o.warmup_queries >= 0, op,
           ": windows (", o.windows, ") and min_queries_per_window (", o.min_queries_per_window,
           ") must be positive, warmup_queries (", o.warmup_queries, ") not negative");
  TT_CHECK(o.warmup_seconds >= 0 && o.min_window_seconds >= 0 && o.max_seconds > 0, op,
           ": warmup_seconds ", o.warmup_seconds, " and min_window_seconds ", o.min_window_seconds,
           " must not be negative, max_seconds ", o.max_seconds, " must be positive");
  const std::function<int64_t()> now = now_ns ? now_ns : [] {
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count());
  };
  const int64_t start = now();
  const auto elapsed_s = [&](int64_t since) { return static_cast<double>(now() - since) * 1e-9; };
  for (int64_t i = 0; i < o.warmup_queries || elapsed_s(start) < o.warmup_seconds; ++i) {
    if (elapsed_s(start) > o.max_seconds) break;
    query();
  }
  SingleStreamLatency r;
  std::vector<double> means, p50s, p99s;
  for (int w = 0; w < o.windows; ++w) {
    std::vector<double> window;
    int64_t t = now();
    const int64_t window_start = t;
    while (static_cast<int64_t>(window.size()) < o.min_queries_per_window ||
           static_cast<double>(t - window_start) * 1e-9 < o.min_window_seconds) {
      if (static_cast<double>(t - start) * 1e-9 > o.max_seconds && !window.empty()) {
        r.time_limited = true;
        break;
      }
      query();
      const int64_t end = now();
      window.push_back(static_cast<double>(end - t) * 1e-6);
      t = end;
    }
    const std::span<const double> v(window);
    means.push_back(perf::Mean(v));
    p50s.push_back(perf::Percentile(v, 50));
    r.window_p90_ms.push_back(perf::Percentile(v, 90));
    p99s.push_back(perf::Percentile(v, 99));
    r.window_queries.push_back(static_cast<int64_t>(window.size()));
    r.query_ms.insert(r.query_ms.end(), window.begin(), window.end());
    if (r.time_limited) break;
  }
  r.mean_ms = perf::Median(means);
  r.p50_ms = perf::Median(p50s);
  r.p90_ms = perf::Median(r.window_p90_ms);
  r.p99_ms = perf::Median(p99s);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Suites.

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

std::string Bytes(int64_t b) {
  if (b >= int64_t{1} << 20) return Printf("%.2f MiB", static_cast<double>(b) / (1 << 20));
  if (b >= int64_t{1} << 10) return Printf("%.1f KiB", static_cast<double>(b) / (1 << 10));
  return Printf("%lld B", static_cast<long long>(b));
}

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

// ---------------------------------------------------------------------------------------------
// Techniques against their baseline.

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
