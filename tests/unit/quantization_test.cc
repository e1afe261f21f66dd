// Module 15: int8 quantization by hand-checkable numbers, calibration, the integer layers against
// float arithmetic on the same quantized values (every SIMD level bit-identical), and the digits
// models: ~4× smaller weights within a point of fp32 accuracy.
#include "tinytorch/quantization.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/acceleration_testing.h"
#include "support/digits_models.h"
#include "support/tensor_testing.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/compression.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

using testing::SameBits;

std::vector<int64_t> Int8Values(const QuantizedTensor& q) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < q.values.numel(); ++i) v.push_back(q.values.data<int8_t>()[i]);
  return v;
}

TEST(QuantizationTest, SymmetricPerTensorByHand) {
  const QuantizedTensor q =
      QuantizeInt8(Tensor::FromData(std::vector<float>{-1.f, 0.f, 0.5f, 1.f, -0.25f}, {5}));
  EXPECT_FLOAT_EQ(q.scales.item(), 1.f / 127.f);
  EXPECT_FALSE(q.zero_points.defined());
  // 0.5·127 = 63.5 and −0.25·127 = −31.75 round to nearest (ties to even).
  EXPECT_THAT(Int8Values(q), ::testing::ElementsAre(-127, 0, 64, 127, -32));
  EXPECT_EQ(q.bytes(), 5 + 4);  // five int8 values and one float scale
}

TEST(QuantizationTest, AsymmetricMapsTheRangeOntoAllCodesAndZeroExactly) {
  const QuantizedTensor q =
      QuantizeInt8(Tensor::FromData(std::vector<float>{0.f, 1.f, 2.f, 3.f}, {4}),
                   {.scheme = QuantScheme::kAsymmetric});
  EXPECT_FLOAT_EQ(q.scales.item(), 3.f / 255.f);
  EXPECT_EQ(q.zero_points.data<int32_t>()[0], -128);
  EXPECT_THAT(Int8Values(q), ::testing::ElementsAre(-128, -43, 42, 127));
  EXPECT_EQ(q.bytes(), 4 + 4 + 4);
  // A range not containing 0 is widened to contain it, so 0.0 round-trips exactly.
  const Tensor x = Tensor::FromData(std::vector<float>{2.f, 3.f, 5.f}, {3});
  const QuantizedTensor p = QuantizeInt8(x, {.scheme = QuantScheme::kAsymmetric});
  EXPECT_EQ(
      DequantizeInt8(QuantizeInt8(Tensor::Zeros({1}), {.scheme = QuantScheme::kAsymmetric})).item(),
      0.f);
  EXPECT_LE(MaxAbsDiff(DequantizeInt8(p), x), p.scales.item() / 2 + 1e-6);
}

TEST(QuantizationTest, RoundTripErrorIsAtMostHalfAStep) {
  Generator gen(1);
  const Tensor x = Tensor::RandN({64, 33}, gen, 0.5f, 2.f);
  for (QuantScheme scheme : {QuantScheme::kSymmetric, QuantScheme::kAsymmetric}) {
    const QuantizedTensor q = QuantizeInt8(x, {.scheme = scheme});
    EXPECT_LE(MaxAbsDiff(DequantizeInt8(q), x), q.scales.item() * 0.5 * (1 + 1e-5));
  }
}

TEST(QuantizationTest, PerChannelScalesFollowEachChannel) {
  // Channel 1 is 1000× smaller than channel 0: one shared scale rounds it all to zero.
  Generator gen(2);
  Tensor x = Tensor::RandN({2, 50}, gen);
  x.Select(0, 1) *= 0.001f;
  const QuantizedTensor per_tensor = QuantizeInt8(x);
  const QuantizedTensor per_channel = QuantizeInt8(x, {.per_channel = true, .channel_axis = 0});
  ASSERT_EQ(per_channel.scales.numel(), 2);
  EXPECT_EQ(per_channel.bytes(), 100 + 2 * 4);
  const Tensor small = x.Select(0, 1);
  const double err_tensor = MaxAbsDiff(DequantizeInt8(per_tensor).Select(0, 1), small);
  const double err_channel = MaxAbsDiff(DequantizeInt8(per_channel).Select(0, 1), small);
  EXPECT_LT(err_channel, err_tensor / 100);
  // A channel axis in the middle: (3, 4, 5) along axis 1.
  const Tensor y = Tensor::RandN({3, 4, 5}, gen);
  const QuantizedTensor qy =
      QuantizeInt8(y, {.scheme = QuantScheme::kAsymmetric, .per_channel = true, .channel_axis = 1});
  EXPECT_EQ(qy.scales.numel(), 4);
  EXPECT_LE(MaxAbsDiff(DequantizeInt8(qy), y), qy.scales.Max().item() * 0.5 * (1 + 1e-5));
}

TEST(QuantizationTest, PercentileCalibrationClipsOutliers) {
  Generator gen(3);
  Tensor x = Tensor::RandN({10000}, gen);
  x.at({0}) = 1000.f;
  const QuantRange minmax = CalibrateRange(x, Calibration::kMinMax);
  const QuantRange pct = CalibrateRange(x, Calibration::kPercentile, 99.9);
  EXPECT_FLOAT_EQ(minmax.max, 1000.f);
  EXPECT_GT(pct.max, 2.5f);  // N(0,1)'s 99.9th percentile is 3.09
  EXPECT_LT(pct.max, 3.7f);
  EXPECT_LT(pct.min, -2.5f);
  const QuantizedTensor q =
      QuantizeInt8(x, {.calibration = Calibration::kPercentile, .percentile = 99.9});
  EXPECT_LT(q.scales.item(), 4.f / 127.f);
  EXPECT_EQ(q.values.data<int8_t>()[0], 127);  // the outlier saturates
}

TEST(QuantizationTest, BadInputThrowsWithTheReason) {
  EXPECT_THAT(
      [] {
        QuantizeInt8(Tensor::Zeros({0, 3}));
      },
      ThrowsMessage<Error>(
          HasSubstr("QuantizeInt8: cannot quantize an empty tensor of shape [0, 3]")));
  EXPECT_THAT(
      [] {
        QuantizeInt8(Tensor::FromData(
            std::vector<float>{1.f, std::numeric_limits<float>::quiet_NaN()}, {2}));
      },
      ThrowsMessage<Error>(HasSubstr("non-finite value (nan) at flat index 1")));
  EXPECT_THAT([] { QuantizeInt8(Tensor::Ones({2}), {.per_channel = true, .channel_axis = 3}); },
              ThrowsMessage<Error>(HasSubstr("QuantizeInt8")));
  EXPECT_THAT([] { CalibrateRange(Tensor::Ones({2}), Calibration::kPercentile, 40); },
              ThrowsMessage<Error>(HasSubstr("percentile 40 must be in (50, 100]")));
  EXPECT_THAT([] { QuantizeInt8(Tensor::Zeros({2}, DType::kInt64)); },
              ThrowsMessage<Error>(HasSubstr("QuantizeInt8")));
  // An all-zero tensor is valid: scale 1, every value at the zero point.
  EXPECT_EQ(QuantizeInt8(Tensor::Zeros({3})).scales.item(), 1.f);
}

// What the integer path must equal: float arithmetic on the dequantized input and weights.
Tensor FakeQuantizedInput(const Tensor& x) {
  const float lo = std::min(0.f, x.Min().item()), hi = std::max(0.f, x.Max().item());
  const float scale = (hi - lo) / 255.f;
  const float zp = std::clamp(std::nearbyint(-lo / scale), 0.f, 255.f);
  const Tensor q = Clamp(Tensor::FromData(x.ToVector(), x.shape()) / scale, -1e9f, 1e9f);
  std::vector<float> v = q.ToVector();
  for (float& e : v) e = (std::clamp(std::nearbyint(e) + zp, 0.f, 255.f) - zp) * scale;
  return Tensor::FromData(v, x.shape());
}

// A range of subnormal width has a scale of 0 or one whose reciprocal is inf: 0 · inf is a NaN
// code, which the scalar path converted with undefined behaviour and the vector paths clamped to
// 255. Such a range is taken as zero-wide, the same on every path.
TEST(QuantizationTest, SubnormalRangesQuantizeAsZeroWideOnEveryPath) {
  const Tensor w = Tensor::FromData(std::vector<float>{0.f, 1e-44f, -1e-44f, 0.f}, {2, 2});
  for (QuantOptions options : {QuantOptions{}, QuantOptions{.scheme = QuantScheme::kAsymmetric}}) {
    const Tensor back = DequantizeInt8(QuantizeInt8(w, options));
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(back.data<float>()[i], 0.f) << i;
  }
  Generator gen(5);
  Linear linear(40, 3, gen);
  QuantizedLinear q(linear, QuantOptions{});
  Tensor x = Tensor::Zeros({2, 40});
  x.data<float>()[7] = 1e-37f;  // the range [0, 1e-37]: a scale of 3.9e-40
  Tensor scalar;
  {
    const testing::ScopedSimdLevel level(SimdLevel::kScalar);
    scalar = q(x);
  }
  for (SimdLevel level : testing::SupportedSimdLevels()) {
    const testing::ScopedSimdLevel scoped(level);
    EXPECT_TENSOR_CLOSE(q(x), scalar, 0, 0) << SimdLevelName(level);
  }
  EXPECT_TENSOR_CLOSE(scalar, linear.bias().Detach().Unsqueeze(0).Expand({2, 3}), 1e-6, 1e-6);
}

// A QuantizedTensor may be built by hand or loaded: its parts are checked against each other.
TEST(QuantizationTest, DequantizeChecksAHandBuiltTensor) {
  QuantizedTensor q =
      QuantizeInt8(Tensor::Ones({2, 3}), QuantOptions{.per_channel = true, .channel_axis = 1});
  EXPECT_EQ(DequantizeInt8(q).shape(), (Shape{2, 3}));
  QuantizedTensor negative = q;
  negative.channel_axis = -1;
  EXPECT_THAT([&] { DequantizeInt8(negative); },
              ThrowsMessage<Error>(HasSubstr("3 scales do not match axis -1 of values [2, 3]")));
  QuantizedTensor short_zp = q;
  short_zp.zero_points = Tensor::Zeros({2}, DType::kInt32);
  EXPECT_THAT([&] { DequantizeInt8(short_zp); },
              ThrowsMessage<Error>(HasSubstr("zero_points must be int32, one per scale (3)")));
  QuantizedTensor empty = q;
  empty.values = Tensor::Zeros({0, 3}, DType::kInt8);
  EXPECT_EQ(DequantizeInt8(empty).shape(), (Shape{0, 3}));
}

TEST(QuantizationTest, QuantizedLinearEqualsFloatMathOnQuantizedValues) {
  Generator gen(4);
  Linear linear(70, 37, gen);
  const Tensor x = Tensor::RandN({3, 5, 70}, gen, 0.3f, 1.f);
  for (QuantOptions options :
       {QuantOptions{}, QuantOptions{.scheme = QuantScheme::kAsymmetric},
        QuantOptions{.per_channel = true},
        QuantOptions{.scheme = QuantScheme::kAsymmetric, .per_channel = true}}) {
    QuantizedLinear q(linear, options);
    const Tensor w = DequantizeInt8(q.weight()).Transpose(0, 1);  // back to (in, out)
    const Tensor expected = MatMul(FakeQuantizedInput(x), w) + linear.bias().Detach();
    const Tensor y = q(x);
    EXPECT_EQ(y.shape(), (Shape{3, 5, 37}));
    EXPECT_TENSOR_CLOSE(y, expected, 1e-4, 1e-4);
    // Integer sums are exact, so every SIMD level gives the same bits.
    for (SimdLevel level : testing::SupportedSimdLevels()) {
      const testing::ScopedSimdLevel scoped(level);
      EXPECT_TENSOR_CLOSE(q(x), y, 0, 0) << SimdLevelName(level);
      // Batch 1 and widths that leave partial tiles everywhere.
      const Tensor one = x.Select(0, 0).Select(0, 0).Unsqueeze(0);
      EXPECT_TENSOR_CLOSE(q(one), MatMul(FakeQuantizedInput(one), w) + linear.bias().Detach(), 1e-4,
                          1e-4);
    }
  }
  QuantizedLinear q(linear);
  EXPECT_THAT(
      [&] {
        q(Tensor::Zeros({2, 69}));
      },
      ThrowsMessage<Error>(HasSubstr("QuantizedLinear: input [2, 69] must end in in_features=70")));
  EXPECT_EQ(q.WeightBytes(), 70 * 37 + 4);
  EXPECT_EQ(q.StateBytes(), 70 * 37 + 4 + 37 * 4 + 37 * 4);  // + bias and row sums
}

TEST(QuantizationTest, Int8GemmIsExactOnEveryLevelAndShape) {
  // Shapes that exercise the batch-1 dot kernel, the packed batch kernel (16-row strips, 8-column
  // tiles) and every ragged edge, including k not a multiple of 4.
  Generator gen(11);
  for (const auto& [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {3, 9, 5}, {17, 9, 5}, {45, 70, 131}, {64, 130, 256}, {33, 7, 1}}) {
    std::vector<uint8_t> a(static_cast<size_t>(m * k));
    std::vector<int8_t> w(static_cast<size_t>(n * k));
    for (auto& v : a) v = static_cast<uint8_t>(gen.NextU64());
    for (auto& v : w) v = static_cast<int8_t>(gen.NextU64());
    a[0] = 255;
    w[0] = -128;
    std::vector<int32_t> expected(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        int32_t sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += int32_t{a[i * k + p]} * int32_t{w[j * k + p]};
        expected[i * n + j] = sum;
      }
    }
    for (SimdLevel level : testing::SupportedSimdLevels()) {
      const testing::ScopedSimdLevel scoped(level);
      std::vector<int32_t> c(static_cast<size_t>(m * n), -1);
      GemmInt8(c.data(), a.data(), w.data(), m, n, k);
      EXPECT_EQ(c, expected) << SimdLevelName(level) << " m=" << m << " n=" << n << " k=" << k;
    }
  }
  EXPECT_THAT([] { GemmInt8(nullptr, nullptr, nullptr, 1, 1, 70000); },
              ThrowsMessage<Error>(HasSubstr("GemmInt8: sizes m=1, n=1, k=70000")));
}

TEST(QuantizationTest, QuantizedLinearIsBitIdenticalOnEveryLevel) {
  // The scalar level runs the oracle (the int8 GEMM, then the correction in int64 and the
  // rescale); the AVX2 and AVX-512 levels fuse the correction into the GEMM's registers. Every
  // output must be the same float on every level: ragged rows (tiles of 4, tasks of 32),
  // channels (halves of 8, blocks of 16, tiles of 64; one block alone, 10 or 16 channels, takes
  // a task's rows four at a time), k not a multiple of 4, both weight schemes, with and without
  // bias, a product large enough to be threaded (281 · 203 · 150 is past 2^23 multiply-adds), and
  // a k past the fused kernels' int32 range, which takes the unfused path.
  Generator gen(12);
  const std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes = {
      {1, 1, 1},   {1, 64, 128},   {3, 5, 17},      {5, 131, 70}, {33, 64, 10},
      {37, 9, 16}, {70, 128, 130}, {281, 203, 150}, {2, 17000, 3}};
  for (const auto& [rows, in, out] : shapes) {
    for (const bool bias : {true, false}) {
      Linear linear(in, out, gen, bias);
      const Tensor x = Tensor::RandN({rows, in}, gen);
      for (const QuantScheme scheme : {QuantScheme::kSymmetric, QuantScheme::kAsymmetric}) {
        QuantizedLinear q(linear, {.scheme = scheme, .per_channel = true});
        const Tensor expected = [&] {
          const testing::ScopedSimdLevel scalar(SimdLevel::kScalar);
          return q(x);
        }();
        for (SimdLevel level : testing::SupportedSimdLevels()) {
          const testing::ScopedSimdLevel scoped(level);
          const Tensor y = q(x);
          ASSERT_TRUE(SameBits(y, expected))
              << SimdLevelName(level) << " rows=" << rows << " in=" << in << " out=" << out
              << " bias=" << bias << " asymmetric=" << (scheme == QuantScheme::kAsymmetric);
        }
      }
    }
  }
}

TEST(QuantizationTest, FusedReLUGivesTheBitsOfTheLayerThenReLU) {
  // The fused ReLU runs in the epilogue of each kernel (the vector tiles' registers, the scalar
  // oracle's loop), which the convolution shares; each must give Relu(layer(x)) exactly, zeros as
  // +0, on the shapes of the bit-identity test above.
  Generator gen(21);
  for (const auto& [rows, in, out] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {3, 5, 17}, {33, 64, 10}, {70, 128, 130}, {2, 17000, 3}}) {
    Linear linear(in, out, gen);
    const Tensor x = Tensor::RandN({rows, in}, gen);
    for (const QuantScheme scheme : {QuantScheme::kSymmetric, QuantScheme::kAsymmetric}) {
      QuantizedLinear plain(linear, {.scheme = scheme}), fused(linear, {.scheme = scheme});
      fused.FuseReLU();
      for (SimdLevel level : testing::SupportedSimdLevels()) {
        const testing::ScopedSimdLevel scoped(level);
        ASSERT_TRUE(SameBits(fused(x), Relu(plain(x))))
            << SimdLevelName(level) << " rows=" << rows << " in=" << in << " out=" << out;
      }
    }
  }
  Conv2d conv(3, 5, 3, gen, /*stride=*/2, /*padding=*/1);
  const Tensor images = Tensor::RandN({2, 3, 9, 7}, gen);
  QuantizedConv2d plain(conv), fused(conv);
  fused.FuseReLU();
  EXPECT_TRUE(SameBits(fused(images), Relu(plain(images))));
  EXPECT_THAT(fused.ToString(), HasSubstr("ReLU fused"));
}

TEST(QuantizationTest, QuantizeModelFusesEachReLUAfterAQuantizedLayer) {
  // Linear → ReLU pairs fuse and the ReLU's place becomes an Identity (the later layers keep their
  // positions, so their state names); a ReLU after anything else stays; the model computes the
  // same bits as the quantized layers and ReLUs run one by one.
  Generator gen(22);
  Sequential model({std::make_shared<Linear>(12, 20, gen), std::make_shared<ReLULayer>(),
                    std::make_shared<Linear>(20, 8, gen), std::make_shared<ReLULayer>(),
                    std::make_shared<ReLULayer>(), std::make_shared<Linear>(8, 3, gen)});
  const Tensor calibration = Tensor::RandN({64, 12}, gen), x = Tensor::RandN({5, 12}, gen);
  const std::shared_ptr<Sequential> q = QuantizeModel(model, {}, calibration);
  ASSERT_EQ(q->size(), model.size());
  EXPECT_TRUE(dynamic_cast<QuantizedLayer&>((*q)[0]).fused_relu());
  EXPECT_EQ((*q)[1].ToString(), "Identity()");
  EXPECT_TRUE(dynamic_cast<QuantizedLayer&>((*q)[2]).fused_relu());
  EXPECT_EQ((*q)[3].ToString(), "Identity()");
  EXPECT_EQ((*q)[4].ToString(), "ReLU()");
  EXPECT_FALSE(dynamic_cast<QuantizedLayer&>((*q)[5]).fused_relu());
  EXPECT_THAT(q->GetStateDict(), ::testing::Contains(::testing::Key("5.weight")));

  // The unfused twin: the same Linear layers with ReLUs of a subclass, which QuantizeModel leaves
  // alone (it fuses only the exact ReLULayer: a subclass may do more), calibrated alike.
  struct UnfusedReLU : ReLULayer {};
  const auto& l = model.layers();
  Sequential twin({l[0], std::make_shared<UnfusedReLU>(), l[2], std::make_shared<UnfusedReLU>(),
                   l[4], l[5]});
  const std::shared_ptr<Sequential> unfused = QuantizeModel(twin, {}, calibration);
  EXPECT_FALSE(dynamic_cast<QuantizedLayer&>((*unfused)[0]).fused_relu());
  const Tensor expected = (*unfused)(x);
  EXPECT_TRUE(SameBits((*q)(x), expected));
}

TEST(QuantizationTest, FusedMaxPoolGivesTheBitsOfTheLayerThenMaxPool) {
  // The fused pool folds windows of the product's channels-last planes, channels as the vector
  // lanes: out channels of 1, 5, 16, 17 and 33 take masked vectors (AVX-512) and the scalar tail
  // (AVX2); windows with and without padding, overlapping (stride 1) and leaving a ragged edge
  // (7 × 5 planes), must give MaxPool's bits after the layer, on every level, with a fused ReLU's
  // ties at +0 and a NaN bias's channel as well.
  Generator gen(24);
  for (const int64_t out : {1, 5, 16, 17, 33}) {
    Conv2d conv(3, out, 3, gen, /*stride=*/1, /*padding=*/1);
    conv.bias().data<float>()[out / 2] = std::numeric_limits<float>::quiet_NaN();
    const Tensor images = Tensor::RandN({3, 3, 7, 5}, gen);
    for (const auto& [kernel, stride, padding] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {2, 0, 0}, {2, 1, 0}, {3, 2, 1}, {3, 1, 0}, {4, 3, 2}, {5, 5, 0}}) {
      for (const bool relu : {false, true}) {
        const MaxPool2d pool(kernel, stride, padding);
        QuantizedConv2d plain(conv), fused(conv);
        if (relu) {
          plain.FuseReLU();
          fused.FuseReLU();
        }
        fused.FuseMaxPool(pool);
        for (SimdLevel level : testing::SupportedSimdLevels()) {
          const testing::ScopedSimdLevel scoped(level);
          ASSERT_TRUE(SameBits(fused(images), MaxPool(plain(images), kernel, stride, padding)))
              << SimdLevelName(level) << " out=" << out << " " << pool.ToString()
              << " padding=" << padding << " relu=" << relu;
        }
      }
    }
  }
  Conv2d conv(2, 4, 3, gen);
  QuantizedConv2d fused(conv);
  fused.FuseMaxPool(MaxPool2d(2));
  EXPECT_THAT(fused.ToString(), HasSubstr("MaxPool2d(kernel=2, stride=2) fused"));
  // A pool larger than the layer's output fails as MaxPool would, naming the fused layer.
  EXPECT_THAT(
      [&] {
        fused(Tensor::RandN({1, 2, 3, 3}, gen));
      },
      ThrowsMessage<Error>(AllOf(HasSubstr("QuantizedConv2d's fused MaxPool2d"),
                                 HasSubstr("is larger than the padded input 1x1"))));
}

TEST(QuantizationTest, QuantizeModelFusesAMaxPoolAfterAConvolutionOrItsReLU) {
  // Conv → ReLU → MaxPool and Conv → MaxPool fuse into the convolution, an Identity in each fused
  // layer's place; a pool after anything else, or of a subclass, stays. The model computes the
  // bits of its unfused twin (the same layers, the pools of a subclass), calibrated alike.
  Generator gen(25);
  Sequential model({std::make_shared<Conv2d>(2, 8, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                    std::make_shared<MaxPool2d>(2), std::make_shared<Conv2d>(8, 16, 3, gen, 1, 1),
                    std::make_shared<MaxPool2d>(3, 1, 1), std::make_shared<ReLULayer>(),
                    std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
                    std::make_shared<Linear>(16 * 2 * 2, 3, gen)});
  const Tensor calibration = Tensor::RandN({16, 2, 8, 8}, gen);
  const Tensor x = Tensor::RandN({5, 2, 8, 8}, gen);
  const std::shared_ptr<Sequential> q = QuantizeModel(model, {}, calibration);
  ASSERT_EQ(q->size(), model.size());
  const auto& first = dynamic_cast<QuantizedConv2d&>((*q)[0]);
  EXPECT_TRUE(first.fused_relu() && first.fused_pool());
  EXPECT_EQ((*q)[1].ToString(), "Identity()");
  EXPECT_EQ((*q)[2].ToString(), "Identity()");
  const auto& second = dynamic_cast<QuantizedConv2d&>((*q)[3]);
  EXPECT_TRUE(!second.fused_relu() && second.fused_pool());
  EXPECT_EQ((*q)[4].ToString(), "Identity()");
  EXPECT_EQ((*q)[5].ToString(), "ReLU()");
  EXPECT_EQ((*q)[6].ToString(), "MaxPool2d(kernel=2, stride=2)");

  struct UnfusedMaxPool : MaxPool2d {
    using MaxPool2d::MaxPool2d;
  };
  const auto& l = model.layers();
  Sequential twin({l[0], l[1], std::make_shared<UnfusedMaxPool>(2), l[3],
                   std::make_shared<UnfusedMaxPool>(3, 1, 1), l[5], l[6], l[7], l[8]});
  const std::shared_ptr<Sequential> unfused = QuantizeModel(twin, {}, calibration);
  EXPECT_FALSE(dynamic_cast<QuantizedConv2d&>((*unfused)[0]).fused_pool());
  EXPECT_TRUE(SameBits((*q)(x), (*unfused)(x)));
}

TEST(QuantizationTest, LoadedQuantizedLayersComputeWithTheLoadedWeights) {
  // The vector kernel reads weights rearranged at construction; loading a state must rearrange
  // them again, or the layer would keep computing with the old weights.
  Generator gen(13);
  Linear a(40, 24, gen), b(40, 24, gen);
  QuantizedLinear qa(a), qb(b);
  const Tensor x = Tensor::RandN({6, 40}, gen);
  qb.LoadState(qa.GetStateDict());
  EXPECT_TRUE(AllClose(qb(x), qa(x), 0.f, 0.f));
  Sequential nested({std::make_shared<QuantizedLinear>(b)});
  Sequential source({std::make_shared<QuantizedLinear>(a)});
  nested.LoadState(source.GetStateDict());
  EXPECT_TRUE(AllClose(nested(x), qa(x), 0.f, 0.f));
  Conv2d ca(3, 20, 3, gen, 1, 1), cb(3, 20, 3, gen, 1, 1);
  QuantizedConv2d qca(ca), qcb(cb);
  const Tensor images = Tensor::RandN({2, 3, 6, 5}, gen);
  qcb.LoadState(qca.GetStateDict());
  EXPECT_TRUE(SameBits(qcb(images), qca(images)));
}

TEST(QuantizationTest, QuantizedConv2dIsBitIdenticalOnEveryLevelAndInEveryBatch) {
  // The convolution runs QuantizedLinear's product on chunks of images (about 1 MiB of codes per
  // chunk: 8 images of 16 × 30 × 30 here, so 9 images take two chunks, one of them ragged). Each
  // image's output must be the bits it gets alone, on every level, for both weight schemes, a
  // static range and a fused ReLU; the scalar level is the oracle (GEMM, then the int64 epilogue,
  // and a scalar transpose into NCHW: 900 positions and 20 channels leave ragged 8 × 8 blocks).
  Generator gen(23);
  Conv2d conv(16, 20, 3, gen, /*stride=*/1, /*padding=*/1);
  const Tensor images = Tensor::RandN({9, 16, 30, 30}, gen);
  for (const QuantScheme scheme : {QuantScheme::kSymmetric, QuantScheme::kAsymmetric}) {
    for (const bool fixed : {false, true}) {
      QuantizedConv2d q(conv, {.scheme = scheme, .per_channel = true});
      if (fixed) {
        q.SetActivationRange({-3.f, 3.5f});
        q.FuseReLU();
      }
      const Tensor expected = [&] {
        const testing::ScopedSimdLevel scalar(SimdLevel::kScalar);
        return q(images);
      }();
      for (SimdLevel level : testing::SupportedSimdLevels()) {
        const testing::ScopedSimdLevel scoped(level);
        SCOPED_TRACE(::testing::Message() << SimdLevelName(level)
                                          << " asymmetric=" << (scheme == QuantScheme::kAsymmetric)
                                          << " static=" << fixed);
        ASSERT_TRUE(SameBits(q(images), expected));
        if (fixed) {  // a dynamic range depends on the batch; a static one must not
          for (const int64_t i : {0, 6, 7, 8}) {
            ASSERT_TRUE(SameBits(q(images.Slice(0, i, i + 1)), expected.Slice(0, i, i + 1)))
                << "image " << i;
          }
        }
      }
    }
  }
}

TEST(QuantizationTest, ExtremeCodesAccumulateExactly) {
  // Every input at the top of its range against weights of −1 and 1: 255 × 127 summed over a
  // long k — the int32 sums must be exact on every level.
  Generator gen(5);
  Linear linear(1000, 9, gen, false);
  linear.weight().Detach().Fill(-1.f);
  linear.weight().Detach().Select(1, 3).Fill(1.f);
  QuantizedLinear q(linear);
  const Tensor x = Tensor::Full({2, 1000}, 2.f);
  for (SimdLevel level : testing::SupportedSimdLevels()) {
    const testing::ScopedSimdLevel scoped(level);
    const Tensor y = q(x);
    EXPECT_NEAR(y.at({1, 0}), -2000.f, 0.01f) << SimdLevelName(level);
    EXPECT_NEAR(y.at({1, 3}), 2000.f, 0.01f) << SimdLevelName(level);
  }
}

TEST(QuantizationTest, QuantizedConv2dEqualsFloatConvolutionOnQuantizedValues) {
  // The codes' rows are laid out with their own code (padded planes, fixed-width runs for kernels
  // 1, 3 and 5, any width otherwise); every geometry must read the codes the float convolution
  // reads: padding 0 to 2 (wider than the kernel's reach on a 2 × 3 map), strides 1 to 3, odd
  // sizes, kernels of 1 to 7; on every level. One channel under a 3 × 3 kernel has rows of its
  // own on each: output rows of 36 to 228 bytes (one to four permutes of a 64-byte load, on
  // AVX-512 with VBMI), and lines too long for one load.
  Generator gen(6);
  struct Case {
    int64_t c, h, w, o, k, s, p;
  };
  for (const Case& c :
       {Case{3, 9, 7, 5, 3, 2, 1}, Case{2, 5, 6, 4, 1, 1, 0}, Case{4, 4, 4, 6, 3, 1, 1},
        Case{1, 8, 8, 16, 3, 1, 1}, Case{3, 11, 9, 3, 5, 3, 2}, Case{2, 2, 3, 3, 3, 1, 2},
        Case{2, 10, 9, 4, 7, 1, 2}, Case{5, 7, 6, 2, 2, 2, 0}, Case{1, 9, 7, 4, 3, 2, 0},
        Case{1, 5, 6, 3, 3, 1, 2}, Case{1, 12, 19, 3, 3, 1, 1}, Case{1, 7, 23, 2, 3, 2, 1},
        Case{1, 6, 30, 2, 3, 1, 1}}) {
    Conv2d conv(c.c, c.o, c.k, gen, c.s, c.p);
    const Tensor x = Tensor::RandN({2, c.c, c.h, c.w}, gen);
    QuantizedConv2d q(conv, {.per_channel = true});
    const Tensor w = DequantizeInt8(q.weight()).Reshape(conv.weight().shape());
    const Tensor expected = Convolve2d(FakeQuantizedInput(x), w, conv.bias().Detach(), c.s, c.p);
    for (SimdLevel level : testing::SupportedSimdLevels()) {
      const testing::ScopedSimdLevel scoped(level);
      EXPECT_TENSOR_CLOSE(q(x), expected, 1e-4, 1e-4)
          << SimdLevelName(level) << " " << q.ToString() << " on " << ShapeToString(x.shape());
    }
  }
  Conv2d conv(3, 5, 3, gen, /*stride=*/2, /*padding=*/1);
  QuantizedConv2d q(conv);
  EXPECT_EQ(q(Tensor::Zeros({0, 3, 9, 7})).shape(), (Shape{0, 5, 5, 4}));  // an empty batch
  EXPECT_THAT(
      [&] {
        q(Tensor::Zeros({1, 4, 9, 7}));
      },
      ThrowsMessage<Error>(
          HasSubstr("QuantizedConv2d: input [1, 4, 9, 7] has 4 channels, expected 3")));
}

TEST(QuantizationTest, NonFiniteInputsThrowInsteadOfBecomingCodes) {
  Generator gen(12);
  Linear linear(4, 3, gen);
  QuantizedLinear q(linear);
  Tensor x = Tensor::RandN({2, 4}, gen);
  x.at({1, 2}) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT([&] { q(x); },
              ThrowsMessage<Error>(HasSubstr(
                  "QuantizedLinear: input has a non-finite value (nan) at flat index 6")));
  q.SetActivationRange({-1.f, 1.f});  // a static range must not let it through either
  for (SimdLevel level : testing::SupportedSimdLevels()) {
    const testing::ScopedSimdLevel scoped(level);
    EXPECT_THAT([&] { q(x); }, ThrowsMessage<Error>(HasSubstr(
                                   "QuantizedLinear: input has a non-finite value (nan) at flat "
                                   "index 6")))
        << SimdLevelName(level);
  }
  Conv2d conv(1, 2, 3, gen, 1, 1);
  QuantizedConv2d qc(conv);
  Tensor image = Tensor::RandN({1, 1, 4, 4}, gen);
  image.at({0, 0, 3, 3}) = std::numeric_limits<float>::infinity();
  EXPECT_THAT(
      [&] { qc(image); },
      ThrowsMessage<Error>(HasSubstr("QuantizedConv2d: input has a non-finite value (inf)")));
  // Channels are quantized last: with a static range (no scan of the input first), the value named
  // is still the first in the input's own (NCHW) order, not the first channels last.
  Conv2d two_channels(2, 2, 1, gen);
  QuantizedConv2d qt(two_channels);
  qt.SetActivationRange({-1.f, 1.f});
  Tensor planes = Tensor::RandN({1, 2, 2, 2}, gen);
  planes.at({0, 0, 1, 1}) = std::numeric_limits<float>::infinity();    // flat index 3
  planes.at({0, 1, 0, 0}) = std::numeric_limits<float>::quiet_NaN();  // first channels last
  // The same in the second chunk of images (1 MiB of rows: 3 images of 2 × 400 × 400 here).
  Tensor images = Tensor::Zeros({4, 2, 400, 400});
  images.at({3, 0, 399, 399}) = std::numeric_limits<float>::infinity();  // flat index 1119999
  images.at({3, 1, 0, 0}) = std::numeric_limits<float>::quiet_NaN();
  for (SimdLevel level : testing::SupportedSimdLevels()) {
    const testing::ScopedSimdLevel scoped(level);
    EXPECT_THAT([&] { qt(planes); },
                ThrowsMessage<Error>(HasSubstr("non-finite value (inf) at flat index 3")))
        << SimdLevelName(level);
    EXPECT_THAT([&] { qt(images); },
                ThrowsMessage<Error>(HasSubstr("non-finite value (inf) at flat index 1119999")))
        << SimdLevelName(level);
  }
}

TEST(QuantizationTest, ActivationCodesAreTheSameOnEveryLevel) {
  // Scale 2^-4 exactly (a static range 255/16 wide, zero point 128), so (c + 0.5)/16 are exact
  // ties that must round to even on every level; values past the range saturate, as do those past
  // int32's range once scaled (±1e30, 3e9) and those either side of ±32 (512 steps, where the
  // vector kernels bound the scaled value). Each special sits in each part of the kernels: the
  // 64- and 32-wide steps (flat 0-63), the AVX2 step that the AVX-512 kernel leaves to its 16-wide
  // tail (64-95) and the scalar tail of AVX2 (96-110 of 111 inputs).
  Generator gen(21);
  Linear linear(37, 5, gen);
  QuantizedLinear q(linear);
  q.SetActivationRange({-8.f, 7.9375f});
  Tensor x = Tensor::RandN({3, 37}, gen) * 4.f;
  const float specials[] = {0.5f / 16, 1.5f / 16, -2.5f / 16, -0.f,  1e-30f, 9.f,    -100.f,
                            7.96875f,  31.97f,    32.03f,     -33.f, 1e30f,  -1e30f, 3e9f};
  for (int i = 0; i < 14; ++i) {
    for (const int64_t at : {0, 64, 96}) x.data<float>()[at + i] = specials[i];
  }
  Conv2d conv(2, 3, 3, gen, 1, 1);
  QuantizedConv2d qc(conv);
  const Tensor image = Tensor::RandN({2, 2, 5, 7}, gen);
  Tensor bad = x.Clone();
  bad.at({1, 0}) = -std::numeric_limits<float>::infinity();  // flat index 37: a later vector
  // Codes round in the current mode, as nearbyint does, so the levels agree in every mode (and a
  // kernel that rounds to nearest whatever the mode fails in the other three).
  struct RestoreRounding {
    int mode = std::fegetround();
    ~RestoreRounding() { std::fesetround(mode); }
  } restore;
  const std::pair<int, const char*> modes[] = {{FE_TONEAREST, "to nearest"},
                                               {FE_UPWARD, "upward"},
                                               {FE_DOWNWARD, "downward"},
                                               {FE_TOWARDZERO, "toward zero"}};
  for (const auto& [mode, name] : modes) {
    ASSERT_EQ(std::fesetround(mode), 0) << name;
    SCOPED_TRACE(std::string("rounding ") + name);
    Tensor reference, reference_conv;
    for (SimdLevel level : testing::SupportedSimdLevels()) {
      const testing::ScopedSimdLevel scoped(level);
      SCOPED_TRACE(SimdLevelName(level));
      const Tensor y = q(x), yc = qc(image);
      if (!reference.defined()) {
        reference = y;
        reference_conv = yc;
      }
      EXPECT_TENSOR_CLOSE(y, reference, 0, 0);
      EXPECT_TENSOR_CLOSE(yc, reference_conv, 0, 0);
      EXPECT_THAT([&] { q(bad); },
                  ThrowsMessage<Error>(HasSubstr("non-finite value (-inf) at flat index 37")));
    }
  }
}

TEST(QuantizationTest, StaticActivationRangeIsUsedAndValidated) {
  Generator gen(7);
  Linear linear(8, 4, gen);
  QuantizedLinear q(linear);
  const Tensor x = Tensor::RandN({6, 8}, gen);
  q.SetActivationRange({-0.5f, 0.5f});  // inputs beyond ±0.5 saturate
  const Tensor clipped = Clamp(x, -0.5f, 0.5f);
  QuantizedLinear dynamic(linear);
  // With a fixed range, values inside it quantize on the same grid as the dynamic range of a
  // tensor spanning exactly [-0.5, 0.5].
  Tensor span = Tensor::Zeros({8, 8});
  span.Select(0, 0).Fill(-0.5f);
  span.Select(0, 1).Fill(0.5f);
  span.Slice(0, 2, 8).CopyFrom(clipped);
  EXPECT_TENSOR_CLOSE(q(clipped), dynamic(span).Slice(0, 2, 8), 1e-6, 1e-6);
  EXPECT_THAT(
      [&] {
        q.SetActivationRange({0.1f, 1.f});
      },
      ThrowsMessage<Error>(HasSubstr("must be finite and contain 0")));
}

TEST(QuantizationTest, DigitsModelsShrinkFourfoldWithinOnePointOfAccuracy) {
  const auto& d = testing::Digits();
  struct Case {
    const char* name;
    std::shared_ptr<Sequential> model;
    Tensor test_x, calib_x;
  };
  for (const Case& c :
       {Case{"mlp", testing::TrainedDigitsMlp(), d.test_x, d.train_x.Slice(0, 0, 256)},
        Case{"cnn", testing::TrainedDigitsCnn(), testing::AsImages(d.test_x),
             testing::AsImages(d.train_x.Slice(0, 0, 256))}}) {
    SCOPED_TRACE(c.name);
    const double fp32 = testing::Accuracy(*c.model, c.test_x, d.test_y);
    EXPECT_GT(fp32, 0.93);
    for (const bool calibrated : {false, true}) {
      const auto q = QuantizeModel(*c.model, {}, calibrated ? c.calib_x : Tensor());
      const double int8 = testing::Accuracy(*q, c.test_x, d.test_y);
      EXPECT_GE(int8, fp32 - 0.01) << "calibrated=" << calibrated;
      EXPECT_GE(testing::Agreement(*q, *c.model, c.test_x), 0.98);
      const double ratio = static_cast<double>(WeightBytes(*c.model)) / WeightBytes(*q);
      EXPECT_GE(ratio, 3.9);
      ::testing::Test::RecordProperty(
          std::string(c.name) + (calibrated ? "_static" : "_dynamic") + "_accuracy_fp32_int8",
          std::to_string(fp32) + " " + std::to_string(int8));
      ::testing::Test::RecordProperty(std::string(c.name) + "_weight_ratio", std::to_string(ratio));
    }
  }
}

}  // namespace
}  // namespace tinytorch
