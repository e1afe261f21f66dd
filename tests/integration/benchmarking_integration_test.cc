// Module 19 on models from modules 01-18: the float digits MLP and its int8, pruned-to-CSR,
// distilled, low-rank and fused variants, the CNN, and a GPT decoding with and without the KV
// cache, through Benchmark, RunSuite and CompareOptimizationTechniques. Checks what a user relies
// on: measurements are real (positive, finite, ordered where the construction orders them), the
// Pareto frontier keeps no dominated model and every "dominated by" is a real domination,
// recommendations respect the constraints, and a rerun reproduces every deterministic number.
// Timings are never compared with each other here (that is tests/performance/'s job).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/digits_models.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

const testing::DigitsData& D() { return testing::Digits(); }
Tensor Query() { return D().test_x.Slice(0, 0, 1).Contiguous(); }
EvaluationSet Eval() { return {.name = "digits/test", .inputs = D().test_x, .labels = D().test_y}; }

std::shared_ptr<Sequential> Mlp(int64_t hidden1, int64_t hidden2, uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(64, hidden1, gen), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(hidden1, hidden2, gen), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(hidden2, 10, gen)});
}

// The variants a student of the course would build, each from the shared trained MLP.
std::vector<BenchmarkModel> Variants() {
  const auto mlp = testing::TrainedDigitsMlp();
  std::vector<BenchmarkModel> models = {BenchmarkModel::Of("fp32", mlp)};
  models.push_back(BenchmarkModel::Of("int8", QuantizeModel(*mlp, {}, D().train_x)));
  auto pruned = StructuredPrune(*mlp, 0.0);  // a deep copy: the shared model stays intact
  MagnitudePrune(*pruned, 0.8, /*global=*/true);
  models.push_back(BenchmarkModel::Of("pruned80_csr", ToSparse(*pruned)));
  static const std::shared_ptr<Sequential> student = [&] {
    auto s = Mlp(32, 16, 2);
    KnowledgeDistillation(*s, *mlp, D().train_x, D().train_y, {.epochs = 15});
    return s;
  }();
  models.push_back(BenchmarkModel::Of("distilled_32_16", student));
  auto low_rank = std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      LowRankApproximate(dynamic_cast<const Linear&>((*mlp)[0]), 16), std::make_shared<ReLULayer>(),
      mlp->layers()[2], std::make_shared<ReLULayer>(), mlp->layers()[4]});
  models.push_back(BenchmarkModel::Of("low_rank16", low_rank));
  // The first layer and a GELU in one fused kernel (the MLP with its first ReLU swapped for
  // GELU): a fused op goes through the runner like any other model.
  models.push_back({.name = "fused_linear_gelu",
                    .forward =
                        [mlp](const Tensor& x) {
                          const auto& first = dynamic_cast<const Linear&>((*mlp)[0]);
                          const Tensor h = LinearGelu(x, first.weight(), first.bias());
                          return (*mlp)[4](Relu((*mlp)[2](h)));
                        },
                    .parameters = mlp->NumParameters(),
                    .state_bytes = mlp->StateBytes()});
  return models;
}

double Metric(const ModelBenchmark& m, SuiteMetric metric) {
  switch (metric) {
    case SuiteMetric::kLatency:
      return m.latency.median;
    case SuiteMetric::kAccuracy:
      return m.accuracy;
    case SuiteMetric::kMemory:
      return static_cast<double>(m.memory_bytes());
    case SuiteMetric::kEnergy:
      return m.energy.joules_per_query;
  }
  return NAN;
}

// a dominates b: no worse on every metric and better on one (accuracy is maximized).
bool Dominates(const ModelBenchmark& a, const ModelBenchmark& b,
               const std::vector<SuiteMetric>& metrics) {
  bool better = false;
  for (const SuiteMetric m : metrics) {
    const double sign = m == SuiteMetric::kAccuracy ? -1 : 1;
    const double x = sign * Metric(a, m), y = sign * Metric(b, m);
    if (x > y) return false;
    better = better || x < y;
  }
  return better;
}

TEST(BenchmarkingIntegrationTest, OptimizedVariantsThroughASuite) {
  const std::vector<BenchmarkModel> models = Variants();
  const EvaluationSet eval = Eval();
  const SuiteReport report =
      RunSuite("digits variants", Benchmark({.latency_seconds = 0.1}), models, Query(), &eval);
  ASSERT_EQ(report.models.size(), models.size());
  for (const ModelBenchmark& m : report.models) {
    ASSERT_TRUE(m.ok) << m.model << ": " << m.error;
    EXPECT_TRUE(std::isfinite(m.latency.median) && m.latency.median > 0) << m.model;
    EXPECT_GT(m.memory_bytes(), 0) << m.model;
    EXPECT_EQ(m.evaluated, D().test_y.size(0)) << m.model;
  }
  const auto by_name = [&](const std::string& name) -> const ModelBenchmark& {
    for (const ModelBenchmark& m : report.models) {
      if (m.model == name) return m;
    }
    throw std::runtime_error("no model " + name);
  };
  // Orders fixed by construction: int8 stores a quarter of the float bytes (plus scales); CSR at
  // 80% sparsity and the distilled student are smaller still than the float model.
  EXPECT_LT(3.5 * static_cast<double>(by_name("int8").state_bytes),
            static_cast<double>(by_name("fp32").state_bytes));
  EXPECT_LT(by_name("pruned80_csr").state_bytes, by_name("fp32").state_bytes / 2);
  EXPECT_LT(by_name("distilled_32_16").parameters, by_name("fp32").parameters / 4);
  EXPECT_GT(by_name("distilled_32_16").accuracy, 0.9) << "distillation must still learn digits";

  // The frontier keeps no dominated model; every (model, by) pair is a real domination; together
  // they cover every model that ran.
  for (const size_t i : report.frontier) {
    for (size_t j = 0; j < report.models.size(); ++j) {
      EXPECT_FALSE(Dominates(report.models[j], report.models[i], report.metrics))
          << report.models[i].model << " is on the frontier but " << report.models[j].model
          << " dominates it";
    }
  }
  for (const auto& [i, by] : report.dominated) {
    EXPECT_TRUE(Dominates(report.models[by], report.models[i], report.metrics))
        << report.models[by].model << " does not dominate " << report.models[i].model;
  }
  EXPECT_EQ(report.frontier.size() + report.dominated.size(), report.models.size());

  // The JSON carries every model's numbers without loss.
  const nlohmann::json j = nlohmann::json::parse(report.ToJson());
  ASSERT_EQ(j["models"].size(), report.models.size());
  for (size_t i = 0; i < report.models.size(); ++i) {
    EXPECT_EQ(j["models"][i]["accuracy"]["value"].get<double>(), report.models[i].accuracy);
    EXPECT_EQ(BenchmarkResult::FromJson(j["models"][i]["latency"].dump()).values,
              report.models[i].latency.values);
  }
}

TEST(BenchmarkingIntegrationTest, RecommendationsRespectConstraintsOnRealVariants) {
  const EvaluationSet eval = Eval();
  const Benchmark bench({.latency_seconds = 0.1});
  const std::vector<BenchmarkModel> models = Variants();
  const ModelBenchmark base = bench.Run(models[0], Query(), &eval);
  std::vector<ModelBenchmark> variants;
  for (size_t i = 1; i + 1 < models.size(); ++i)
    variants.push_back(bench.Run(models[i], Query(), &eval));
  for (const double retention : {0.0, 0.97, 1.5}) {
    const TechniqueComparison c =
        CompareOptimizationTechniques(base, variants, {.min_accuracy_retention = retention});
    ASSERT_EQ(c.improvements.size(), variants.size());
    ASSERT_EQ(c.recommendations.size(), 4u);
    for (const Recommendation& r : c.recommendations) {
      if (r.variant.empty()) continue;
      const auto it =
          std::find_if(c.improvements.begin(), c.improvements.end(),
                       [&](const TechniqueImprovement& t) { return t.variant == r.variant; });
      ASSERT_NE(it, c.improvements.end());
      EXPECT_TRUE(it->meets_constraints) << r.use_case << " picked " << r.variant;
      EXPECT_FALSE(it->dominated) << r.use_case << " picked " << r.variant;
      EXPECT_GE(it->accuracy_retention, retention) << r.use_case << " picked " << r.variant;
    }
    if (retention > 1) {
      for (const Recommendation& r : c.recommendations) {
        EXPECT_EQ(r.variant, "") << "no variant keeps 150% of the accuracy";
      }
    }
  }
}

// Everything that is not a timing is the same on a rerun: accuracies, which examples are right,
// parameter and state byte counts, output shapes. Heap peaks are measured, not computed: worker
// threads' bookkeeping moved them by up to 150 bytes between runs, so they must agree within
// 1 KiB + 5%.
TEST(BenchmarkingIntegrationTest, RerunsReproduceEveryDeterministicNumber) {
  const EvaluationSet eval = Eval();
  const Benchmark bench({.latency_seconds = 0.05});
  const std::vector<BenchmarkModel> models = Variants();
  const std::vector<ModelBenchmark> a = bench.RunAll(models, Query(), &eval);
  const std::vector<ModelBenchmark> b = bench.RunAll(models, Query(), &eval);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(a[i].ok && b[i].ok) << a[i].error << b[i].error;
    EXPECT_EQ(a[i].accuracy, b[i].accuracy) << a[i].model;
    EXPECT_EQ(a[i].correct_by_example, b[i].correct_by_example) << a[i].model;
    EXPECT_EQ(a[i].parameters, b[i].parameters) << a[i].model;
    EXPECT_EQ(a[i].state_bytes, b[i].state_bytes) << a[i].model;
    EXPECT_NEAR(static_cast<double>(a[i].peak_activation_bytes),
                static_cast<double>(b[i].peak_activation_bytes),
                1024 + 0.05 * static_cast<double>(a[i].peak_activation_bytes))
        << a[i].model;
    EXPECT_EQ(a[i].output_shape, b[i].output_shape) << a[i].model;
  }
}

// A GPT generating 16 tokens, with and without the KV cache, as two benchmark models: both run,
// and they produce the same tokens (the runner checks the output is finite and shaped).
TEST(BenchmarkingIntegrationTest, KvCachedGenerationThroughTheRunner) {
  Generator gen(19);
  auto gpt = std::make_shared<GPT>(
      GPTConfig{
          .vocab_size = 64, .max_seq_len = 64, .embed_dim = 64, .num_heads = 4, .num_layers = 2},
      gen);
  const auto generate = [gpt](bool cached) {
    return [gpt, cached](const Tensor& prompt) {
      const Tensor p = prompt.Contiguous();
      const TokenIds ids(p.data<int64_t>(), p.data<int64_t>() + p.numel());
      const TokenIds out = cached ? GenerateCached(*gpt, ids, 16, {.temperature = 0.f})
                                  : gpt->Generate(ids, 16, {.temperature = 0.f});
      std::vector<float> f(out.begin(), out.end());
      return Tensor::FromData(f, {1, static_cast<int64_t>(f.size())});
    };
  };
  const Tensor prompt = Tensor::FromData(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}, {1, 8});
  const std::vector<ModelBenchmark> rs =
      Benchmark({.latency_seconds = 0.1, .expected_output_shape = {1, 24}})
          .RunAll(
              {{.name = "uncached", .forward = generate(false), .parameters = gpt->NumParameters()},
               {.name = "kv_cached",
                .forward = generate(true),
                .parameters = gpt->NumParameters()}},
              prompt);
  ASSERT_EQ(rs.size(), 2u);
  for (const ModelBenchmark& r : rs) {
    ASSERT_TRUE(r.ok) << r.model << ": " << r.error;
    EXPECT_GT(r.latency.median, 0);
  }
  EXPECT_EQ(generate(false)(prompt).ToVector(), generate(true)(prompt).ToVector());
  // The cache's keys and values are the memory it trades for time: 2 tensors per layer.
  EXPECT_GT(rs[1].peak_activation_bytes, 0);
}

// Degenerate but legal models: no parameters at all, and exactly one.
TEST(BenchmarkingIntegrationTest, ModelsWithNoneOrOneParameter) {
  auto flatten = std::make_shared<Flatten>();
  Generator gen(3);
  auto one = std::make_shared<Linear>(1, 1, gen, /*bias=*/false);
  const Benchmark bench({.latency_seconds = 0.05});
  const ModelBenchmark none = bench.Run(BenchmarkModel::Of("flatten", flatten), Query());
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_EQ(none.parameters, 0);
  EXPECT_EQ(none.state_bytes, 0);
  EXPECT_EQ(none.output_shape, (Shape{1, 64}));
  const ModelBenchmark single = bench.Run(BenchmarkModel::Of("one", one), Tensor::Ones({1, 1}));
  ASSERT_TRUE(single.ok) << single.error;
  EXPECT_EQ(single.parameters, 1);
  EXPECT_EQ(single.state_bytes, 4);
  EXPECT_GT(single.latency.median, 0);
}

}  // namespace
}  // namespace tinytorch
