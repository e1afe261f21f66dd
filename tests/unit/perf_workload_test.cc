// WorkloadGenerator: determinism, self-description, exact costs, value distributions and
// learnable structure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "perf_framework/statistics.h"
#include "perf_framework/workload.h"

namespace perf {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::vector<double> AsDoubles(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST(PerfWorkloadTest, SameSeedSameDataRegardlessOfOrder) {
  const WorkloadGenerator a(42), b(42), c(43);
  const Workload first = a.MatMul(8, 8, 8);
  b.Conv2d(1, 3, 8, 8, 4, 3);  // generating something else first must not shift the stream
  EXPECT_EQ(b.MatMul(8, 8, 8).tensors, first.tensors);
  EXPECT_NE(c.MatMul(8, 8, 8).tensors, first.tensors);
}

TEST(PerfWorkloadTest, WorkloadsDescribeThemselvesAndKnowTheirCost) {
  const WorkloadGenerator g(42);
  const Workload mm = g.MatMul(256, 128, 64);
  EXPECT_EQ(mm.description, "matmul m=256 n=128 k=64 dist=normal seed=42");
  EXPECT_EQ(mm.flops, 2.0 * 256 * 128 * 64);
  EXPECT_EQ(mm.bytes, 4.0 * (256 * 64 + 64 * 128 + 256 * 128));
  EXPECT_EQ(mm.tensors[0].size(), 256u * 64);
  // Conv: (32 + 2·1 - 3)/2 + 1 = 16 output rows and columns.
  const Workload conv = g.Conv2d(2, 3, 32, 32, 8, 3, 2, 1);
  EXPECT_EQ(conv.flops, 2.0 * 2 * 8 * 16 * 16 * 3 * 3 * 3);
  EXPECT_EQ(conv.bytes, 4.0 * (2 * 3 * 32 * 32 + 8 * 3 * 3 * 3 + 2 * 8 * 16 * 16));
  EXPECT_NEAR(conv.arithmetic_intensity(), conv.flops / conv.bytes, 1e-12);
  EXPECT_THAT([&] { g.Conv2d(1, 1, 2, 2, 1, 5); },
              ThrowsMessage<Error>(HasSubstr("kernel 5 is larger than the padded input 2x2")));
  EXPECT_THROW(g.MatMul(0, 1, 1), Error);
}

TEST(PerfWorkloadTest, DistributionsHaveTheirShapes) {
  const WorkloadGenerator g(7);
  const auto normal = AsDoubles(g.Elementwise(100000, Distribution::kNormal).tensors[0]);
  EXPECT_NEAR(Mean(normal), 0, 0.02);
  EXPECT_NEAR(StdDev(normal), 1, 0.02);
  const auto uniform = AsDoubles(g.Elementwise(100000, Distribution::kUniform).tensors[0]);
  EXPECT_GE(Percentile(uniform, 0), -1);
  EXPECT_LT(Percentile(uniform, 100), 1);
  EXPECT_NEAR(StdDev(uniform), 1 / std::sqrt(3.0), 0.01);
  const auto relu = AsDoubles(g.Elementwise(100000, Distribution::kRelu).tensors[0]);
  EXPECT_NEAR(Median(relu), 0, 1e-9);
  EXPECT_EQ(Percentile(relu, 0), 0);
  // Student t(3) has far heavier tails than a normal: |x| > 4 is ~2.8% vs 0.006%.
  const auto heavy = AsDoubles(g.Elementwise(100000, Distribution::kHeavyTailed).tensors[0]);
  int beyond = 0;
  for (double v : heavy) beyond += std::fabs(v) > 4;
  EXPECT_NEAR(beyond / 100000.0, 0.028, 0.004);
}

TEST(PerfWorkloadTest, TokensFollowZipf) {
  const Workload t = WorkloadGenerator(3).TokenSequences(64, 512, 1000);
  std::map<int64_t, int> counts;
  for (int64_t id : t.labels) {
    ASSERT_GE(id, 0);
    ASSERT_LT(id, 1000);
    ++counts[id];
  }
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_NEAR(static_cast<double>(counts[0]) / counts[1], std::pow(2.0, 1.1), 0.15);
}

// Nearest-centroid accuracy: the structure is learnable when separated, chance when not.
double CentroidAccuracy(const Workload& w, int64_t features, int64_t classes) {
  std::vector<std::vector<double>> mean(classes, std::vector<double>(features, 0));
  std::vector<int> count(classes, 0);
  const auto& x = w.tensors[0];
  const size_t half = w.labels.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    ++count[w.labels[i]];
    for (int64_t f = 0; f < features; ++f) mean[w.labels[i]][f] += x[i * features + f];
  }
  int correct = 0;
  for (size_t i = half; i < w.labels.size(); ++i) {
    int64_t best = 0;
    double best_d = INFINITY;
    for (int64_t c = 0; c < classes; ++c) {
      double d = 0;
      for (int64_t f = 0; f < features; ++f) {
        const double diff = x[i * features + f] - mean[c][f] / count[c];
        d += diff * diff;
      }
      if (d < best_d) best_d = d, best = c;
    }
    correct += best == w.labels[i];
  }
  return correct / static_cast<double>(w.labels.size() - half);
}

TEST(PerfWorkloadTest, ClassificationDataHasLearnableStructure) {
  const WorkloadGenerator g(5);
  EXPECT_GT(CentroidAccuracy(g.Classification(2000, 20, 4, 4.0), 20, 4), 0.9);
  EXPECT_NEAR(CentroidAccuracy(g.Classification(2000, 20, 4, 0.0), 20, 4), 0.25, 0.06);
}

}  // namespace
}  // namespace perf
