// Module 17, lazy execution: results equal the eager ops bit for bit, what the planner fuses,
// simplifies and reuses (from EvalStats), asynchronous evaluation and the errors.
#include "tinytorch/lazy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <limits>

#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/error.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;

// Bit-for-bit equality, NaN payloads and signed zeros included.
void ExpectBitEqual(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  const std::vector<float> a = actual.ToVector(), e = expected.ToVector();
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::memcmp(&a[i], &e[i], sizeof(float)), 0)
        << "element " << i << ": lazy " << a[i] << ", eager " << e[i];
  }
}

Tensor Random(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return Tensor::RandN(shape, gen);
}

TEST(LazyTest, RecordsWithoutComputingAndKnowsShapes) {
  const LazyTensor a = Lazy(Random({3, 4}, 1)), b = Lazy(Random({4, 5}, 2));
  const LazyTensor y = Softmax(MatMul(a, b) + Lazy(Random({5}, 3)) * 2.f);
  EXPECT_EQ(y.op(), LazyOp::kSoftmax);
  EXPECT_EQ(y.shape(), (Shape{3, 5}));
  EXPECT_EQ(MatMul(Lazy(Random({2, 7, 3}, 4)), Lazy(Random({3}, 5))).shape(), (Shape{2, 7}));
  EXPECT_EQ(MatMul(Lazy(Random({3}, 4)), Lazy(Random({6, 3, 2}, 5))).shape(), (Shape{6, 2}));
}

TEST(LazyTest, EveryElementwiseOpEqualsEagerBitForBit) {
  // Values across the formulas' branches, with NaN, infinities and signed zeros.
  Tensor x = Random({1000}, 7) * 4.f;
  x.at({0}) = std::numeric_limits<float>::quiet_NaN();
  x.at({1}) = std::numeric_limits<float>::infinity();
  x.at({2}) = -std::numeric_limits<float>::infinity();
  x.at({3}) = -0.f;
  x.at({4}) = 0.f;
  const Tensor pos = Abs(x) + 0.5f;
  const Tensor y = Random({1000}, 8);
  const LazyTensor lx = Lazy(x), lp = Lazy(pos), ly = Lazy(y);
  const std::vector<std::pair<LazyTensor, Tensor>> cases = {
      {lx + ly, x + y},
      {lx - ly, x - y},
      {lx * ly, x * y},
      {lx / ly, x / y},
      {lx + 1.5f, x + 1.5f},
      {lx - 1.5f, x - 1.5f},
      {lx * 3.f, x * 3.f},
      {lx / 3.f, x / 3.f},
      {2.f - lx, 2.f - x},
      {2.f / lx, 2.f / x},
      {-lx, -x},
      {Exp(lx), Exp(x)},
      {Log(lp), Log(pos)},
      {Sqrt(lp), Sqrt(pos)},
      {Relu(lx), Relu(x)},
      {Sigmoid(lx), Sigmoid(x)},
      {Tanh(lx), Tanh(x)},
      {Gelu(lx), Gelu(x)},
      {Gelu(lx, GeluApproximation::kTanh), Gelu(x, GeluApproximation::kTanh)},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(LazyOpName(cases[i].first.op()));
    ExpectBitEqual(cases[i].first.Eval(), cases[i].second);
    // The same op inside a fused chain (op then *1.0001 then +0.25) still equals eager.
    EvalStats stats;
    const Tensor fused = ((cases[i].first * 1.0001f) + 0.25f).Eval({}, &stats);
    EXPECT_EQ(stats.fused_passes, 1);
    ExpectBitEqual(fused, (cases[i].second * 1.0001f) + 0.25f);
  }
}

TEST(LazyTest, AChainBecomesOnePassInPlaceOverTheMatMul) {
  // softmax(a @ b + c * 2.0): MatMul, one fused pass (Mul, Add) written over the MatMul's
  // buffer, then Softmax: 3 kernels where eager runs 4.
  const Tensor a = Random({64, 32}, 1), b = Random({32, 48}, 2), c = Random({64, 48}, 3);
  EvalStats stats;
  const Tensor lazy = Softmax(MatMul(Lazy(a), Lazy(b)) + Lazy(c) * 2.f).Eval({}, &stats);
  ExpectBitEqual(lazy, Softmax(MatMul(a, b) + c * 2.f));
  EXPECT_EQ(stats.nodes, 7);
  EXPECT_EQ(stats.kernels, 3);
  EXPECT_EQ(stats.fused_passes, 1);
  EXPECT_EQ(stats.fused_ops, 2);
  EXPECT_EQ(stats.written_in_place, 1);

  // Without fusion every op is its own eager kernel, with the same bits.
  EvalStats unfused;
  const Tensor plain =
      Softmax(MatMul(Lazy(a), Lazy(b)) + Lazy(c) * 2.f).Eval({.fuse = false}, &unfused);
  ExpectBitEqual(plain, lazy);
  EXPECT_EQ(unfused.kernels, 4);
  EXPECT_EQ(unfused.fused_passes, 0);
}

TEST(LazyTest, BroadcastInputsFuseAndOtherBroadcastsRunEagerly) {
  const Tensor x = Random({6, 8}, 1), bias = Random({8}, 2), row = Random({1, 8}, 3);
  const Tensor s = Tensor::Scalar(0.5f), col = Random({6, 1}, 4);
  EvalStats stats;
  const Tensor y = Relu(Lazy(x) + Lazy(bias) + Lazy(row) * Lazy(s)).Eval({}, &stats);
  ExpectBitEqual(y, Relu(x + bias + row * s));
  EXPECT_EQ(stats.fused_passes, 1);  // the [1, 8] Mul is not the output's shape: eager
  EXPECT_EQ(stats.kernels, 2);
  // A column broadcast is not a suffix: that op runs eagerly, and the rest still matches.
  EvalStats col_stats;
  const Tensor z = Tanh(Lazy(x) * Lazy(col) + 1.f).Eval({}, &col_stats);
  ExpectBitEqual(z, Tanh(x * col + 1.f));
  EXPECT_EQ(col_stats.fused_passes, 1);  // (+1, Tanh) fused over the Mul's output
  EXPECT_EQ(col_stats.kernels, 2);
}

TEST(LazyTest, StridedLeavesAndEmptyTensors) {
  const Tensor base = Random({8, 6}, 1);
  const Tensor t = base.Transpose(0, 1);  // (6, 8), not contiguous
  ExpectBitEqual((Exp(Lazy(t)) * 2.f + 1.f).Eval(), Exp(t) * 2.f + 1.f);
  const Tensor empty = Tensor::Zeros({0, 4});
  EXPECT_EQ((Exp(Lazy(empty)) + 1.f).Eval().shape(), (Shape{0, 4}));
}

TEST(LazyTest, SharedNodesAreComputedOnceAndNotOverwritten) {
  const Tensor x = Random({100}, 1);
  const LazyTensor h = Exp(Lazy(x)) * 0.5f;  // read by two consumers: materialized once
  const LazyTensor y = Tanh(h) + Sigmoid(h);
  EvalStats stats;
  ExpectBitEqual(y.Eval({}, &stats), Tanh(Exp(x) * 0.5f) + Sigmoid(Exp(x) * 0.5f));
  EXPECT_EQ(stats.nodes, 6);
  EXPECT_EQ(stats.kernels, 2);  // h's pass (Exp, Mul) and y's pass (Tanh, Sigmoid, Add)
  EXPECT_EQ(stats.fused_ops, 5);
  // Several outputs of one graph: h is an output too, so nothing is written over it.
  const std::vector<Tensor> both = Eval({h, y});
  ExpectBitEqual(both[0], Exp(x) * 0.5f);
  ExpectBitEqual(both[1], Tanh(Exp(x) * 0.5f) + Sigmoid(Exp(x) * 0.5f));
  // x + x reads one node twice.
  ExpectBitEqual((Lazy(x) + Lazy(x) * 1.5f).Eval(), x + x * 1.5f);
  const LazyTensor lx = Lazy(x);
  ExpectBitEqual((Exp(lx) * Exp(lx)).Eval(), Exp(x) * Exp(x));
}

TEST(LazyTest, ExactIdentitiesAreDroppedAndInexactOnesKept) {
  Tensor x = Random({10}, 1);
  x.at({0}) = -0.f;
  EvalStats stats;
  const Tensor y = ((Lazy(x) * 1.f) / 1.f - 0.f).Eval({}, &stats);
  EXPECT_EQ(stats.simplified, 3);
  EXPECT_EQ(stats.kernels, 0);
  ExpectBitEqual(y, x);
  EXPECT_TRUE(y.SharesStorageWith(x));  // the leaf itself
  // x + 0.0 turns -0.0 into +0.0, so it is computed.
  EvalStats kept;
  const Tensor z = (Lazy(x) + 0.f).Eval({}, &kept);
  EXPECT_EQ(kept.simplified, 0);
  ExpectBitEqual(z, x + 0.f);
  EXPECT_FALSE(std::signbit(z.at({0})));
  EXPECT_EQ((Lazy(x) * 1.f).Eval({.simplify = false}).SharesStorageWith(x), false);
}

TEST(LazyTest, ReleasedBuffersAreRecycledAndLeavesNeverWritten) {
  const Tensor a = Random({32, 32}, 1), b = Random({32, 32}, 2);
  const Tensor a_before = a.Clone();
  // Two MatMuls feed separate passes; the first pass's input dies and its buffer is reused.
  const LazyTensor la = Lazy(a), lb = Lazy(b);
  const LazyTensor p = Relu(MatMul(la, lb) * 2.f + 1.f);
  const LazyTensor q = Softmax(p);
  const LazyTensor r = Tanh(MatMul(q, lb) - 1.f) + la;
  EvalStats stats;
  const Tensor lazy = r.Eval({}, &stats);
  const Tensor pe = Relu(MatMul(a, b) * 2.f + 1.f);
  ExpectBitEqual(lazy, Tanh(MatMul(Softmax(pe), b) - 1.f) + a);
  EXPECT_EQ(stats.written_in_place, 2);
  ExpectBitEqual(a, a_before);
  // reuse_buffers = false: same bits, nothing reused.
  EvalStats fresh;
  ExpectBitEqual(r.Eval({.reuse_buffers = false}, &fresh), lazy);
  EXPECT_EQ(fresh.written_in_place + fresh.recycled_buffers, 0);
}

TEST(LazyTest, ALeafSeesWritesMadeBeforeEval) {
  Tensor x = Tensor::Ones({4});
  const LazyTensor y = Lazy(x) * 3.f;
  x.Fill(2.f);
  EXPECT_EQ(y.Eval().ToVector(), (std::vector<float>{6, 6, 6, 6}));
}

TEST(LazyTest, EvalRecordsNoGradientHistory) {
  Tensor w = Random({4}, 1);
  w.set_requires_grad(true);
  const Tensor y = (Lazy(w) * 2.f + 1.f).Eval();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST(LazyTest, AsyncEvaluationEqualsSync) {
  const Tensor a = Random({50, 40}, 1), b = Random({40, 30}, 2);
  const LazyTensor y = Softmax(MatMul(Lazy(a), Lazy(b)) * 0.1f);
  std::vector<std::future<Tensor>> futures;
  for (int i = 0; i < 8; ++i) futures.push_back(y.EvalAsync());
  const Tensor sync = y.Eval();
  for (auto& f : futures) ExpectBitEqual(f.get(), sync);
  // The job owns the graph: the handle can go away before the worker runs it.
  std::future<Tensor> orphan = (Lazy(a) * 2.f + 3.f).EvalAsync();
  ExpectBitEqual(orphan.get(), a * 2.f + 3.f);
  EXPECT_THROW((void)LazyTensor().EvalAsync(), Error);
}

TEST(LazyTest, LongChainsDoNotOverflowTheStack) {
  const Tensor x = Random({16}, 1);
  LazyTensor y = Lazy(x);
  Tensor e = x;
  for (int i = 0; i < 2000; ++i) {
    y = y * 0.999f + 0.001f;
    e = e * 0.999f + 0.001f;
  }
  EvalStats stats;
  ExpectBitEqual(y.Eval({}, &stats), e);
  EXPECT_EQ(stats.fused_passes, 1);
  EXPECT_EQ(stats.fused_ops, 4000);
}

TEST(LazyTest, BadInputNamesTheOpAndShapes) {
  const LazyTensor a = Lazy(Random({3, 4}, 1)), b = Lazy(Random({5, 6}, 2));
  try {
    (void)(a + b);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("lazy Add"));
    EXPECT_THAT(e.what(), HasSubstr("[3, 4]"));
    EXPECT_THAT(e.what(), HasSubstr("[5, 6]"));
  }
  try {
    (void)MatMul(a, b);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("lazy MatMul: shapes [3, 4] and [5, 6]"));
    EXPECT_THAT(e.what(), HasSubstr("inner dims 4 != 5"));
  }
  EXPECT_THROW((void)Softmax(a, 2), Error);
  EXPECT_THROW((void)Softmax(Lazy(Tensor::Scalar(1.f))), Error);
  EXPECT_THROW((void)(LazyTensor() * 2.f), Error);
  EXPECT_THROW((void)LazyTensor().Eval(), Error);
  EXPECT_THROW((void)Lazy(Tensor()), Error);
  EXPECT_THROW((void)Lazy(Tensor::Zeros({2}, DType::kInt64)), Error);
}

}  // namespace
}  // namespace tinytorch
