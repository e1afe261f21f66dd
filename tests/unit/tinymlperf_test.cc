// Module 19: TinyMLPerf — the course's shapes and bars, ROC AUC against scikit-learn, the
// anomaly-detection benchmark end to end with its trained reference autoencoder, a model that
// cannot detect anything, and broken models; the keyword-spotting MFCC front end against NumPy and
// SciPy, the synthetic data sets, and the four reference models' shapes and parameter counts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

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

// The two formulas of tools/golden/make_mfcc_golden.py, in double precision, rounded to float.
Tensor AnalyticSignals() {
  constexpr double kPi = std::numbers::pi;
  std::vector<float> audio(2 * 16000);
  for (int64_t i = 0; i < 16000; ++i) {
    const double t = static_cast<double>(i) / 16000;
    audio[i] = static_cast<float>(
        0.6 * std::sin(2 * kPi * 440 * t) + 0.3 * std::sin(2 * kPi * 1250 * t + 0.5) +
        0.2 * std::sin(2 * kPi * (100 * t + 900 * t * t)) + 0.05 * std::sin(2 * kPi * 3333 * t));
    audio[16000 + i] =
        static_cast<float>(std::sin(2 * kPi * 700 * t) * (0.5 + 0.5 * std::sin(2 * kPi * 3 * t)));
  }
  return Tensor::FromData(std::move(audio), {2, 16000});
}

TEST(TinyMLPerfTest, KeywordMfccMatchesNumPyAndSciPy) {
  std::ifstream in(std::string(TT_GOLDEN_DIR) + "/keyword_mfcc.json");
  ASSERT_TRUE(in) << "tests/data/golden/keyword_mfcc.json is missing";
  const nlohmann::json golden = nlohmann::json::parse(in);
  const Tensor mfcc = KeywordMfcc(AnalyticSignals());
  ASSERT_EQ(mfcc.shape(), (Shape{2, 1, 49, 10}));
  ASSERT_EQ(golden.at("cases").size(), 2u);
  for (int64_t c = 0; c < 2; ++c) {
    const auto& expected = golden["cases"][c]["mfcc"];
    SCOPED_TRACE(golden["cases"][c]["name"].get<std::string>());
    ASSERT_EQ(expected.size(), 490u);
    double worst = 0;
    for (int64_t k = 0; k < 490; ++k) {
      const double want = expected[k].get<double>();
      const double got = mfcc.at({c, 0, k / 10, k % 10});
      worst = std::max(worst, std::abs(got - want) / (5e-3 + 1e-4 * std::abs(want)));
    }
    // A float32 DFT through a GEMM against NumPy's double FFT: the coefficients (|c| up to ~70)
    // agree within 5e-3 + 1e-4·|c| (measured worst: 2.2e-3 absolute).
    EXPECT_LT(worst, 1.0);
  }
  EXPECT_THAT(
      [] {
        KeywordMfcc(Tensor::Zeros({2, 8000}));
      },
      ::testing::ThrowsMessage<Error>(
          HasSubstr("KeywordMfcc: expects float32 audio (N, 16000), got [2, 8000]")));
}

TEST(TinyMLPerfTest, SyntheticKeywordsAndScenesAreSeededBalancedAndLabelledSynthetic) {
  const TinyMLPerfData kws = MakeKeywordSpottingData(24, 5);
  EXPECT_EQ(kws.inputs.shape(), (Shape{24, 16000}));
  EXPECT_TRUE(kws.synthetic_data);
  EXPECT_THAT(kws.source, HasSubstr("seed 5"));
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(kws.labels.data<int64_t>()[i], i % kKeywordClasses);
  EXPECT_EQ(MakeKeywordSpottingData(24, 5).inputs.ToVector(), kws.inputs.ToVector());
  EXPECT_NE(MakeKeywordSpottingData(24, 6).inputs.ToVector(), kws.inputs.ToVector());

  const TinyMLPerfData vww = MakeVisualWakeWordsData(6, 5);
  EXPECT_EQ(vww.inputs.shape(), (Shape{6, 96, 96, 3}));
  EXPECT_TRUE(vww.synthetic_data);
  EXPECT_EQ(std::vector<int64_t>(vww.labels.data<int64_t>(), vww.labels.data<int64_t>() + 6),
            (std::vector<int64_t>{0, 1, 0, 1, 0, 1}));
  EXPECT_GE(vww.inputs.Min().item(), 0.f);
  EXPECT_LE(vww.inputs.Max().item(), 1.f);
  EXPECT_EQ(MakeVisualWakeWordsData(6, 5).inputs.ToVector(), vww.inputs.ToVector());
  EXPECT_THAT([] { MakeVisualWakeWordsData(0, 1); },
              ::testing::ThrowsMessage<Error>(HasSubstr("rows 0 must be positive")));
}

// Every parameter of a reference model receives a gradient from one batch, and queries of the
// wrong layout are refused naming the expected one.
void ExpectTrainsEveryParameter(Module& model, const Tensor& x, const Tensor& labels) {
  CrossEntropyLoss()(model(x), labels).Backward();
  for (const auto& [name, p] : model.NamedParameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(Abs(p.grad()).Sum().item(), 0) << name;
  }
}

TEST(TinyMLPerfTest, DsCnnAndMobileNetHaveMlperfShapesAndTrainEveryParameter) {
  Generator gen(2);
  const std::shared_ptr<Module> dscnn = DsCnn(gen);
  EXPECT_EQ(dscnn->NumParameters(), 23'180);
  const TinyMLPerfData kws = MakeKeywordSpottingData(4, 1);
  EXPECT_EQ((*dscnn)(kws.inputs).shape(), (Shape{4, 12}));
  ExpectTrainsEveryParameter(*dscnn, kws.inputs, kws.labels);
  EXPECT_THAT(
      [&] {
        (*dscnn)(Tensor::Zeros({1, 1, 49, 10}));
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("DsCnn: expected audio (N, 16000)")));

  const std::shared_ptr<Module> mobilenet = MobileNetV1Quarter(gen);
  EXPECT_EQ(mobilenet->NumParameters(), 213'586);
  const TinyMLPerfData vww = MakeVisualWakeWordsData(2, 1);
  EXPECT_EQ((*mobilenet)(vww.inputs).shape(), (Shape{2, 2}));
  ExpectTrainsEveryParameter(*mobilenet, vww.inputs, vww.labels);
  EXPECT_THAT(
      [&] {
        (*mobilenet)(Tensor::Zeros({1, 3, 96, 96}));
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("expected NHWC input (N, H, W, 3)")));
}

}  // namespace
}  // namespace tinytorch
