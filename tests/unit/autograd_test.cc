// Module 06: reverse-mode autograd. Hand-checkable derivatives and graph behaviour (reuse,
// broadcasting, views, accumulation, no-grad, in-place safety, memory), then a finite-difference
// check of every differentiable op of modules 01–04.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/gradcheck.h"
#include "support/tensor_testing.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor Leaf(std::vector<float> v, Shape s) {
  return Tensor::FromData(std::move(v), s).set_requires_grad(true);
}

TEST(AutogradTest, ChainRuleByHand) {
  const Tensor x = Leaf({2}, {1});
  const Tensor y = Pow(x * 3.f + 1.f, 2.f);  // (3x + 1)², dy/dx = 6(3x + 1) = 42 at x = 2
  y.Backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 42.f);
  EXPECT_EQ(y.grad_fn()->name(), std::string("Pow"));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
}

TEST(AutogradTest, TensorUsedSeveralTimesSumsItsGradients) {
  const Tensor x = Leaf({3}, {1});
  const Tensor h = x * x;
  (h * x + h).Backward();  // x³ + x²: 3x² + 2x = 33
  EXPECT_FLOAT_EQ(x.grad().item(), 33.f);
}

TEST(AutogradTest, GradientsAccumulateUntilZeroed) {
  const Tensor x = Leaf({1, 2}, {2});
  (x * 2.f).Sum().Backward();
  (x * 3.f).Sum().Backward();
  EXPECT_EQ(x.grad().ToVector(), (std::vector<float>{5, 5}));
  Tensor handle = x;
  handle.ZeroGrad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(AutogradTest, LeafGradientsOwnTheirStorage) {
  // Backward keeps a fresh gradient as the leaf's .grad instead of copying it; one that anything
  // else can reach must still be copied. Add hands the same upstream gradient to both inputs,
  // and the caller's grad_output passes through Clone unchanged.
  Tensor a = Tensor::Ones({2, 3}), b = Tensor::Ones({2, 3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  const Tensor gout = Tensor::Full({2, 3}, 2.f);
  (a + b).Clone().Backward(gout);
  a.grad().Fill(5.f);
  EXPECT_EQ(b.grad().at({1, 2}), 2.f);
  EXPECT_EQ(gout.at({1, 2}), 2.f);
  // A fresh result (MatMul's weight gradient) is kept, and is the leaf's alone: the next
  // backward accumulates into it without touching anything else.
  Tensor w = Tensor::Ones({3, 2});
  w.set_requires_grad(true);
  const Tensor x = Tensor::Ones({4, 3});
  MatMul(x, w).Sum().Backward();
  const Tensor first = w.grad();
  MatMul(x, w).Sum().Backward();
  EXPECT_EQ(first.at({0, 0}), 8.f);
  EXPECT_EQ(w.grad().at({2, 1}), 8.f);
}

// As PyTorch's needs_input_grad: a backward computes only the gradients of inputs that need one
// (a network's input needs none, and its dA or dx is a large product), and the gradients it does
// compute are unchanged.
TEST(AutogradTest, MatMulAndConvolutionComputeOnlyTheGradientsThatAreNeeded) {
  Generator gen(5);
  const Tensor x = Tensor::RandN({4, 3}, gen);
  const Tensor w = Tensor::RandN({3, 5}, gen).set_requires_grad(true);
  const Tensor ones = Tensor::Ones({4, 5});
  const std::vector<Tensor> input_free = MatMul(x, w).grad_fn()->Apply(ones);
  EXPECT_FALSE(input_free[0].defined());
  ASSERT_TRUE(input_free[1].defined());
  EXPECT_TENSOR_CLOSE(input_free[1], MatMul(x.Transpose(0, 1), ones), 1e-6, 1e-6);
  const Tensor xg = x.Clone().set_requires_grad(true);
  const std::vector<Tensor> weight_free = MatMul(xg, w.Detach()).grad_fn()->Apply(ones);
  ASSERT_TRUE(weight_free[0].defined());
  EXPECT_FALSE(weight_free[1].defined());
  EXPECT_TENSOR_CLOSE(weight_free[0], MatMul(ones, w.Detach().Transpose(0, 1)), 1e-6, 1e-6);

  const Tensor image = Tensor::RandN({2, 3, 6, 6}, gen);
  const Tensor filters = Tensor::RandN({4, 3, 3, 3}, gen).set_requires_grad(true);
  const Tensor out = Convolve2d(image, filters, Tensor(), 1, 1);
  const std::vector<Tensor> conv_grads = out.grad_fn()->Apply(Tensor::Ones(out.shape()));
  EXPECT_FALSE(conv_grads[0].defined());
  EXPECT_TRUE(conv_grads[1].defined());
  const Tensor image_g = image.Clone().set_requires_grad(true);
  const Tensor out2 = Convolve2d(image_g, filters.Detach(), Tensor(), 1, 1);
  const std::vector<Tensor> frozen = out2.grad_fn()->Apply(Tensor::Ones(out2.shape()));
  EXPECT_TRUE(frozen[0].defined());
  EXPECT_FALSE(frozen[1].defined());

  // Which gradients are needed is fixed when the graph is built, as in PyTorch: a flag set on an
  // input afterwards changes nothing in the backward of either op.
  Tensor late_x = Tensor::RandN({4, 3}, gen), late_image = image.Clone();
  const Tensor late_product = MatMul(late_x, w);
  const Tensor late_conv = Convolve2d(late_image, filters, Tensor(), 1, 1);
  late_x.set_requires_grad(true);
  late_image.set_requires_grad(true);
  EXPECT_FALSE(late_product.grad_fn()->Apply(ones)[0].defined());
  EXPECT_FALSE(late_conv.grad_fn()->Apply(Tensor::Ones(late_conv.shape()))[0].defined());
}

TEST(AutogradTest, BroadcastGradientsAreReducedToInputShapes) {
  const Tensor a = Leaf({1, 2, 3}, {3, 1});
  const Tensor b = Leaf({1, 1, 1, 1}, {4});
  (a * b).Sum().Backward();
  EXPECT_EQ(a.grad().shape(), (Shape{3, 1}));
  EXPECT_EQ(a.grad().ToVector(), (std::vector<float>{4, 4, 4}));
  EXPECT_EQ(b.grad().ToVector(), (std::vector<float>{6, 6, 6, 6}));
}

TEST(AutogradTest, ViewsPassGradientsToTheirBase) {
  const Tensor w = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (w.Transpose(0, 1).Slice(0, 0, 3, 2).Sum() + w.Select(0, 1).Sum() * 10.f).Backward();
  // Slice rows 0 and 2 of wᵀ = columns 0 and 2 of w; plus 10 for every element of row 1.
  EXPECT_EQ(w.grad().ToVector(), (std::vector<float>{1, 0, 1, 11, 10, 11}));
}

// Issue 23: the backward of Sum, Mean and MatMul through a zero-size dim that is not the first.
TEST(AutogradTest, BackwardThroughZeroSizeDims) {
  Tensor x = Tensor::Zeros({3, 0}).set_requires_grad(true);
  x.Flatten().Sum().Backward();
  EXPECT_EQ(x.grad().shape(), (Shape{3, 0}));

  Tensor a = Tensor::Zeros({3, 0}).set_requires_grad(true);
  Tensor b = Tensor::Zeros({0, 4}).set_requires_grad(true);
  const Tensor out = MatMul(a, b);
  EXPECT_EQ(out.ToVector(), std::vector<float>(12, 0.f));
  out.Sum().Backward();
  EXPECT_EQ(a.grad().shape(), (Shape{3, 0}));
  EXPECT_EQ(b.grad().shape(), (Shape{0, 4}));

  // An empty batch still gives the full-size operand a (zero) gradient.
  Tensor rows = Tensor::Zeros({0, 3}).set_requires_grad(true);
  Tensor w = Tensor::Ones({3, 4}).set_requires_grad(true);
  (MatMul(rows, w) + 1.f).Sum().Backward();
  EXPECT_EQ(w.grad().ToVector(), std::vector<float>(12, 0.f));

  // The mean over an empty dim is NaN; its gradient has no element to carry it.
  Tensor m = Tensor::Zeros({2, 0}).set_requires_grad(true);
  const Tensor mean = m.Mean(1);
  EXPECT_TRUE(std::isnan(mean.ToVector()[0]));
  mean.Sum().Backward();
  EXPECT_EQ(m.grad().shape(), (Shape{2, 0}));
}

TEST(AutogradTest, NoGradGuardAndDetachStopRecording) {
  const Tensor x = Leaf({1}, {1});
  {
    NoGradGuard guard;
    EXPECT_FALSE(GradEnabled());
    EXPECT_FALSE((x * 2.f).requires_grad());
  }
  EXPECT_TRUE(GradEnabled());
  const Tensor y = x.Detach() * 2.f + x;
  y.Backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 1.f);
  EXPECT_TRUE(x.Detach().SharesStorageWith(x));
}

TEST(AutogradTest, MisuseGivesClearErrors) {
  Tensor x = Leaf({1, 2}, {2});
  EXPECT_THAT([&] { x += 1.f; },
              ThrowsMessage<Error>(
                  HasSubstr("in-place write to a tensor of shape [2] that requires grad")));
  {
    NoGradGuard guard;
    x += 1.f;  // allowed: this is how optimizers update parameters
  }
  EXPECT_EQ(x.ToVector(), (std::vector<float>{2, 3}));
  EXPECT_THAT([&] { (x * 2.f).Backward(); },
              ThrowsMessage<Error>(HasSubstr("needs a one-element tensor")));
  EXPECT_THAT(
      [&] { (x * 2.f).Backward(Tensor::Ones({3})); },
      ThrowsMessage<Error>(HasSubstr("upstream gradient of shape [3] does not match shape [2]")));
  EXPECT_THAT([] { Tensor::Ones({1}).Backward(); },
              ThrowsMessage<Error>(HasSubstr("does not require grad")));
  Tensor y = x * 2.f;
  EXPECT_THAT([&] { y.set_requires_grad(false); }, ThrowsMessage<Error>(HasSubstr("only leaves")));
  EXPECT_THROW(Tensor::FromData(std::vector<int64_t>{1}, {1}).set_requires_grad(true), Error);
}

TEST(AutogradTest, DroppingTheOutputFreesTheGraph) {
  const Tensor w = Leaf(std::vector<float>(1 << 16, 0.5f), {256, 256});
  const int64_t before = GetStorageStats().live_bytes;
  {
    Tensor h = w;
    for (int i = 0; i < 10; ++i) h = Tanh(MatMul(h, w) * 0.01f);
    h.Sum().Backward();
  }
  // Everything but w's new gradient is gone: no reference cycles between nodes and outputs.
  EXPECT_EQ(GetStorageStats().live_bytes - before, 256 * 256 * 4);
}

TEST(AutogradTest, CrossEntropyGradientIsSoftmaxMinusOneHot) {
  const Tensor logits = Leaf({0, 0, 0, 0}, {1, 4});
  CrossEntropyLoss()(logits, Tensor::FromData(std::vector<int64_t>{2}, {1})).Backward();
  EXPECT_TENSOR_CLOSE(logits.grad(),
                      Tensor::FromData(std::vector<float>{0.25f, 0.25f, -0.75f, 0.25f}, {1, 4}),
                      1e-6, 1e-7);
}

// ---------------------------------------------------------------------------------------------
// Finite differences over every differentiable op.

struct GradCase {
  std::string name;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  std::vector<Tensor> inputs;
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.name; }

std::vector<GradCase> Cases() {
  Generator gen(11);
  auto n = [&](Shape s) { return Tensor::RandN(s, gen); };
  auto pos = [&](Shape s) { return Tensor::Rand(s, gen, 0.5f, 2.f); };
  // Values at least 0.1 from 0 (and from each other in a max): no kinks under the ±ε step.
  auto away = [&](Shape s) {
    Tensor t = Tensor::Rand(s, gen, 0.2f, 1.5f);
    Tensor sign = Tensor::Rand(s, gen);
    return t * (Gt(sign, Tensor::Scalar(0.5f)) * 2.f - 1.f);
  };
  auto distinct = [&](int64_t count, Shape s) {
    Tensor t = Tensor::Arange(0, count) * 0.37f;
    std::vector<float> v = t.ToVector();
    for (size_t i = 0; i < v.size(); ++i) std::swap(v[i], v[gen.NextU64() % v.size()]);
    return Tensor::FromData(v, s);
  };
  using In = const std::vector<Tensor>&;
  const Tensor targets = Tensor::FromData(std::vector<int64_t>{2, 0, 4}, {3});
  return {
      {"Add", [](In i) { return i[0] + i[1]; }, {n({3, 1}), n({4})}},
      {"Sub", [](In i) { return i[0] - i[1]; }, {n({2, 3}), n({3})}},
      {"Mul", [](In i) { return i[0] * i[1]; }, {n({3, 1}), n({2, 1, 4})}},
      {"Div", [](In i) { return i[0] / i[1]; }, {n({2, 3}), pos({3})}},
      {"PowTensor", [](In i) { return Pow(i[0], i[1]); }, {pos({2, 3}), n({2, 3})}},
      {"PowSquare", [](In i) { return Pow(i[0], 2.f); }, {n({5})}},
      {"PowFractional", [](In i) { return Pow(i[0], -1.5f); }, {pos({5})}},
      {"Maximum",
       [](In i) { return Maximum(i[0], i[1]); },
       {distinct(6, {2, 3}), distinct(3, {3})}},
      {"Minimum",
       [](In i) { return Minimum(i[0], i[1]); },
       {distinct(6, {2, 3}), distinct(3, {3})}},
      {"Neg", [](In i) { return -i[0]; }, {n({4})}},
      {"Exp", [](In i) { return Exp(i[0]); }, {n({4})}},
      {"Log", [](In i) { return Log(i[0]); }, {pos({4})}},
      {"Log1p", [](In i) { return Log1p(i[0]); }, {pos({4})}},
      {"Sqrt", [](In i) { return Sqrt(i[0]); }, {pos({4})}},
      {"Abs", [](In i) { return Abs(i[0]); }, {away({6})}},
      {"Clamp", [](In i) { return Clamp(i[0], -0.1f, 0.1f); }, {away({6})}},
      {"ScalarOps", [](In i) { return ((i[0] + 2.f) * 3.f - 1.f) / 4.f; }, {n({4})}},
      {"ScalarLeftOps", [](In i) { return 2.f - 3.f / i[0]; }, {pos({4})}},
      {"MatMul2d", [](In i) { return MatMul(i[0], i[1]); }, {n({3, 4}), n({4, 5})}},
      {"MatMulBatchedBroadcast",
       [](In i) { return MatMul(i[0], i[1]); },
       {n({2, 1, 3, 4}), n({3, 4, 2})}},
      {"MatMulVectorMatrix", [](In i) { return MatMul(i[0], i[1]); }, {n({4}), n({2, 4, 3})}},
      {"MatMulMatrixVector", [](In i) { return MatMul(i[0], i[1]); }, {n({3, 4}), n({4})}},
      {"MatMulDot", [](In i) { return MatMul(i[0], i[1]); }, {n({4}), n({4})}},
      {"MatMulTransposedViews",
       [](In i) { return MatMul(i[0].Transpose(0, 1), i[1].Transpose(0, 1)); },
       {n({4, 3}), n({5, 4})}},
      {"MatMulNaive",
       [](In i) { return MatMul(i[0], i[1], MatMulBackend::kNaive); },
       {n({3, 4}), n({4, 2})}},
      {"SumAll", [](In i) { return i[0].Sum(); }, {n({2, 3})}},
      {"SumAxisKeep", [](In i) { return i[0].Sum(1, true); }, {n({2, 3, 4})}},
      {"MeanAxis", [](In i) { return i[0].Mean(-1); }, {n({2, 3, 4})}},
      {"MeanAll", [](In i) { return i[0].Mean(); }, {n({2, 3})}},
      {"MaxAxis", [](In i) { return i[0].Max(1); }, {distinct(12, {3, 4})}},
      {"MinAxisKeep", [](In i) { return i[0].Min(0, true); }, {distinct(12, {3, 4})}},
      {"MaxAll", [](In i) { return i[0].Max(); }, {distinct(12, {3, 4})}},
      {"Reshape",
       [](In i) {
         return i[0].Reshape({3, 2}) * i[0].Reshape({3, 2});
       },
       {n({2, 3})}},
      {"Permute",
       [](In i) {
         return i[0].Permute({2, 0, 1}) * 2.f;
       },
       {n({2, 3, 4})}},
      {"SliceWithStep", [](In i) { return i[0].Slice(1, 1, 6, 2); }, {n({2, 6})}},
      {"SelectNegative", [](In i) { return i[0].Select(0, -1); }, {n({3, 2})}},
      {"UnsqueezeSqueeze", [](In i) { return i[0].Unsqueeze(1).Squeeze(1) * i[0]; }, {n({3})}},
      {"Expand",
       [](In i) {
         return i[0].Expand({4, 3});
       },
       {n({1, 3})}},
      {"ContiguousOfTranspose",
       [](In i) { return i[0].Transpose(0, 1).Contiguous(); },
       {n({2, 3})}},
      {"Clone", [](In i) { return i[0].Clone() * i[0]; }, {n({3})}},
      {"Relu", [](In i) { return Relu(i[0]); }, {away({6})}},
      {"Sigmoid", [](In i) { return Sigmoid(i[0]); }, {n({6})}},
      {"Tanh", [](In i) { return Tanh(i[0]); }, {n({6})}},
      {"GeluExact", [](In i) { return Gelu(i[0]); }, {n({6})}},
      {"GeluTanh", [](In i) { return Gelu(i[0], GeluApproximation::kTanh); }, {n({6})}},
      {"SoftmaxDim0", [](In i) { return Softmax(i[0], 0); }, {n({3, 4})}},
      {"SoftmaxLast", [](In i) { return Softmax(i[0], -1); }, {n({2, 3, 4})}},
      {"LogSoftmax", [](In i) { return LogSoftmax(i[0], 1); }, {n({3, 4})}},
      {"MSELoss", [](In i) { return MSELoss()(i[0], i[1]); }, {n({3, 2}), n({3, 2})}},
      {"CrossEntropyMean",
       [targets](In i) { return CrossEntropyLoss()(i[0], targets); },
       {n({3, 5})}},
      {"CrossEntropyNone",
       [targets](In i) { return CrossEntropyLoss(Reduction::kNone)(i[0], targets); },
       {n({3, 5})}},
      {"BinaryCrossEntropy",
       [](In i) { return BinaryCrossEntropyLoss()(i[0], i[1]); },
       {Tensor::Rand({6}, gen, 0.1f, 0.9f), Tensor::Rand({6}, gen)}},
      {"BinaryCrossEntropyWithLogits",
       [](In i) { return BinaryCrossEntropyWithLogitsLoss()(i[0], i[1]); },
       {n({6}), Tensor::Rand({6}, gen)}},
  };
}

class AutogradGradCheckTest : public ::testing::TestWithParam<GradCase> {};

TEST_P(AutogradGradCheckTest, MatchesFiniteDifferences) {
  EXPECT_TRUE(testing::GradCheck(GetParam().fn, GetParam().inputs));
}

INSTANTIATE_TEST_SUITE_P(AllOps, AutogradGradCheckTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<GradCase>& param) {
                           return param.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// PyTorch golden backward cases: gradients of sum(op(inputs) ⊙ upstream).

class AutogradGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(AutogradGoldenTest, GradientsMatchPyTorch) {
  const testing::GoldenCase& c = GetParam();
  Generator gen(0);
  const auto shape = [&](size_t i, int64_t d) { return c.inputs.at(i).size(d); };
  if (c.op == "linear") {  // parameters live in modules: the gradients come from the module
    Linear layer(shape(1, 0), shape(1, 1), gen);
    testing::CheckGoldenModule(c, layer);
  } else if (c.op == "mlp") {
    Sequential model({std::make_shared<Linear>(shape(1, 0), shape(1, 1), gen),
                      std::make_shared<ReLULayer>(),
                      std::make_shared<Linear>(shape(3, 0), shape(3, 1), gen)});
    testing::CheckGoldenModule(c, model);
  } else {
    testing::CheckGoldenBackward(c);
  }
}

INSTANTIATE_TEST_SUITE_P(PyTorch, AutogradGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_06_autograd.json")),
                         testing::GoldenCaseName);

// Backward through zero-size dims: gradients of empty inputs are empty, of the others PyTorch's.
INSTANTIATE_TEST_SUITE_P(EdgeShapes, AutogradGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("edge_shapes_grad.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
