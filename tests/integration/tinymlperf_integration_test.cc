// TinyMLPerf with the four reference models on their data: image_classification with the
// committed ResNet-8 weights (trained by examples/fashion_resnet8.cpp) on Fashion-MNIST from
// Debian's dataset-fashion-mnist; keyword_spotting and visual_wake_words with the committed DS-CNN
// and MobileNet weights (trained by examples/tinymlperf_train.cpp on seed-11 synthetic data) on
// held-out seed-12 data; anomaly_detection with the FC autoencoder trained here on its synthetic
// data.
// The compliance report is recorded as a test property (ctest --output-junit keeps it) and, under
// run_all, written to $TT_VALIDATION_DIR/tinymlperf.md for the validation report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;

TinyMLPerfResult ImageClassification() {
  Generator gen(0);
  const std::shared_ptr<Module> model = ResNet8(gen);
  model->Load(TT_DATA_DIR "/tinymlperf/resnet8_fashion.tt");
  const TinyMLPerfData data = LoadFashionMnist32("t10k", 2000);
  return RunTinyMLPerf(TinyMLPerfSpecFor("image_classification"),
                       BenchmarkModel::Of("resnet8_fashion", model), data,
                       {.windows = 5, .min_queries_per_window = 200});
}

TinyMLPerfResult Synthetic(const std::string& benchmark, const std::string& name,
                           const std::shared_ptr<Module>& model, const std::string& weights,
                           const TinyMLPerfData& held_out) {
  model->Load(std::string(TT_DATA_DIR "/tinymlperf/") + weights);
  model->Eval();
  return RunTinyMLPerf(TinyMLPerfSpecFor(benchmark), BenchmarkModel::Of(name, model), held_out,
                       {.windows = 5, .min_queries_per_window = 200});
}

TinyMLPerfResult AnomalyDetection() {
  const AnomalyDetectionSplit data = MakeAnomalyDetectionData();
  return RunTinyMLPerf(TinyMLPerfSpecFor("anomaly_detection"),
                       BenchmarkModel::Of("fc_autoencoder", TrainAnomalyAutoencoder(data.train)),
                       data.eval, {.windows = 5, .min_queries_per_window = 200});
}

TEST(TinyMLPerfIntegrationTest, ReferenceModelsOnTheirData) {
  ASSERT_TRUE(std::filesystem::exists(kFashionMnistDir))
      << kFashionMnistDir << " is missing: scripts/setup-deps.sh installs dataset-fashion-mnist";
  const TinyMLPerfResult image = ImageClassification();
  ASSERT_TRUE(image.ok) << image.error;
  EXPECT_FALSE(image.synthetic_data);
  EXPECT_THAT(image.data_source, HasSubstr("Fashion-MNIST t10k (first 2000)"));
  EXPECT_GE(image.quality, 0.75);
  EXPECT_TRUE(image.compliant());
  const TinyMLPerfResult anomaly = AnomalyDetection();
  ASSERT_TRUE(anomaly.ok) << anomaly.error;
  EXPECT_TRUE(anomaly.synthetic_data);
  EXPECT_TRUE(anomaly.compliant());
  Generator gen(0);
  const TinyMLPerfResult keywords =
      Synthetic("keyword_spotting", "dscnn_keywords", DsCnn(gen), "dscnn_keywords.tt",
                MakeKeywordSpottingData(1000, 12));
  const TinyMLPerfResult wake_words =
      Synthetic("visual_wake_words", "mobilenet_vww", MobileNetV1Quarter(gen), "mobilenet_vww.tt",
                MakeVisualWakeWordsData(1000, 12));
  for (const TinyMLPerfResult* r : {&keywords, &wake_words}) {
    ASSERT_TRUE(r->ok) << r->benchmark << ": " << r->error;
    EXPECT_TRUE(r->synthetic_data) << r->benchmark;
    EXPECT_TRUE(r->compliant()) << r->benchmark << ": quality " << r->quality << ", p90 "
                                << r->latency.p90_ms << " ms";
  }
  const std::string report = TinyMLPerfMarkdown({keywords, wake_words, anomaly, image});
  RecordProperty("tinymlperf_report", report);
  std::printf("%s", report.c_str());
  // run_all includes the compliance table in the validation report.
  if (const char* dir = std::getenv("TT_VALIDATION_DIR"); dir != nullptr && *dir != '\0') {
    std::filesystem::create_directories(dir);
    WriteFileAtomically(std::string(dir) + "/tinymlperf.md", report);
  }
}

}  // namespace
}  // namespace tinytorch
