// Module 19: the model runner. Latency through ScientificTimer, Wilson-interval accuracy, state and
// heap bytes, energy; a model that throws, hangs, returns the wrong shape or non-finite values, or
// exceeds its budget becomes an ERROR result.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "benchmarking_internal.h"
#include "perf_framework/memory.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"
#include "perf_framework/timer.h"
#include "printf.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"

namespace tinytorch {

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

    // With the storage cache off, every tensor's bytes are allocated and freed where the heap
    // measurement sees them; with it on, the peak would depend on what earlier calls left cached.
    // Restored however the forward ends (it may throw).
    struct CacheOff {
      int64_t limit = SetStorageCacheLimit(0);
      ~CacheOff() { SetStorageCacheLimit(limit); }
    } cache_off;
    // One forward on this thread first: the first ran on a detached one, and kernels keep
    // per-thread scratch (the GEMM's packing buffers) that grows once and is no activation (a
    // batch-of-one MLP's measured peak was 34 KB the first time, 1.8 KB after).
    {
      Tensor warm = model.forward(query);
      perf::DoNotOptimize(warm);
    }
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

namespace detail {

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

}  // namespace detail

using detail::Json;

std::string ModelBenchmark::ToJson() const { return Json(*this).dump(2); }

}  // namespace tinytorch
