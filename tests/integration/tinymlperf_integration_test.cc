// TinyMLPerf with the reference models on their data: image_classification with the committed
// ResNet-8 weights (trained by examples/fashion_resnet8.cpp) on Fashion-MNIST from Debian's
// dataset-fashion-mnist, and anomaly_detection with the FC autoencoder on its synthetic data.
// The compliance report is recorded as a test property (ctest --output-junit keeps it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  const std::string report = TinyMLPerfMarkdown({anomaly, image});
  RecordProperty("tinymlperf_report", report);
  std::printf("%s", report.c_str());
}

}  // namespace
}  // namespace tinytorch
