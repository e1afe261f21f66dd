// Module 09: convolution, pooling and batch normalisation — shapes and values by hand, the
// im2col kernel against the direct reference on awkward sizes, finite-difference gradients,
// running statistics, and PyTorch golden forward and backward cases.
#include "tinytorch/convolutions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "support/acceleration_testing.h"
#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/gradcheck.h"
#include "support/tensor_testing.h"
#include "tinytorch/acceleration.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(ConvolutionsTest, OutputSizeFollowsTheFormula) {
  Generator gen(1);
  Conv2d conv(3, 5, 3, gen, /*stride=*/2, /*padding=*/1);
  EXPECT_EQ(conv(Tensor::Zeros({2, 3, 9, 8})).shape(),
            (Shape{2, 5, 5, 4}));  // (9+2-3)/2+1, (8+2-3)/2+1
  EXPECT_EQ(MaxPool(Tensor::Zeros({1, 2, 7, 7}), 2).shape(), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(conv.NumParameters(), 5 * 3 * 3 * 3 + 5);
  EXPECT_THAT(
      [&] {
        conv(Tensor::Zeros({2, 4, 9, 9}));
      },
      ThrowsMessage<Error>(
          HasSubstr("Convolve2d: input [2, 4, 9, 9] and weight [5, 3, 3, 3] do not match")));
  EXPECT_THAT(
      [&] {
        conv(Tensor::Zeros({3, 9, 9}));
      },
      ThrowsMessage<Error>(HasSubstr("expects an NCHW input")));
  EXPECT_THAT(
      [] {
        MaxPool(Tensor::Zeros({1, 1, 2, 2}), 3);
      },
      ThrowsMessage<Error>(HasSubstr("kernel 3x3 is larger than the padded input 2x2")));
  // An empty plane: padding would make windows over nothing (they read the storage of an empty
  // tensor, or its parent's), so only the batch may be empty.
  const Tensor parent = Tensor::Ones({1, 1, 2, 4});
  EXPECT_THAT([&] { MaxPool(parent.Slice(2, 0, 0), 2, 2, 1); },
              ThrowsMessage<Error>(HasSubstr(
                  "MaxPool: input shape [1, 1, 0, 4] has an empty channel or spatial dimension")));
  EXPECT_THAT(
      [&] {
        AvgPool(Tensor::Zeros({1, 0, 4, 4}), 2);
      },
      ThrowsMessage<Error>(HasSubstr("has an empty channel or spatial dimension")));
  EXPECT_EQ(MaxPool(Tensor::Zeros({0, 2, 4, 4}), 2).shape(), (Shape{0, 2, 2, 2}));
  EXPECT_THAT(
      [&] {
        AvgPool(Tensor::Zeros({1, 1, 4, 4}), 2, 2, 2);
      },
      ThrowsMessage<Error>(HasSubstr("AvgPool: padding 2 must be at most half the kernel 2")));
}

TEST(ConvolutionsTest, ValuesByHand) {
  // A 3x3 input, 2x2 kernel of ones: each output is the sum of a 2x2 window, plus the bias.
  const Tensor x = Tensor::Arange(1, 10).View({1, 1, 3, 3});
  const Tensor w = Tensor::Ones({1, 1, 2, 2});
  EXPECT_EQ(Convolve2d(x, w, Tensor::Full({1}, 0.5f)).ToVector(),
            (std::vector<float>{12.5f, 16.5f, 24.5f, 28.5f}));
  EXPECT_EQ(MaxPool(x, 2, 1).ToVector(), (std::vector<float>{5, 6, 8, 9}));
  EXPECT_EQ(AvgPool(x, 2, 1).ToVector(), (std::vector<float>{3, 4, 6, 7}));
}

TEST(ConvolutionsTest, MaxPoolPropagatesNaNAndSendsItsGradientThere) {
  // As PyTorch's kernel: a NaN in a window is the window's max, the last one in scan order if
  // there are several, and the backward sends the gradient there; an all -inf window stays -inf.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = Tensor::FromData(std::vector<float>{1, nan, 3, 4,  //
                                                 -inf, 0, -inf, -inf,  //
                                                 2, 9, nan, 1,  //
                                                 5, 6, 7, nan},
                              {1, 1, 4, 4});
  const std::vector<float> pooled = MaxPool(x, 2).ToVector();
  ASSERT_EQ(pooled.size(), 4u);
  EXPECT_TRUE(std::isnan(pooled[0]));
  EXPECT_EQ(pooled[1], 4.f);
  EXPECT_EQ(pooled[2], 9.f);
  EXPECT_TRUE(std::isnan(pooled[3]));
  EXPECT_EQ(MaxPool(Tensor::Full({1, 1, 2, 2}, -inf), 2).ToVector(), (std::vector<float>{-inf}));
  x.set_requires_grad(true);
  MaxPool(x, 2).Sum().Backward();
  EXPECT_EQ(x.grad().ToVector(),
            (std::vector<float>{0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}));
}

TEST(ConvolutionsTest, MaxPoolGivesTheSameValuesWithAndWithoutTheArgmax) {
  // Inference takes its own loops (no argmax; vectorized when there is no padding); the values
  // must be those of the path the backward uses, NaNs included, for any kernel, stride and
  // padding.
  Generator gen(9);
  Tensor x = Tensor::RandN({2, 3, 9, 8}, gen);
  x.at({1, 2, 4, 4}) = std::numeric_limits<float>::quiet_NaN();
  const Tensor tracked = x.Clone().set_requires_grad(true);
  for (const auto& [kernel, stride, padding] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {2, 2, 0}, {3, 2, 0}, {3, 1, 0}, {2, 1, 0}, {3, 2, 1}, {4, 3, 2}}) {
    const Tensor plain = MaxPool(x, kernel, stride, padding);
    const Tensor with_argmax = MaxPool(tracked, kernel, stride, padding);
    ASSERT_TRUE(with_argmax.requires_grad());
    EXPECT_TENSOR_CLOSE(plain, with_argmax.Detach(), 0, 0)
        << "kernel " << kernel << " stride " << stride << " padding " << padding;
  }
}

TEST(ConvolutionsTest, MaxPool2x2GivesTheArgmaxPathsBitsOnEveryLevel) {
  // The 2×2 stride-2 kernel on planes it tiles: output rows of 1, 2, 4 and 8 (each level's
  // permute route), of 3, 5, 9, 17 and 33 (whole and partial vectors, the scalar tail), more rows
  // than one chunk (600·1, 130·4), and a plane wider than the stack buffer (wo 1025). Values come
  // in steps of 0.5 so windows tie, with NaNs of distinct payloads and zeros of both signs,
  // whose winners the fold order decides.
  Generator gen(21);
  for (const auto& [planes, h, w] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 2, 2}, {3, 4, 2}, {600, 2, 4}, {130, 8, 8}, {7, 6, 6}, {5, 4, 10}, {3, 2, 16},
           {4, 6, 18}, {2, 4, 34}, {3, 2, 66}, {1, 4, 2050}}) {
    Tensor x = Tensor::RandN({1, planes, h, w}, gen);
    float* p = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const uint64_t draw = gen.NextU64() % 10;
      if (draw == 0) {
        p[i] = std::bit_cast<float>(0x7FC00000u | static_cast<uint32_t>(i % 0x3FFFFF + 1));
      } else if (draw <= 2) {
        p[i] = draw == 1 ? 0.f : -0.f;
      } else {
        p[i] = std::round(p[i] * 2.f) / 2.f;
      }
    }
    const Tensor expected =
        MaxPool(x.Clone().set_requires_grad(true), 2).Detach();  // the argmax path
    for (SimdLevel level : testing::SupportedSimdLevels()) {
      const testing::ScopedSimdLevel scoped(level);
      EXPECT_TRUE(testing::SameBits(MaxPool(x, 2), expected))
          << SimdLevelName(level) << " planes " << planes << " of " << h << "x" << w;
    }
  }
}

TEST(ConvolutionsTest, Im2ColMatchesTheDirectReferenceOnAwkwardSizes) {
  Generator gen(2);
  struct Case {
    int64_t n, c, h, w, o, k, s, p;
  };
  // From the seventh: C·kh·kw deeper than one GEMM slice (288 and 360), 64 and 20 output channels
  // (the 8-row and 12-row AVX-512 kernels), strips of positions that straddle output rows, and
  // 3×3 stride-1 layers wide enough for Winograd F(2×2, 3×3) at padding 0, 1 and 2, with odd
  // heights and widths (partial tiles) and rows of more than 128 tiles; the last eight pack the
  // GEMM's panels from the image (32+ output channels, AVX-512): by masked loads, by gathers for
  // stride 2, by gathers for rows shorter than a vector, from two input rows per vector, by
  // gathers for the digits CNN's 4×4 layer, over many strips at stride 2 and for a 5×5 kernel,
  // and from a plane of 30 (planes of up to 32 are permuted out of two registers, not gathered).
  const std::vector<Case> cases = {
      Case{1, 1, 1, 1, 1, 1, 1, 0},     Case{2, 3, 7, 5, 4, 3, 2, 1},
      Case{1, 5, 13, 13, 3, 5, 3, 2},   Case{3, 2, 33, 17, 2, 4, 1, 0},
      Case{4, 3, 6, 9, 5, 3, 3, 2},     Case{5, 2, 2, 3, 3, 5, 1, 2},
      Case{2, 32, 11, 13, 64, 3, 1, 1}, Case{2, 40, 9, 7, 20, 3, 2, 0},
      Case{2, 32, 8, 8, 64, 3, 1, 1},   Case{2, 16, 9, 14, 16, 3, 1, 0},
      Case{2, 16, 5, 9, 24, 3, 1, 2},   Case{2, 16, 5, 300, 16, 3, 1, 1},
      Case{2, 8, 19, 21, 48, 3, 1, 1},  Case{2, 6, 9, 11, 32, 3, 2, 1},
      Case{2, 8, 6, 7, 32, 3, 1, 1},    Case{2, 8, 18, 20, 32, 3, 1, 0},
      Case{3, 16, 4, 4, 32, 3, 1, 1},   Case{2, 8, 33, 35, 32, 3, 2, 1},
      Case{2, 4, 10, 10, 40, 5, 1, 2},  Case{2, 8, 5, 6, 32, 3, 1, 1}};
  const SimdLevel original = ActiveSimdLevel();
  for (const SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (static_cast<int>(level) > static_cast<int>(DetectedSimdLevel())) continue;
    SetSimdLevel(level);
    for (const Case& c : cases) {
      const Tensor x = Tensor::RandN({c.n, c.c, c.h, c.w}, gen);
      const Tensor w = Tensor::RandN({c.o, c.c, c.k, c.k}, gen);
      const Tensor b = Tensor::RandN({c.o}, gen);
      SCOPED_TRACE(ShapeToString(x.shape()) + " k=" + std::to_string(c.k) + " " +
                   SimdLevelName(level));
      EXPECT_TENSOR_CLOSE(Convolve2d(x, w, b, c.s, c.p), Convolve2dNaive(x, w, b, c.s, c.p), 1e-4,
                          1e-4);
      EXPECT_TENSOR_CLOSE(Convolve2d(x, w, Tensor(), c.s, c.p),
                          Convolve2dNaive(x, w, Tensor(), c.s, c.p), 1e-4, 1e-4);
      // Batches of at least one image per thread take the inference path (images split over
      // threads) unless a gradient is needed: both paths give the reference's values.
      Tensor wg = w.Clone();
      wg.set_requires_grad(true);
      EXPECT_TENSOR_CLOSE(Convolve2d(x, wg, b, c.s, c.p).Detach(),
                          Convolve2dNaive(x, w, b, c.s, c.p), 1e-4, 1e-4);
    }
  }
  SetSimdLevel(original);
}

// Winograd keeps each thread's buffers between calls, their zero padding included, and builds
// them again for another geometry: layers alternating on one thread, the second with the first's
// output size but another input size and padding, each against the reference every time.
TEST(ConvolutionsTest, WinogradBuffersFollowTheGeometry) {
  Generator gen(4);
  const testing::ScopedThreads one_thread(1);
  const Tensor x1 = Tensor::RandN({1, 16, 12, 14}, gen), x2 = Tensor::RandN({1, 16, 14, 16}, gen);
  const Tensor w = Tensor::RandN({16, 16, 3, 3}, gen);
  for (int round = 0; round < 2; ++round) {
    EXPECT_TENSOR_CLOSE(Convolve2d(x1, w, Tensor(), 1, 1), Convolve2dNaive(x1, w, Tensor(), 1, 1),
                        1e-4, 1e-4);
    EXPECT_TENSOR_CLOSE(Convolve2d(x2, w, Tensor(), 1, 0), Convolve2dNaive(x2, w, Tensor(), 1, 0),
                        1e-4, 1e-4);
  }
}

TEST(ConvolutionsTest, GradientsMatchFiniteDifferences) {
  Generator gen(3);
  using In = const std::vector<Tensor>&;
  EXPECT_TRUE(testing::GradCheck([](In i) { return Convolve2d(i[0], i[1], i[2], 2, 1); },
                                 {Tensor::RandN({2, 2, 5, 5}, gen),
                                  Tensor::RandN({3, 2, 3, 3}, gen), Tensor::RandN({3}, gen)}));
  std::vector<float> distinct(2 * 2 * 6 * 6);
  for (size_t i = 0; i < distinct.size(); ++i)
    distinct[i] = static_cast<float>((i * 37) % 144) * 0.1f;
  const Tensor x = Tensor::FromData(distinct, {2, 2, 6, 6});
  EXPECT_TRUE(testing::GradCheck([](In i) { return MaxPool(i[0], 3, 2, 1); }, {x}));
  EXPECT_TRUE(testing::GradCheck([](In i) { return AvgPool(i[0], 3, 2, 1); }, {x}));
  EXPECT_TRUE(testing::GradCheck(
      [](In i) { return BatchNormalize(i[0], i[1], i[2], Tensor(), Tensor(), true); },
      {Tensor::RandN({3, 2, 4, 4}, gen), Tensor::RandN({2}, gen), Tensor::RandN({2}, gen)}));
}

// A depthwise weight (C, 1, kh, kw) as the block-diagonal full weight (C, C, kh, kw) that
// computes the same thing, so the ordinary convolution's reference checks the depthwise one.
Tensor BlockDiagonal(const Tensor& depthwise) {
  const int64_t c = depthwise.size(0), kh = depthwise.size(2), kw = depthwise.size(3);
  Tensor full = Tensor::Zeros({c, c, kh, kw});
  for (int64_t o = 0; o < c; ++o) {
    for (int64_t i = 0; i < kh; ++i) {
      for (int64_t j = 0; j < kw; ++j) full.at({o, o, i, j}) = depthwise.at({o, 0, i, j});
    }
  }
  return full;
}

TEST(ConvolutionsTest, DepthwiseMatchesItsReferenceAndTheBlockDiagonalConvolution) {
  Generator gen(5);
  struct Case {
    int64_t n, c, h, w, kh, kw, s, p;
  };
  // Padding wider than the kernel's reach, strides that skip columns, non-square kernels, 1x1
  // images, and one large enough to run threaded.
  for (const Case& c : {Case{1, 1, 1, 1, 1, 1, 1, 0}, Case{2, 3, 7, 5, 3, 3, 2, 1},
                        Case{1, 4, 13, 11, 5, 5, 3, 2}, Case{3, 2, 9, 6, 4, 2, 1, 3},
                        Case{2, 16, 48, 48, 3, 3, 1, 1}, Case{1, 8, 49, 10, 10, 4, 2, 1}}) {
    const Tensor x = Tensor::RandN({c.n, c.c, c.h, c.w}, gen);
    const Tensor w = Tensor::RandN({c.c, 1, c.kh, c.kw}, gen);
    const Tensor b = Tensor::RandN({c.c}, gen);
    SCOPED_TRACE(ShapeToString(x.shape()) + " k=" + std::to_string(c.kh) + "x" +
                 std::to_string(c.kw) + " s=" + std::to_string(c.s) + " p=" + std::to_string(c.p));
    const Tensor fast = DepthwiseConvolve2d(x, w, b, c.s, c.p);
    EXPECT_TENSOR_CLOSE(fast, DepthwiseConvolve2dNaive(x, w, b, c.s, c.p), 1e-4, 1e-4);
    EXPECT_TENSOR_CLOSE(fast, Convolve2dNaive(x, BlockDiagonal(w), b, c.s, c.p), 1e-4, 1e-4);
  }
}

TEST(ConvolutionsTest, DepthwiseGradientsMatchFiniteDifferencesAndTheFullConvolution) {
  Generator gen(6);
  using In = const std::vector<Tensor>&;
  EXPECT_TRUE(testing::GradCheck([](In i) { return DepthwiseConvolve2d(i[0], i[1], i[2], 2, 1); },
                                 {Tensor::RandN({2, 3, 5, 6}, gen),
                                  Tensor::RandN({3, 1, 3, 2}, gen), Tensor::RandN({3}, gen)}));
  EXPECT_TRUE(
      testing::GradCheck([](In i) { return DepthwiseConvolve2d(i[0], i[1], Tensor(), 1, 2); },
                         {Tensor::RandN({1, 2, 4, 4}, gen), Tensor::RandN({2, 1, 3, 3}, gen)}));
  // Large enough for the threaded passes: gradients equal the block-diagonal convolution's.
  Tensor x = Tensor::RandN({2, 16, 24, 24}, gen), w = Tensor::RandN({16, 1, 3, 3}, gen),
         b = Tensor::RandN({16}, gen);
  Tensor x2 = x.Clone(), b2 = b.Clone(), full = BlockDiagonal(w);
  for (Tensor* t : {&x, &w, &b, &x2, &b2, &full}) t->set_requires_grad(true);
  const Tensor upstream = Tensor::RandN({2, 16, 12, 12}, gen);
  (DepthwiseConvolve2d(x, w, b, 2, 1) * upstream).Sum().Backward();
  (Convolve2d(x2, full, b2, 2, 1) * upstream).Sum().Backward();
  EXPECT_TENSOR_CLOSE(x.grad(), x2.grad(), 1e-4, 1e-4);
  EXPECT_TENSOR_CLOSE(b.grad(), b2.grad(), 1e-4, 1e-4);
  for (int64_t c = 0; c < 16; ++c) {
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 3; ++j) {
        EXPECT_NEAR(w.grad().at({c, 0, i, j}), full.grad().at({c, c, i, j}), 1e-3);
      }
    }
  }
}

TEST(ConvolutionsTest, DepthwiseRejectsMismatchedWeightsNamingTheShapes) {
  Generator gen(7);
  DepthwiseConv2d dw(4, 3, gen, 1, 1);
  EXPECT_EQ(dw.NumParameters(), 4 * 9 + 4);
  EXPECT_EQ(dw(Tensor::Zeros({2, 4, 6, 6})).shape(), (Shape{2, 4, 6, 6}));
  EXPECT_THAT(
      [&] {
        dw(Tensor::Zeros({2, 3, 6, 6}));
      },
      ThrowsMessage<Error>(HasSubstr("DepthwiseConvolve2d: input [2, 3, 6, 6] and weight "
                                     "[4, 1, 3, 3] do not match")));
  EXPECT_THAT(
      [] {
        DepthwiseConvolve2d(Tensor::Zeros({1, 2, 4, 4}), Tensor::Zeros({2, 2, 3, 3}), Tensor());
      },
      ThrowsMessage<Error>(HasSubstr("weight is (C, 1, kh, kw)")));
  EXPECT_THAT(
      [] {
        DepthwiseConvolve2d(Tensor::Zeros({1, 2, 4, 4}), Tensor::Zeros({2, 1, 3, 3}),
                            Tensor::Zeros({3}));
      },
      ThrowsMessage<Error>(HasSubstr("bias [3] does not match 2 channels")));
  EXPECT_THAT([&] { DepthwiseConv2d(0, 3, gen); },
              ThrowsMessage<Error>(HasSubstr("DepthwiseConv2d: invalid configuration channels=0")));
}

TEST(ConvolutionsTest, BatchNormTracksRunningStatisticsAndUsesThemInEval) {
  BatchNorm2d bn(2, /*momentum=*/0.5f);
  Generator gen(4);
  const Tensor x = Tensor::RandN({8, 2, 3, 3}, gen, 3.f, 2.f);
  const Tensor y = bn(x);
  // Training output: zero mean, unit (biased) variance per channel.
  EXPECT_NEAR(y.Mean().item(), 0.0, 1e-5);
  EXPECT_NEAR(Pow(y, 2.f).Mean().item(), 1.0, 1e-3);
  const StateDict s = bn.GetStateDict();
  const Tensor channel0 = x.Select(1, 0);
  EXPECT_NEAR(s.at("running_mean").at({0}), 0.5 * channel0.Mean().item(), 1e-5);
  const double n = channel0.numel();
  const double var = Pow(channel0 - channel0.Mean(), 2.f).Sum().item() / (n - 1);  // unbiased
  EXPECT_NEAR(s.at("running_var").at({0}), 0.5 * 1 + 0.5 * var, 1e-4);
  bn.Eval();
  const Tensor e = bn(x);
  EXPECT_FALSE(AllClose(e, y, 1e-3, 1e-3));  // running statistics, not the batch's
  EXPECT_EQ(bn.GetStateDict().at("running_mean").ToVector(), s.at("running_mean").ToVector());
  bn.Train();
  EXPECT_THAT(
      [&] {
        bn(Tensor::Zeros({1, 2, 1, 1}));
      },
      ThrowsMessage<Error>(HasSubstr("more than one value per channel")));
}

TEST(ConvolutionsTest, FlattenKeepsTheBatchDim) {
  EXPECT_EQ(Flatten()(Tensor::Zeros({4, 3, 2, 2})).shape(), (Shape{4, 12}));
}

class ConvolutionsGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(ConvolutionsGoldenTest, ForwardAndGradientsMatchPyTorch) {
  testing::CheckGoldenBackward(GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    PyTorch, ConvolutionsGoldenTest,
    ::testing::ValuesIn(testing::LoadGoldenCases("module_09_convolutions.json")),
    testing::GoldenCaseName);
INSTANTIATE_TEST_SUITE_P(PyTorchDepthwise, ConvolutionsGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_09_depthwise.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
