// Module 14: FLOP counts against hand formulas (Linear, Conv2d with stride and padding,
// attention, a whole GPT), memory from the allocator's counters, latency through the timer, the
// measured machine peaks and the per-layer roofline table.
#include "tinytorch/profiling.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tinytorch/attention.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/transformers.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(ProfilingTest, LinearAndConvFlopsFollowTheFormulas) {
  Generator gen(1);
  Linear linear(64, 10, gen);
  EXPECT_EQ(CountFlops(linear, Tensor::Zeros({32, 64})), 2 * 32 * 64 * 10 + 32 * 10);
  EXPECT_EQ(CountFlops(linear, Tensor::Zeros({4, 8, 64})),
            2 * 32 * 64 * 10 + 32 * 10);  // batch-aware
  Linear no_bias(64, 10, gen, false);
  EXPECT_EQ(CountFlops(no_bias, Tensor::Zeros({1, 64})), 2 * 64 * 10);
  // (H + 2p − k)/s + 1 = (9 + 2 − 3)/2 + 1 = 5 rows and (7 + 2 − 3)/2 + 1 = 4 columns.
  Conv2d conv(3, 8, 3, gen, /*stride=*/2, /*padding=*/1);
  const int64_t outputs = 2 * 8 * 5 * 4;
  EXPECT_EQ(CountFlops(conv, Tensor::Zeros({2, 3, 9, 7})), 2 * outputs * 3 * 9 + outputs);
  EXPECT_EQ(CountParameters(conv), 8 * 3 * 9 + 8);
  ReLULayer relu;
  EXPECT_EQ(CountFlops(relu, Tensor::Zeros({3, 7})), 21);
  MaxPool2d pool(2);
  EXPECT_EQ(CountFlops(pool, Tensor::Zeros({1, 2, 8, 8})), 2 * 4 * 4 * 4);
}

TEST(ProfilingTest, SequentialSumsItsLayersOnTheirOwnShapes) {
  Generator gen(2);
  Sequential cnn({std::make_shared<Conv2d>(1, 4, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                  std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
                  std::make_shared<Linear>(64, 10, gen)});
  const int64_t conv = 2 * (5 * 4 * 8 * 8) * 9 + 5 * 4 * 8 * 8, relu = 5 * 4 * 8 * 8;
  const int64_t pool = 5 * 4 * 4 * 4 * 4, fc = 2 * 5 * 64 * 10 + 5 * 10;
  EXPECT_EQ(CountFlops(cnn, Tensor::Zeros({5, 1, 8, 8})), conv + relu + pool + fc);
}

TEST(ProfilingTest, AttentionAndGptFlopsAreExact) {
  Generator gen(3);
  const int64_t b = 2, t = 10, e = 32, h = 4;
  MultiHeadAttention attn(e, h, gen, true);
  const int64_t projections = 4 * (2 * b * t * e * e + b * t * e);
  const int64_t attention = projections + 2 * b * t * t * e + b * h * t * t + 2 * b * t * t * e;
  EXPECT_EQ(CountFlops(attn, Tensor::Zeros({b, t, e})), attention);
  GPT gpt({.vocab_size = 50, .max_seq_len = 16, .embed_dim = e, .num_heads = h, .num_layers = 2},
          gen);
  const int64_t mlp =
      2 * b * t * e * 4 * e + b * t * 4 * e + b * t * 4 * e + 2 * b * t * 4 * e * e + b * t * e;
  const int64_t block = 2 * 8 * b * t * e + attention + 2 * b * t * e + mlp;
  const int64_t total = b * t * e + 2 * block + 8 * b * t * e + 2 * b * t * e * 50;
  EXPECT_EQ(CountFlops(gpt, Tensor::Zeros({b, t}, DType::kInt64)), total);
  EXPECT_EQ(CountFlops(gpt.block(0), Tensor::Zeros({b, t, e})), block);
}

class Unknown : public Module {
 public:
  Tensor Forward(const Tensor& x) override { return x; }
  std::string ToString() const override { return "Unknown()"; }
};

TEST(ProfilingTest, UnknownLayersAreNamedInTheError) {
  Unknown u;
  EXPECT_THAT([&] { CountFlops(u, Tensor::Zeros({1})); },
              ThrowsMessage<Error>(HasSubstr("CountFlops: no FLOP formula for Unknown()")));
  Generator gen(4);
  Linear linear(4, 4, gen);
  EXPECT_THAT(
      [&] {
        MeasureLatency(linear, Tensor::Zeros({1, 4}), 0);
      },
      ThrowsMessage<Error>(HasSubstr("max_seconds 0 must be positive")));
}

TEST(ProfilingTest, MemoryComesFromTheAllocator) {
  Generator gen(5);
  // 256 → 1024 → 256 on a batch of 64: the hidden activation alone is 64·1024·4 = 256 KiB.
  Sequential mlp({std::make_shared<Linear>(256, 1024, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(1024, 256, gen)});
  const MemoryProfile m = MeasureMemory(mlp, Tensor::Zeros({64, 256}));
  EXPECT_EQ(m.parameter_bytes, (256 * 1024 * 2 + 1024 + 256) * 4);
  EXPECT_EQ(m.output_bytes, 64 * 256 * 4);
  EXPECT_GE(m.peak_activation_bytes, 64 * 1024 * 4 + 64 * 256 * 4);
  EXPECT_LE(m.peak_activation_bytes, 4 * (64 * 1024 * 4) + 64 * 256 * 4);
}

TEST(ProfilingTest, LatencyAndRooflineTableAreMeasured) {
  Generator gen(6);
  Sequential mlp({std::make_shared<Linear>(128, 256, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(256, 10, gen)});
  const Tensor x = Tensor::RandN({64, 128}, gen);
  const LatencyProfile l = MeasureLatency(mlp, x, 0.2);
  EXPECT_GT(l.median_ms, 0);
  EXPECT_LE(l.ci_low_ms, l.median_ms);
  EXPECT_GE(l.ci_high_ms, l.median_ms);
  const MachinePeaks& peaks = MeasuredMachinePeaks();
  EXPECT_GT(peaks.gflops, 1);
  EXPECT_GT(peaks.bandwidth_gbps, 0.5);
  EXPECT_EQ(&peaks, &MeasuredMachinePeaks());  // measured once, cached
  const ForwardProfile p = ProfileForwardPass(mlp, x, 0.05);
  ASSERT_EQ(p.layers.size(), 3u);
  EXPECT_EQ(p.layers[1].bound, "memory");  // ReLU: 1 FLOP per 8 bytes
  EXPECT_EQ(p.layers[0].flops, 2 * 64 * 128 * 256 + 64 * 256);
  EXPECT_EQ(p.total.flops, p.layers[0].flops + p.layers[1].flops + p.layers[2].flops);
  for (const LayerProfile& layer : p.layers) {
    EXPECT_GT(layer.median_ms, 0) << layer.name;
    EXPECT_GT(layer.roofline_fraction, 0) << layer.name;
  }
  const std::string md = p.ToMarkdown();
  EXPECT_THAT(md, HasSubstr("| 0 | Linear(in_features=128"));
  EXPECT_THAT(md, HasSubstr("Machine peaks (measured)"));
  ::testing::Test::RecordProperty("peak_gflops", std::to_string(peaks.gflops));
  ::testing::Test::RecordProperty("bandwidth_gbps", std::to_string(peaks.bandwidth_gbps));
}

}  // namespace
}  // namespace tinytorch
