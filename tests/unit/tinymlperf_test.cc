// Module 19: TinyMLPerf — the course's shapes and bars, ROC AUC against scikit-learn, and the
// anomaly-detection benchmark end to end with its trained reference autoencoder, a model that
// cannot detect anything, and broken models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;

TEST(TinyMLPerfTest, SpecsHaveTheCourseShapesAndBars) {
  const auto& specs = TinyMLPerfSpecs();
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(TinyMLPerfSpecFor("keyword_spotting").input_shape, (Shape{1, 16000}));
  EXPECT_EQ(TinyMLPerfSpecFor("keyword_spotting").quality_target, 0.90);
  EXPECT_EQ(TinyMLPerfSpecFor("keyword_spotting").max_latency_ms, 100);
  EXPECT_EQ(TinyMLPerfSpecFor("visual_wake_words").input_shape, (Shape{1, 96, 96, 3}));
  EXPECT_EQ(TinyMLPerfSpecFor("visual_wake_words").max_latency_ms, 200);
  EXPECT_EQ(TinyMLPerfSpecFor("anomaly_detection").quality_metric, "auc");
  EXPECT_EQ(TinyMLPerfSpecFor("anomaly_detection").max_latency_ms, 50);
  EXPECT_EQ(TinyMLPerfSpecFor("image_classification").input_shape, (Shape{1, 32, 32, 3}));
  EXPECT_EQ(TinyMLPerfSpecFor("image_classification").quality_target, 0.75);
  EXPECT_THROW(TinyMLPerfSpecFor("speech"), Error);
}

TEST(TinyMLPerfTest, RocAucMatchesScikitLearn) {
  // sklearn.metrics.roc_auc_score on the same inputs.
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}).auc, 0.75);
  EXPECT_NEAR(RocAuc({1, 1, 2, 2, 3, 0}, {0, 1, 0, 1, 0, 1}).auc, 0.22222222222222224, 1e-15);
  EXPECT_NEAR(RocAuc({0.9, 0.9, 0.8, 0.1, 0.3}, {1, 0, 1, 0, 1}).auc, 0.5833333333333334, 1e-15);
  const RocAucResult r = RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  EXPECT_LT(r.low, r.auc);
  EXPECT_GE(r.low, 0);
  EXPECT_LE(r.high, 1);
  EXPECT_THAT(
      [] {
        RocAuc({1, 2}, {1, 1});
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("needs both classes")));
  EXPECT_THROW(RocAuc({1, 2}, {0, 2}), Error);
  EXPECT_THROW(RocAuc({1}, {0, 1}), Error);
}

SingleStreamOptions Quick() {
  return {.windows = 3, .min_queries_per_window = 50, .min_window_seconds = 0.01};
}

TEST(TinyMLPerfTest, AnomalyDetectionReferenceIsCompliantAndSaysItsDataIsSynthetic) {
  const AnomalyDetectionSplit data = MakeAnomalyDetectionData();
  const TinyMLPerfSpec& spec = TinyMLPerfSpecFor("anomaly_detection");
  const TinyMLPerfResult r =
      RunTinyMLPerf(spec, BenchmarkModel::Of("fc_autoencoder", TrainAnomalyAutoencoder(data.train)),
                    data.eval, Quick());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.parameters, 265'864);
  EXPECT_GE(r.quality, 0.85) << TinyMLPerfMarkdown({r});
  EXPECT_LE(r.quality_low, r.quality);
  EXPECT_TRUE(r.synthetic_data);
  EXPECT_GE(r.latency.query_ms.size(), 150u);
  EXPECT_TRUE(r.compliant()) << TinyMLPerfMarkdown({r});
  const nlohmann::json j = nlohmann::json::parse(TinyMLPerfJson({r}));
  EXPECT_EQ(j["results"][0]["synthetic_data"], true);
  EXPECT_EQ(j["results"][0]["compliant"], true);
  EXPECT_THAT(TinyMLPerfMarkdown({r}), HasSubstr("| synthetic | compliant |"));

  // The same architecture untrained cannot tell the two apart: the score is what training bought.
  Generator gen(3);
  const TinyMLPerfResult untrained = RunTinyMLPerf(
      spec, BenchmarkModel::Of("untrained", AnomalyAutoencoder(gen)), data.eval, Quick());
  ASSERT_TRUE(untrained.ok) << untrained.error;
  EXPECT_LT(untrained.quality, 0.75) << TinyMLPerfMarkdown({untrained});
  RecordProperty("tinymlperf_report", TinyMLPerfMarkdown({r, untrained}));

  // Reconstructing every row perfectly gives every row the same score: chance, not compliant.
  const BenchmarkModel identity{.name = "identity", .forward = [](const Tensor& x) { return x; }};
  const TinyMLPerfResult chance = RunTinyMLPerf(spec, identity, data.eval, Quick());
  ASSERT_TRUE(chance.ok) << chance.error;
  EXPECT_DOUBLE_EQ(chance.quality, 0.5);
  EXPECT_FALSE(chance.compliant());
  EXPECT_THAT(TinyMLPerfMarkdown({chance}), HasSubstr("quality below target"));
}

TEST(TinyMLPerfTest, BrokenModelsAndMismatchedData) {
  const AnomalyDetectionSplit data = MakeAnomalyDetectionData(10, 20);
  const TinyMLPerfSpec& spec = TinyMLPerfSpecFor("anomaly_detection");
  const BenchmarkModel shrinks{.name = "shrinks",
                               .forward = [](const Tensor& x) { return x.Slice(1, 0, 10); }};
  const TinyMLPerfResult r = RunTinyMLPerf(spec, shrinks, data.eval, Quick());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.compliant());
  EXPECT_THAT(r.error, HasSubstr("returned shape [20, 10], expected [20, 640]"));
  const BenchmarkModel throws{
      .name = "throws", .forward = [](const Tensor&) -> Tensor { throw Error("out of memory"); }};
  EXPECT_THAT(RunTinyMLPerf(spec, throws, data.eval, Quick()).error, HasSubstr("out of memory"));
  EXPECT_THAT(TinyMLPerfMarkdown({r}), HasSubstr("ERROR: forward on evaluation rows"));
  // Data of the wrong benchmark is the caller's mistake.
  EXPECT_THAT([&] { RunTinyMLPerf(TinyMLPerfSpecFor("keyword_spotting"), shrinks, data.eval); },
              ::testing::ThrowsMessage<Error>(HasSubstr("queries are [1, 16000]")));
}

TEST(TinyMLPerfTest, ResNet8TakesNhwcQueriesAndTrainsEveryParameter) {
  Generator gen(1);
  const std::shared_ptr<Module> model = ResNet8(gen);
  EXPECT_EQ(model->NumParameters(), 78'186);
  const Tensor x = Tensor::Rand({2, 32, 32, 3}, gen);
  const Tensor logits = (*model)(x);
  EXPECT_EQ(logits.shape(), (Shape{2, 10}));
  CrossEntropyLoss()(logits, Tensor::FromData(std::vector<int64_t>{3, 7}, {2})).Backward();
  for (const auto& [name, p] : model->NamedParameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(Abs(p.grad()).Sum().item(), 0) << name;
  }
  EXPECT_THAT(
      [&] {
        (*model)(Tensor::Zeros({2, 3, 32, 32}));
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("expected NHWC input (N, H, W, 3)")));
}

}  // namespace
}  // namespace tinytorch
