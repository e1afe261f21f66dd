// Module 19: the benchmark runner on real trained models (digits MLP, its int8 and pruned twins),
// its error paths with scripted models (GoogleMock) that throw, hang, return bad shapes or NaN,
// suites with their Pareto report, and technique comparisons — by hand-built results whose
// recommendations are known exactly, and on the real models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/digits_models.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/compression.h"
#include "tinytorch/error.h"
#include "tinytorch/quantization.h"

namespace tinytorch {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Return;
using ::testing::Throw;

// Short budgets: these tests check what is measured and reported, not how precisely.
BenchmarkOptions Fast() { return {.latency_seconds = 0.05, .time_limit_seconds = 30}; }

EvaluationSet DigitsTest() {
  const testing::DigitsData& d = testing::Digits();
  return {.name = "digits/test", .inputs = d.test_x, .labels = d.test_y};
}

Tensor Query() { return testing::Digits().test_x.Slice(0, 0, 1); }

TEST(BenchmarkRunnerTest, MeasuresARealModel) {
  std::shared_ptr<Sequential> mlp = testing::TrainedDigitsMlp();
  const EvaluationSet eval = DigitsTest();
  const ModelBenchmark r = Benchmark(Fast()).Run(BenchmarkModel::Of("mlp", mlp), Query(), &eval);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.output_shape, (Shape{1, 10}));
  EXPECT_GE(r.latency.count, 2);
  EXPECT_GT(r.latency.min, 0);
  EXPECT_TRUE(r.latency.has_interval);
  // Accuracy is a real evaluation: the same number the test helper computes.
  EXPECT_EQ(r.evaluated, eval.labels.size(0));
  EXPECT_DOUBLE_EQ(r.accuracy, testing::Accuracy(*mlp, eval.inputs, eval.labels));
  EXPECT_LT(r.accuracy_low, r.accuracy);
  EXPECT_GT(r.accuracy_high, r.accuracy);
  EXPECT_FALSE(r.synthetic_data);
  // Memory from the model's buffers and the allocator: 64·128 + 128·64 + 64·10 weights + biases.
  EXPECT_EQ(r.parameters, 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  EXPECT_EQ(r.state_bytes, r.parameters * 4);
  EXPECT_GE(r.peak_activation_bytes, 10 * 4);  // at least the output
  EXPECT_GE(r.allocated_bytes, r.peak_activation_bytes);
  EXPECT_TRUE(r.energy.estimated);
  EXPECT_GT(r.energy.joules_per_query, 0);
  const nlohmann::json j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["accuracy"]["correct"], r.correct);
  EXPECT_EQ(BenchmarkResult::FromJson(j["latency"].dump()).values, r.latency.values);
}

// A model whose every call the test scripts.
class ScriptedModel {
 public:
  MOCK_METHOD(Tensor, Forward, (const Tensor&));
};

BenchmarkModel Scripted(const std::string& name, std::shared_ptr<ScriptedModel> m) {
  return {.name = name, .forward = [m](const Tensor& x) { return m->Forward(x); }};
}

TEST(BenchmarkRunnerTest, BrokenModelsBecomeErrorsAndTheOthersStillRun) {
  auto throws = std::make_shared<ScriptedModel>();
  EXPECT_CALL(*throws, Forward(_)).WillOnce(Throw(Error("Linear: input [1, 3] expected [1, 64]")));
  auto wrong_shape = std::make_shared<ScriptedModel>();
  EXPECT_CALL(*wrong_shape, Forward(_)).WillOnce(Return(Tensor::Zeros({1, 7})));
  auto nan = std::make_shared<ScriptedModel>();
  EXPECT_CALL(*nan, Forward(_))
      .WillOnce(
          Return(Tensor::FromData(std::vector<float>{0, 1, NAN, 0, 0, 0, 0, 0, 0, 0}, {1, 10})));
  // Fine on the query, then throws while being timed.
  auto late = std::make_shared<ScriptedModel>();
  EXPECT_CALL(*late, Forward(_))
      .WillOnce(Return(Tensor::Zeros({1, 10})))
      .WillOnce(Return(Tensor::Zeros({1, 10})))
      .WillRepeatedly(Throw(std::runtime_error("out of scratch space")));

  BenchmarkOptions options = Fast();
  options.expected_output_shape = {1, 10};
  const std::vector<ModelBenchmark> rs =
      Benchmark(options).RunAll({Scripted("throws", throws), Scripted("wrong_shape", wrong_shape),
                                 BenchmarkModel::Of("mlp", testing::TrainedDigitsMlp()),
                                 Scripted("nan", nan), Scripted("late", late)},
                                Query());
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_FALSE(rs[0].ok);
  EXPECT_THAT(rs[0].error, HasSubstr("Linear: input [1, 3] expected [1, 64]"));
  EXPECT_FALSE(rs[1].ok);
  EXPECT_THAT(rs[1].error, HasSubstr("returned shape [1, 7], expected [1, 10]"));
  EXPECT_TRUE(rs[2].ok) << rs[2].error;
  EXPECT_FALSE(rs[3].ok);
  EXPECT_THAT(rs[3].error, HasSubstr("non-finite value (element 2 is nan)"));
  EXPECT_FALSE(rs[4].ok);
  EXPECT_THAT(rs[4].error, HasSubstr("out of scratch space"));
  for (const ModelBenchmark& r : rs) {
    EXPECT_EQ(nlohmann::json::parse(r.ToJson())["status"], r.ok ? "ok" : "error");
  }
}

TEST(BenchmarkRunnerTest, AModelThatHangsEndsWithAnErrorWithinTheTimeLimit) {
  // The hanging forward waits for the test to release it, so it never outlives the test.
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto returned = std::make_shared<std::atomic<bool>>(false);
  const BenchmarkModel hangs{.name = "hangs", .forward = [release, returned](const Tensor&) {
                               while (!release->load()) {
                                 std::this_thread::sleep_for(std::chrono::milliseconds(1));
                               }
                               returned->store(true);
                               return Tensor::Zeros({1, 10});
                             }};
  BenchmarkOptions options = Fast();
  options.time_limit_seconds = 0.2;
  const auto start = std::chrono::steady_clock::now();
  const ModelBenchmark r = Benchmark(options).Run(hangs, Query());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  release->store(true);
  while (!returned->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("did not return within the 0.2 s time limit"));
  EXPECT_LT(seconds, 5.0);
}

TEST(BenchmarkRunnerTest, MemoryLimitAndBadEvaluationData) {
  // 8 MiB of scratch per forward against a 1 MiB limit.
  const BenchmarkModel greedy{.name = "greedy", .forward = [](const Tensor&) {
                                Tensor scratch = Tensor::Zeros({2 << 20});
                                return scratch.Slice(0, 0, 10).Reshape({1, 10});
                              }};
  BenchmarkOptions options = Fast();
  options.memory_limit_bytes = 1 << 20;
  const ModelBenchmark r = Benchmark(options).Run(greedy, Query());
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("over the 1048576-byte limit"));

  // The model has 10 classes; a label of 12 is something the model cannot get right.
  EvaluationSet eval = DigitsTest();
  std::vector<int64_t> labels(eval.labels.size(0), 12);
  eval.labels = Tensor::FromData(labels, {eval.labels.size(0)});
  const ModelBenchmark bad_label =
      Benchmark(Fast()).Run(BenchmarkModel::Of("mlp", testing::TrainedDigitsMlp()), Query(), &eval);
  EXPECT_FALSE(bad_label.ok);
  EXPECT_THAT(bad_label.error,
              HasSubstr("label 12 at row 0, outside the model's 10 output classes"));

  // Malformed arguments are the caller's mistake: they throw.
  EvaluationSet float_labels = DigitsTest();
  float_labels.labels = Tensor::Zeros({float_labels.labels.size(0)});
  EXPECT_THAT(
      [&] {
        Benchmark(Fast()).Run(BenchmarkModel::Of("mlp", testing::TrainedDigitsMlp()), Query(),
                              &float_labels);
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("labels must be 1-d int64")));
  EXPECT_THROW(Benchmark(BenchmarkOptions{.latency_seconds = 0}), Error);
  EXPECT_THROW(Benchmark(Fast()).Run(greedy, Tensor()), Error);
}

// A fake clock that the scripted query advances by the next duration on its list.
struct ScriptedQueries {
  int64_t now = 0;
  std::vector<double> ms;  // durations, in order
  size_t next = 0;
  void Query() { now += static_cast<int64_t>(ms.at(next++ % ms.size()) * 1e6); }
};

TEST(BenchmarkRunnerTest, SingleStreamTimesEachQueryAndTakesTheMedianOverWindows) {
  ScriptedQueries q;
  for (int i = 0; i < 3; ++i) q.ms.push_back(50);      // warm-up
  for (int i = 1; i <= 10; ++i) q.ms.push_back(i);     // window 0: 1..10 ms
  for (int i = 2; i <= 11; ++i) q.ms.push_back(i);     // window 1: 2..11 ms
  for (int i = 101; i <= 110; ++i) q.ms.push_back(i);  // window 2: disturbed
  const SingleStreamLatency r = MeasureSingleStream([&] { q.Query(); },
                                                    {.warmup_queries = 3,
                                                     .warmup_seconds = 0,
                                                     .windows = 3,
                                                     .min_queries_per_window = 10,
                                                     .min_window_seconds = 0},
                                                    [&] { return q.now; });
  ASSERT_EQ(r.query_ms.size(), 30u);  // the warm-up is not timed
  EXPECT_DOUBLE_EQ(r.query_ms.front(), 1);
  EXPECT_DOUBLE_EQ(r.query_ms.back(), 110);
  EXPECT_EQ(r.window_queries, (std::vector<int64_t>{10, 10, 10}));
  // NumPy: percentile(1..10, 90) = 9.1; the disturbed window does not move the medians.
  EXPECT_THAT(r.window_p90_ms, ::testing::ElementsAre(::testing::DoubleNear(9.1, 1e-9),
                                                      ::testing::DoubleNear(10.1, 1e-9),
                                                      ::testing::DoubleNear(109.1, 1e-9)));
  EXPECT_NEAR(r.p90_ms, 10.1, 1e-9);
  EXPECT_NEAR(r.mean_ms, 6.5, 1e-9);
  EXPECT_NEAR(r.p50_ms, 6.5, 1e-9);
  EXPECT_NEAR(r.p99_ms, 10.91, 1e-9);
  EXPECT_FALSE(r.time_limited);

  // Out of time: the run ends early and says so.
  ScriptedQueries slow{.ms = {10}};
  const SingleStreamLatency cut = MeasureSingleStream(
      [&] { slow.Query(); }, {.warmup_seconds = 0, .max_seconds = 0.05}, [&] { return slow.now; });
  EXPECT_TRUE(cut.time_limited);
  EXPECT_EQ(cut.window_queries.size(), 1u);
  // Time runs out in the third window: the two full ones decide, the short third is dropped.
  ScriptedQueries steady{.ms = {1}};
  const SingleStreamLatency two = MeasureSingleStream([&] { steady.Query(); },
                                                      {.warmup_queries = 0,
                                                       .warmup_seconds = 0,
                                                       .windows = 3,
                                                       .min_queries_per_window = 10,
                                                       .min_window_seconds = 0,
                                                       .max_seconds = 0.025},
                                                      [&] { return steady.now; });
  EXPECT_TRUE(two.time_limited);
  EXPECT_EQ(two.window_queries, (std::vector<int64_t>{10, 10}));
  EXPECT_EQ(two.query_ms.size(), 20u);
  EXPECT_THROW(MeasureSingleStream([] {}, {.windows = 0}), Error);
  EXPECT_THROW(MeasureSingleStream(nullptr), Error);
}

TEST(BenchmarkRunnerTest, SingleStreamOnARealModel) {
  BenchmarkModel mlp = BenchmarkModel::Of("mlp", testing::TrainedDigitsMlp());
  const Tensor query = Query();
  const SingleStreamLatency r = MeasureSingleStream(
      [&] { mlp.forward(query); },
      {.windows = 3, .min_queries_per_window = 100, .min_window_seconds = 0.01});
  EXPECT_GE(r.query_ms.size(), 300u);
  EXPECT_GT(r.p50_ms, 0);
  EXPECT_LE(r.p50_ms, r.p90_ms);
  EXPECT_LE(r.p90_ms, r.p99_ms);
  EXPECT_FALSE(r.time_limited);
}

// The same trained model doing its forward ten times per query: as accurate, no smaller, and
// ten times slower, so it is dominated by the original on any noisy machine.
BenchmarkModel TenTimesSlower(std::shared_ptr<Sequential> model) {
  BenchmarkModel m = BenchmarkModel::Of("mlp_x10", model);
  const auto forward = m.forward;
  m.forward = [forward](const Tensor& x) {
    Tensor y;
    for (int i = 0; i < 10; ++i) y = forward(x);
    return y;
  };
  return m;
}

TEST(BenchmarkRunnerTest, SuiteReportsAParetoFrontierAndWritesItsReport) {
  std::shared_ptr<Sequential> mlp = testing::TrainedDigitsMlp();
  const EvaluationSet eval = DigitsTest();
  const std::vector<BenchmarkModel> models = {
      BenchmarkModel::Of("mlp", mlp),
      TenTimesSlower(mlp),
      BenchmarkModel::Of("mlp_int8", QuantizeModel(*mlp)),
      {.name = "broken", .forward = [](const Tensor&) -> Tensor { throw Error("broken"); }}};
  const SuiteReport report = RunSuite("digits", Benchmark(Fast()), models, Query(), &eval);
  ASSERT_EQ(report.models.size(), 4u);
  ASSERT_EQ(report.metrics.size(), 3u);  // latency, accuracy, memory
  // Every model that ran is either on the frontier or dominated by a named model that really
  // dominates it; the broken one is in neither list. mlp_x10 (ten times mlp's work, no smaller,
  // no more accurate) is always dominated; whether int8 dominates mlp is for the measurement.
  const auto point = [&](size_t i) {
    const ModelBenchmark& r = report.models[i];
    return std::vector<double>{r.latency.median, r.accuracy, static_cast<double>(r.memory_bytes())};
  };
  const std::vector<Objective> objectives = {Objective::kMinimize, Objective::kMaximize,
                                             Objective::kMinimize};
  EXPECT_EQ(report.frontier.size() + report.dominated.size(), 3u);
  for (const auto& [d, by] : report.dominated) {
    EXPECT_EQ(ParetoFrontier({point(by), point(d)}, objectives), std::vector<size_t>{0})
        << report.models[d].model << " by " << report.models[by].model;
  }
  EXPECT_THAT(report.frontier, ::testing::Not(::testing::Contains(1u)));
  EXPECT_THAT(report.frontier, ::testing::Not(::testing::Contains(3u)));
  std::vector<std::vector<double>> ran = {point(0), point(1), point(2)};
  std::vector<size_t> expected_frontier = ParetoFrontier(ran, objectives);
  EXPECT_EQ(report.frontier, expected_frontier);

  const std::string md = report.ToMarkdown();
  EXPECT_THAT(md, HasSubstr("| broken | ERROR |"));
  EXPECT_THAT(md, HasSubstr("mlp_x10 is dominated by"));
  EXPECT_THAT(md, HasSubstr("(estimated)"));
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "suite_report_test";
  std::filesystem::remove_all(dir);
  report.Write(dir.string(), "digits");
  std::ifstream in(dir / "digits.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["schema"], "tinytorch.benchmark_suite/1");
  EXPECT_EQ(j["models"].size(), 4u);
  EXPECT_EQ(j["models"][3]["status"], "error");
  EXPECT_TRUE(std::filesystem::exists(dir / "digits.md"));
  EXPECT_THAT(md,
              ::testing::ContainsRegex("\\| mlp \\| ok \\| [0-9.e-]+ \\[[0-9.e-]+, [0-9.e-]+\\]"));
  // Without an evaluation set the default frontier is latency and memory.
  const SuiteReport no_eval =
      RunSuite("digits", Benchmark(Fast()), {BenchmarkModel::Of("mlp", mlp)}, Query());
  EXPECT_EQ(no_eval.metrics,
            (std::vector<SuiteMetric>{SuiteMetric::kLatency, SuiteMetric::kMemory}));
  EXPECT_THROW(RunSuite("x", Benchmark(Fast()), models, Query(), nullptr, {SuiteMetric::kAccuracy}),
               Error);
}

// A result by hand: latency values around `ms`, fixed memory and per-example correctness.
ModelBenchmark Result(const std::string& name, double ms, int64_t bytes, int correct_of_100) {
  ModelBenchmark r;
  r.model = name;
  r.ok = true;
  std::vector<double> v;
  for (int i = 0; i < 30; ++i) v.push_back(ms * (1 + 0.01 * ((i * 7) % 11 - 5)));
  r.latency = BenchmarkResult::FromValues(name, "latency", "ms", v);
  r.state_bytes = bytes;
  r.has_accuracy = true;
  r.dataset = "d";
  r.evaluated = 100;
  r.correct = correct_of_100;
  r.accuracy = correct_of_100 / 100.0;
  r.correct_by_example.assign(100, 0);
  for (int i = 0; i < correct_of_100; ++i) r.correct_by_example[i] = 1;
  return r;
}

TEST(BenchmarkRunnerTest, RecommendationsRespectConstraintsAndNeverPickADominatedVariant) {
  const ModelBenchmark base = Result("fp32", 10, 4000, 95);
  ModelBenchmark broken;
  broken.model = "broken";
  broken.error = "threw";
  const std::vector<ModelBenchmark> variants = {
      Result("int8", 4, 1000, 95),        // faster and 4× smaller, same accuracy
      Result("pruned90", 2, 4000, 40),    // fastest, but loses most of the accuracy
      Result("slow_small", 12, 900, 95),  // smallest, but slower
      Result("int8_twin", 4, 1100, 94),   // dominated by int8 in every metric
      broken};
  const TechniqueComparison c =
      CompareOptimizationTechniques(base, variants, {.min_accuracy_retention = 0.97});
  ASSERT_EQ(c.improvements.size(), 4u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_THAT(c.errors[0], HasSubstr("broken: threw"));
  const TechniqueImprovement& int8 = c.improvements[0];
  EXPECT_NEAR(int8.speedup, 2.5, 1e-9);
  EXPECT_GT(int8.speedup_low, 2.3);
  EXPECT_LT(int8.speedup_high, 2.7);
  EXPECT_DOUBLE_EQ(int8.memory_ratio, 4.0);
  EXPECT_DOUBLE_EQ(int8.accuracy_delta, 0);
  EXPECT_DOUBLE_EQ(int8.accuracy_retention, 1);
  EXPECT_DOUBLE_EQ(int8.efficiency, 10);
  EXPECT_FALSE(c.improvements[1].meets_constraints);
  EXPECT_THAT(c.improvements[1].constraint_failure, HasSubstr("accuracy retention 42.1% < 97.0%"));
  EXPECT_LT(c.improvements[1].accuracy_delta_high, 0);  // significantly worse, paired
  EXPECT_TRUE(c.improvements[3].dominated);
  EXPECT_FALSE(c.improvements[0].dominated);
  EXPECT_FALSE(c.improvements[2].dominated);

  ASSERT_EQ(c.recommendations.size(), 4u);
  EXPECT_EQ(c.recommendations[0].use_case, "latency_critical");
  EXPECT_EQ(c.recommendations[0].variant, "int8");  // pruned90 is faster but fails the floor
  EXPECT_THAT(c.recommendations[0].reason, HasSubstr("2.50x speed"));
  EXPECT_EQ(c.recommendations[1].variant, "slow_small");
  EXPECT_THAT(c.recommendations[1].reason, HasSubstr("4.44x less memory"));
  EXPECT_EQ(c.recommendations[2].variant, "int8");
  EXPECT_EQ(c.recommendations[3].variant, "int8");
  for (const Recommendation& r : c.recommendations) EXPECT_NE(r.variant, "int8_twin");

  // A constraint no variant meets: every use case keeps the baseline, and says why.
  const TechniqueComparison none =
      CompareOptimizationTechniques(base, variants, {.max_latency_ms = 1});
  for (const Recommendation& r : none.recommendations) {
    EXPECT_EQ(r.variant, "");
    EXPECT_THAT(r.reason, HasSubstr("keep the baseline"));
  }
  EXPECT_THAT(none.ToMarkdown(), HasSubstr("median latency"));
  EXPECT_EQ(nlohmann::json::parse(c.ToJson())["recommendations"][0]["variant"], "int8");
  EXPECT_THROW(CompareOptimizationTechniques(broken, variants), Error);
}

TEST(BenchmarkRunnerTest, ComparesRealOptimizationTechniques) {
  std::shared_ptr<Sequential> mlp = testing::TrainedDigitsMlp();
  const testing::DigitsData& d = testing::Digits();
  // The shared trained model must stay intact: prune a copy.
  auto prunable = std::make_shared<Sequential>();
  Generator gen(1);
  prunable->Add(std::make_shared<Linear>(64, 128, gen));
  prunable->Add(std::make_shared<ReLULayer>());
  prunable->Add(std::make_shared<Linear>(128, 64, gen));
  prunable->Add(std::make_shared<ReLULayer>());
  prunable->Add(std::make_shared<Linear>(64, 10, gen));
  prunable->LoadState(mlp->GetStateDict());  // copies the values
  MagnitudePrune(*prunable, 0.9, /*global=*/true);

  const EvaluationSet eval = DigitsTest();
  const Benchmark bench(Fast());
  const ModelBenchmark base = bench.Run(BenchmarkModel::Of("fp32", mlp), Query(), &eval);
  const std::vector<ModelBenchmark> variants = {
      bench.Run(BenchmarkModel::Of("int8", QuantizeModel(*mlp, {}, d.train_x)), Query(), &eval),
      bench.Run(BenchmarkModel::Of("pruned90", prunable), Query(), &eval),
      bench.Run(TenTimesSlower(mlp), Query(), &eval)};
  const TechniqueComparison c =
      CompareOptimizationTechniques(base, variants, {.min_accuracy_retention = 0.98});
  ASSERT_EQ(c.improvements.size(), 3u) << c.ToMarkdown();
  const TechniqueImprovement& int8 = c.improvements[0];
  EXPECT_GT(int8.memory_ratio, 1.5);  // weights 4× smaller; activations as before
  EXPECT_GT(int8.accuracy_retention, 0.98);
  EXPECT_FALSE(c.improvements[1].meets_constraints);  // 90% pruning without fine-tuning
  EXPECT_LT(c.improvements[1].accuracy_delta_high, 0);
  EXPECT_TRUE(c.improvements[2].dominated);
  EXPECT_LT(c.improvements[2].speedup_high, 1);
  EXPECT_EQ(c.recommendations[1].variant, "int8");
  for (const Recommendation& r : c.recommendations) {
    EXPECT_NE(r.variant, "pruned90");
    EXPECT_NE(r.variant, "mlp_x10");
  }
}

}  // namespace
}  // namespace tinytorch
