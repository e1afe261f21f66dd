// Module 01: the Tensor's storage model, views, math, reductions and matmul, checked by hand and
// against PyTorch golden cases.
#include "tinytorch/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/tensor_testing.h"
#include "tinytorch/acceleration.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor T(std::vector<float> v, Shape s) { return Tensor::FromData(std::move(v), s); }

// ---------------------------------------------------------------------------------------------
// Creation and metadata.

TEST(TensorTest, CreationFunctionsFillShapeAndValues) {
  const Tensor z = Tensor::Zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.strides(), (Shape{3, 1}));
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.ToVector(), std::vector<float>(6, 0.f));
  EXPECT_EQ(Tensor::Ones({4}).ToVector(), std::vector<float>(4, 1.f));
  EXPECT_EQ(Tensor::Full({2}, 2.5f).ToVector(), (std::vector<float>{2.5f, 2.5f}));
  const Tensor s = Tensor::Scalar(3.f);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 3.f);
}

TEST(TensorTest, ArangeCountsLikeTorch) {
  EXPECT_EQ(Tensor::Arange(0, 5).ToVector(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Tensor::Arange(1, 2, 0.25).ToVector(), (std::vector<float>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(Tensor::Arange(3, 0, -1).ToVector(), (std::vector<float>{3, 2, 1}));
  EXPECT_EQ(Tensor::Arange(0, 0).numel(), 0);
  EXPECT_THROW(Tensor::Arange(0, 1, 0), Error);
}

TEST(TensorTest, FromDataRejectsWrongElementCount) {
  EXPECT_THAT(
      [] {
        T({1, 2, 3, 4, 5, 6}, {2, 2});
      },
      ThrowsMessage<Error>(HasSubstr("6 values do not fill shape [2, 2] (4 elements)")));
  EXPECT_THAT(
      [] {
        Tensor::Zeros({2, -1});
      },
      ThrowsMessage<Error>(HasSubstr("negative size in shape [2, -1]")));
}

TEST(TensorTest, UndefinedTensorThrowsInsteadOfCrashing) {
  const Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_THROW(t.shape(), Error);
  EXPECT_THROW(Add(t, Tensor::Ones({1})), Error);
}

TEST(TensorTest, EmptyTensorsAreValid) {
  const Tensor e = Tensor::Zeros({0, 3});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ((e + 1.f).shape(), (Shape{0, 3}));
  EXPECT_EQ(e.Sum().item(), 0.f);
  EXPECT_EQ(e.Sum(0).shape(), (Shape{3}));
  EXPECT_TRUE(std::isnan(e.Mean().item()));  // PyTorch: the mean of nothing is NaN
  EXPECT_THAT([&] { e.Max(0); },
              ThrowsMessage<Error>(HasSubstr("Max: cannot reduce an empty dim")));
  EXPECT_THAT([&] { e.Max(); }, ThrowsMessage<Error>(HasSubstr("Max: cannot reduce an empty dim")));
  EXPECT_EQ(e.Max(1).shape(), (Shape{0}));  // a non-empty dim of an empty tensor reduces fine
}

// Issue 23: a zero-size dim that is not the first made a tensor "non-contiguous", so Flatten threw.
TEST(TensorTest, ZeroSizeDimAnywhereIsContiguousAndViewable) {
  for (const Shape& shape : {Shape{3, 0}, Shape{0, 5}, Shape{2, 0, 4}, Shape{2, 4, 0}}) {
    const Tensor z = Tensor::Zeros(shape);
    EXPECT_EQ(z.numel(), 0);
    EXPECT_TRUE(z.is_contiguous()) << ::testing::PrintToString(shape);
    EXPECT_EQ(z.Flatten().shape(), (Shape{0}));
    EXPECT_EQ(z.View({-1}).shape(), (Shape{0}));
    EXPECT_TRUE(z.Transpose(0, -1).is_contiguous());  // nothing is out of place
    EXPECT_TRUE(z.Transpose(0, -1).Contiguous().SharesStorageWith(z));
    EXPECT_EQ(z.ToVector(), std::vector<float>{});
  }
  // PyTorch's strides: a size 0 counts as 1 for the strides of the dims before it.
  EXPECT_EQ(Tensor::Zeros({3, 0}).strides(), (Shape{1, 1}));
  EXPECT_EQ(Tensor::Zeros({2, 0, 4}).strides(), (Shape{4, 4, 1}));
  EXPECT_EQ(Tensor::Zeros({2, 0, 4}).Reshape({4, 0, 2}).shape(), (Shape{4, 0, 2}));
  EXPECT_EQ(Tensor::Zeros({2, 0, 4}).Reshape({-1, 4}).shape(), (Shape{0, 4}));
  EXPECT_THROW(Tensor::Zeros({2, 0, 4}).Reshape({0, -1}), Error);  // ambiguous, as in PyTorch
  // With a 0 beside it, a -1 could be anything: PyTorch calls it ambiguous, so do we.
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({0, 3}).View({-1, 0});
      },
      ThrowsMessage<Error>(HasSubstr("the -1 could be any size")));
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({0, 3}).View({2, -1, -1});
      },
      ThrowsMessage<Error>(HasSubstr("more than one -1")));
}

TEST(TensorTest, ZeroSizeDimsThroughElementwiseSlicesAndStack) {
  const Tensor a = Tensor::Zeros({3, 0});
  EXPECT_EQ((a + Tensor::Ones({3, 1})).shape(), (Shape{3, 0}));  // 1 broadcasts to 0
  EXPECT_EQ((Tensor::Ones({1}) * a).shape(), (Shape{3, 0}));
  EXPECT_THROW(a + Tensor::Ones({3, 2}), Error);  // 2 does not
  EXPECT_EQ(Exp(a.Transpose(0, 1)).shape(), (Shape{0, 3}));
  EXPECT_EQ(Tensor::Ones({4, 5}).Slice(1, 3, 3).shape(), (Shape{4, 0}));
  EXPECT_EQ(Tensor::Ones({4, 5}).Slice(1, 3, 3).Sum(1).ToVector(), std::vector<float>(4, 0.f));
  EXPECT_EQ(Stack({a, a}).shape(), (Shape{2, 3, 0}));
  Tensor b = Tensor::Zeros({2, 0, 4});
  b.Fill(1.f);  // writes nothing, reads nothing out of bounds
  b += 1.f;
  EXPECT_EQ(b.Clone().shape(), (Shape{2, 0, 4}));
  // A step far longer than the dim takes its one element without overflowing the stride.
  const Tensor s = Tensor::Arange(0, 6).View({2, 3}).Slice(1, 1, 3, int64_t{1} << 62);
  EXPECT_EQ(s.shape(), (Shape{2, 1}));
  EXPECT_EQ(s.ToVector(), (std::vector<float>{1, 4}));
}

TEST(TensorTest, EmptyReductionsFollowPyTorch) {
  const Tensor x = Tensor::Zeros({3, 0});
  EXPECT_EQ(x.Sum(1).ToVector(), std::vector<float>(3, 0.f));  // the sum over nothing is 0
  EXPECT_EQ(x.Sum(0).shape(), (Shape{0}));
  const std::vector<float> means = x.Mean(1).ToVector();
  ASSERT_EQ(means.size(), 3u);
  for (float m : means) EXPECT_TRUE(std::isnan(m));  // the mean over nothing is NaN
  EXPECT_EQ(x.Mean(0).shape(), (Shape{0}));
  EXPECT_EQ(x.Mean(0, /*keepdims=*/true).shape(), (Shape{1, 0}));
  EXPECT_EQ(x.Argmax(0).shape(), (Shape{0}));
  EXPECT_THAT([&] { x.Argmax(1); }, ThrowsMessage<Error>(HasSubstr("cannot reduce an empty dim")));
}

// An empty inner dim gives zeros on every backend (the output buffer starts uninitialised).
TEST(TensorTest, MatMulWithEmptyInnerDimIsZerosOnEveryBackend) {
  for (MatMulBackend backend : kAllMatMulBackends) {
    SCOPED_TRACE(MatMulBackendName(backend));
    const Tensor out = MatMul(Tensor::Ones({3, 0}), Tensor::Ones({0, 4}), backend);
    EXPECT_EQ(out.shape(), (Shape{3, 4}));
    EXPECT_EQ(out.ToVector(), std::vector<float>(12, 0.f));
    const Tensor batched = MatMul(Tensor::Ones({2, 3, 0}), Tensor::Ones({0, 4}), backend);
    EXPECT_EQ(batched.ToVector(), std::vector<float>(24, 0.f));
    EXPECT_EQ(MatMul(Tensor::Ones({0, 3}), Tensor::Ones({3, 4}), backend).shape(), (Shape{0, 4}));
    EXPECT_EQ(MatMul(Tensor::Ones({0}), Tensor::Ones({0})).item(), 0.f);
  }
}

// Issue 23: shape arithmetic is overflow-checked and names the shape; a 0 size makes the element
// count 0, but the strides (from the other sizes) must still fit in int64, as in PyTorch >= 2.
TEST(TensorTest, HugeShapesAreClearErrorsNotOverflow) {
  const int64_t big = int64_t{1} << 61;
  const Tensor fine = Tensor::Zeros({0, big, 2});
  EXPECT_EQ(fine.numel(), 0);
  EXPECT_EQ(fine.strides(), (Shape{big * 2, 2, 1}));
  EXPECT_EQ(fine.Flatten().shape(), (Shape{0}));
  EXPECT_EQ(fine.Sum(1).shape(), (Shape{0, 2}));
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({0, big, 512});
      },
      ThrowsMessage<Error>(
          HasSubstr("Tensor::Zeros: shape [0, 2305843009213693952, 512] is too large (its strides "
                    "overflow int64)")));
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({big, 8});
      },
      ThrowsMessage<Error>(HasSubstr("is too large (its strides overflow int64)")));
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({big, 2});
      },
      ThrowsMessage<Error>(HasSubstr("shape [2305843009213693952, 2] of float32 needs "
                                     "4611686018427387904 elements of 4 bytes, over the")));
  EXPECT_THAT(
      [&] {
        Tensor::Zeros({3, -1});
      },
      ThrowsMessage<Error>(HasSubstr("Tensor::Zeros: negative size in shape [3, -1]")));
  EXPECT_THAT(
      [&] {
        Tensor::Ones({4}).View({big, big, 0});
      },
      ThrowsMessage<Error>(HasSubstr("Tensor::View: shape")));
}

// ---------------------------------------------------------------------------------------------
// Storage sharing and views.

TEST(TensorTest, CopiesShareEverythingAndCloneIsDeep) {
  Tensor a = T({1, 2, 3}, {3});
  Tensor b = a;
  b.at({0}) = 10.f;
  EXPECT_EQ(a.at({0}), 10.f);
  EXPECT_TRUE(a.SharesStorageWith(b));
  Tensor c = a.Clone();
  c.at({1}) = 20.f;
  EXPECT_EQ(a.at({1}), 2.f);
  EXPECT_FALSE(a.SharesStorageWith(c));
}

TEST(TensorTest, ViewsShareStorageAndSeeWrites) {
  Tensor a = Tensor::Arange(0, 12).View({3, 4});
  Tensor col = a.Slice(1, 1, 2).Squeeze(1);  // column 1: 1, 5, 9
  EXPECT_EQ(col.ToVector(), (std::vector<float>{1, 5, 9}));
  col.Fill(-1.f);
  EXPECT_EQ(a.at({2, 1}), -1.f);
  Tensor row = a.Select(0, -1);
  EXPECT_EQ(row.ToVector(), (std::vector<float>{8, -1, 10, 11}));
  EXPECT_TRUE(row.SharesStorageWith(a));
}

TEST(TensorTest, ReshapeInfersOneDimAndCopiesOnlyWhenNeeded) {
  const Tensor a = Tensor::Arange(0, 24);
  const Tensor v = a.Reshape({2, -1, 4});
  EXPECT_EQ(v.shape(), (Shape{2, 3, 4}));
  EXPECT_TRUE(v.SharesStorageWith(a));
  const Tensor t = v.Transpose(0, 2);
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THAT([&] { t.View({24}); }, ThrowsMessage<Error>(HasSubstr("is not contiguous")));
  const Tensor flat = t.Reshape({24});
  EXPECT_FALSE(flat.SharesStorageWith(a));
  EXPECT_EQ(flat.at({1}), 12.f);  // t[0][0][1] = v[1][0][0]
  EXPECT_THAT(
      [&] {
        a.Reshape({5, -1});
      },
      ThrowsMessage<Error>(HasSubstr("cannot view shape [24]")));
  EXPECT_THROW(a.Reshape({-1, -1}), Error);
}

TEST(TensorTest, TransposeAndPermuteReorderStrides) {
  const Tensor a = Tensor::Zeros({2, 3, 4});
  EXPECT_EQ(a.Transpose(0, -1).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(a.Transpose(0, -1).strides(), (Shape{1, 4, 12}));
  EXPECT_EQ(a.Permute({1, 2, 0}).shape(), (Shape{3, 4, 2}));
  EXPECT_THAT(
      [&] {
        a.Permute({0, 0, 1});
      },
      ThrowsMessage<Error>(HasSubstr("is not a permutation")));
  EXPECT_THAT([&] { a.Transpose(0, 3); },
              ThrowsMessage<Error>(HasSubstr("dim 3 is out of range for a tensor with 3 dims")));
}

TEST(TensorTest, SliceClampsLikePythonAndHonoursStep) {
  const Tensor a = Tensor::Arange(0, 10);
  EXPECT_EQ(a.Slice(0, 2, 8, 3).ToVector(), (std::vector<float>{2, 5}));
  EXPECT_EQ(a.Slice(0, -3, 100).ToVector(), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(a.Slice(0, 5, 2).numel(), 0);
  EXPECT_THROW(a.Slice(0, 0, 5, 0), Error);
}

TEST(TensorTest, UnsqueezeSqueezeAndExpand) {
  const Tensor a = T({1, 2, 3}, {3});
  EXPECT_EQ(a.Unsqueeze(0).shape(), (Shape{1, 3}));
  EXPECT_EQ(a.Unsqueeze(-1).shape(), (Shape{3, 1}));
  EXPECT_EQ(a.Unsqueeze(0).Squeeze(0).shape(), (Shape{3}));
  EXPECT_THAT([&] { a.Squeeze(0); },
              ThrowsMessage<Error>(HasSubstr("dim 0 of shape [3] is not 1")));
  const Tensor e = a.Expand({2, 3});
  EXPECT_EQ(e.strides(), (Shape{0, 1}));
  EXPECT_EQ(e.ToVector(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  EXPECT_THROW(a.Expand({2, 4}), Error);
}

TEST(TensorTest, AtIsBoundsCheckedAndAcceptsNegativeIndices) {
  const Tensor a = Tensor::Arange(0, 6).View({2, 3});
  EXPECT_EQ(a.at({-1, -1}), 5.f);
  EXPECT_THAT([&] { a.at({2, 0}); }, ThrowsMessage<Error>(HasSubstr("index 2 is out of range")));
  EXPECT_THAT([&] { a.at({0}); },
              ThrowsMessage<Error>(HasSubstr("1 indices for a tensor of shape [2, 3]")));
  EXPECT_THAT([&] { a.at<int64_t>({0, 0}); }, ThrowsMessage<Error>(HasSubstr("dtype float32")));
}

TEST(TensorTest, FromStorageRejectsViewsOutsideTheBuffer) {
  auto storage = std::make_shared<Storage>(4 * sizeof(float));
  EXPECT_NO_THROW(Tensor::FromStorage(storage, DType::kFloat32, {2, 2}, {2, 1}, 0));
  EXPECT_THAT(
      [&] {
        Tensor::FromStorage(storage, DType::kFloat32, {2, 2}, {2, 1}, 1);
      },
      ThrowsMessage<Error>(HasSubstr("reaches outside a storage of 4 elements")));
}

// ---------------------------------------------------------------------------------------------
// Elementwise math.

TEST(TensorTest, ArithmeticByHand) {
  const Tensor a = T({1, 2, 3, 4}, {2, 2});
  const Tensor b = T({10, 20}, {2});
  EXPECT_EQ((a + b).ToVector(), (std::vector<float>{11, 22, 13, 24}));
  EXPECT_EQ((a - b).ToVector(), (std::vector<float>{-9, -18, -7, -16}));
  EXPECT_EQ((a * 2.f).ToVector(), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ((1.f - a).ToVector(), (std::vector<float>{0, -1, -2, -3}));
  EXPECT_EQ((12.f / a).ToVector(), (std::vector<float>{12, 6, 4, 3}));
  EXPECT_EQ((-a).ToVector(), (std::vector<float>{-1, -2, -3, -4}));
  EXPECT_EQ(Pow(a, 2.f).ToVector(), (std::vector<float>{1, 4, 9, 16}));
  EXPECT_EQ(Clamp(a, 2, 3).ToVector(), (std::vector<float>{2, 2, 3, 3}));
  EXPECT_EQ(Gt(a, T({2.5f}, {1})).ToVector(), (std::vector<float>{0, 0, 1, 1}));
}

TEST(TensorTest, BroadcastErrorNamesOpAndShapes) {
  EXPECT_THAT(
      [] {
        Add(Tensor::Zeros({2, 3}), Tensor::Zeros({4}));
      },
      ThrowsMessage<Error>(HasSubstr("Add: shapes [2, 3] and [4] cannot be broadcast")));
  EXPECT_THAT([] { Clamp(Tensor::Zeros({1}), 2, 1); },
              ThrowsMessage<Error>(HasSubstr("Clamp: min 2 is greater than max 1")));
}

TEST(TensorTest, MathRejectsIntegerTensors) {
  const Tensor idx = Tensor::FromData(std::vector<int64_t>{1, 2}, {2});
  EXPECT_THAT([&] { idx.Mean(); },
              ThrowsMessage<Error>(HasSubstr("Mean: expects float32, got int64")));
  EXPECT_THAT([&] { idx.Mean(0); },
              ThrowsMessage<Error>(HasSubstr("Mean: expects float32, got int64")));
  EXPECT_THAT(
      [&] { Exp(idx); },
      ThrowsMessage<Error>(HasSubstr("Exp: expects float32, got int64 tensor of shape [2]")));
}

TEST(TensorTest, InPlaceOpsWriteThroughEveryHandle) {
  Tensor a = Tensor::Zeros({2, 3});
  Tensor view = a.Transpose(0, 1);
  view += T({1, 2}, {2});  // view is (3, 2): adds 1 to row 0 of a, 2 to row 1
  EXPECT_EQ(a.ToVector(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  a *= 3.f;
  EXPECT_EQ(view.at({2, 1}), 6.f);
  a += a;  // aliasing the destination itself is fine
  EXPECT_EQ(a.at({0, 0}), 6.f);
  EXPECT_THAT(
      [&] {
        a += Tensor::Zeros({4, 2, 3});
      },
      ThrowsMessage<Error>(HasSubstr("does not broadcast to the destination shape [2, 3]")));
}

TEST(TensorTest, InPlaceOpReadsOverlappingSourceBeforeWriting) {
  Tensor a = Tensor::Arange(0, 4);
  Tensor shifted = a.Slice(0, 0, 3);  // overlaps a.Slice(0, 1, 4)
  Tensor dst = a.Slice(0, 1, 4);
  dst += shifted;  // every element must read the value from before the op: 1+0, 2+1, 3+2
  EXPECT_EQ(a.ToVector(), (std::vector<float>{0, 1, 3, 5}));
}

// An Expand view has four elements at each address: adding into it would add four times.
TEST(TensorTest, InPlaceWritesToAnExpandViewAreRefused) {
  Tensor x = Tensor::Zeros({1, 3});
  Tensor e = x.Expand({4, 3});
  EXPECT_THAT(
      [&] {
        e += Tensor::Ones({4, 3});
      },
      ThrowsMessage<Error>(HasSubstr("in-place write to a tensor of shape [4, 3] whose "
                                     "elements share memory (dimension 0 has stride 0")));
  EXPECT_THROW(e.CopyFrom(Tensor::Ones({4, 3})), Error);
  EXPECT_EQ(x.ToVector(), (std::vector<float>{0, 0, 0}));
  Tensor one = x.Expand({1, 3});  // a stride-0 dimension of size 1 shares nothing
  one += Tensor::Ones({1, 3});
  EXPECT_EQ(x.ToVector(), (std::vector<float>{1, 1, 1}));
}

// ---------------------------------------------------------------------------------------------
// Reductions.

TEST(TensorTest, ReductionsByHand) {
  const Tensor a = T({1, 5, 3, 4, 2, 6}, {2, 3});
  EXPECT_EQ(a.Sum().item(), 21.f);
  EXPECT_EQ(a.Sum(0).ToVector(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(a.Sum(1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(a.Mean(1).ToVector(), (std::vector<float>{3, 4}));
  EXPECT_EQ(a.Max(1).ToVector(), (std::vector<float>{5, 6}));
  EXPECT_EQ(a.Min(0).ToVector(), (std::vector<float>{1, 2, 3}));
  const Tensor am = a.Argmax(1);
  EXPECT_EQ(am.dtype(), DType::kInt64);
  EXPECT_EQ(am.at<int64_t>({0}), 1);
  EXPECT_EQ(am.at<int64_t>({1}), 2);
  EXPECT_EQ(a.Argmax().at<int64_t>({}), 5);
  EXPECT_THAT(
      [&] { a.Sum(2); },
      ThrowsMessage<Error>(HasSubstr("Sum: dim 2 is out of range for a tensor with 2 dims")));
}

TEST(TensorTest, SumAccumulatesInDoublePrecision) {
  // 2^24 + 1 is not a float: a float accumulator stalls at 16777216 for 2^24 + 8 ones.
  const Tensor ones = Tensor::Ones({(1 << 24) + 8});
  EXPECT_EQ(ones.Sum().item(), static_cast<float>((1 << 24) + 8));
}

TEST(TensorTest, MaxMinArgmaxPropagateNaN) {
  const Tensor a = T({1, NAN, 3}, {3});
  EXPECT_TRUE(std::isnan(a.Max().item()));
  EXPECT_TRUE(std::isnan(a.Min().item()));
  EXPECT_EQ(a.Argmax().at<int64_t>({}), 1);
}

// ---------------------------------------------------------------------------------------------
// MatMul.

TEST(TensorTest, MatMulByHand) {
  const Tensor a = T({1, 2, 3, 4}, {2, 2});
  const Tensor b = T({5, 6, 7, 8}, {2, 2});
  for (MatMulBackend backend : {MatMulBackend::kNaive, MatMulBackend::kOpenBlas}) {
    SCOPED_TRACE(MatMulBackendName(backend));
    EXPECT_EQ(MatMul(a, b, backend).ToVector(), (std::vector<float>{19, 22, 43, 50}));
    EXPECT_EQ(MatMul(a.Transpose(0, 1), b, backend).ToVector(),
              (std::vector<float>{26, 30, 38, 44}));
  }
}

TEST(TensorTest, MatMulShapeErrorNamesShapesAndInnerDims) {
  EXPECT_THAT(
      [] {
        MatMul(Tensor::Zeros({2, 3}), Tensor::Zeros({4, 5}));
      },
      ThrowsMessage<Error>(
          HasSubstr("MatMul: shapes [2, 3] and [4, 5] cannot be multiplied (inner dims 3 != 4)")));
  EXPECT_THAT([] { MatMul(Tensor::Scalar(1), Tensor::Zeros({1})); },
              ThrowsMessage<Error>(HasSubstr("0-d operand")));
  EXPECT_THAT(
      [] {
        MatMul(Tensor::Zeros({2, 2, 3}), Tensor::Zeros({3, 3, 1}));
      },
      ThrowsMessage<Error>(HasSubstr("MatMul: shapes [2] and [3] cannot be broadcast")));
}

TEST(TensorTest, MatMulBackendsAgreeOnAwkwardSizes) {
  Generator gen(7);
  for (int64_t n : {1, 7, 33, 257}) {
    const Tensor a = Tensor::RandN({n, n + 3}, gen);
    const Tensor b = Tensor::RandN({n + 3, n}, gen);
    SCOPED_TRACE("n=" + std::to_string(n));
    const Tensor ref = MatMul(a, b, MatMulBackend::kNaive);
    EXPECT_TENSOR_CLOSE(MatMul(a, b, MatMulBackend::kOpenBlas), ref, 1e-4, 1e-4);
    // The same product from transposed storage: exercises the BLAS transpose flags.
    const Tensor at = a.Transpose(0, 1).Contiguous().Transpose(0, 1);
    EXPECT_TENSOR_CLOSE(MatMul(at, b, MatMulBackend::kOpenBlas), ref, 1e-4, 1e-4);
    // Every other column: neither row- nor column-packed, so it is packed before BLAS.
    const Tensor wide = Tensor::RandN({n, 2 * (n + 3)}, gen);
    const Tensor strided = wide.Slice(1, 0, 2 * (n + 3), 2);
    EXPECT_TENSOR_CLOSE(MatMul(strided, b, MatMulBackend::kOpenBlas),
                        MatMul(strided, b, MatMulBackend::kNaive), 1e-4, 1e-4);
  }
}

TEST(TensorTest, DefaultMatMulBackendIsChosenPerMachineAndSwitchable) {
  const MatMulChoice chosen = DefaultMatMulChoice();
  EXPECT_EQ(DefaultMatMulBackend(), chosen.large);
  EXPECT_FALSE(chosen.source.empty());
  EXPECT_EQ(MatMulBackendFor(4, 4, 4), chosen.small);
  EXPECT_EQ(MatMulBackendFor(256, 256, 256), chosen.large);
  SetDefaultMatMulBackend(MatMulBackend::kNaive);
  EXPECT_EQ(DefaultMatMulBackend(), MatMulBackend::kNaive);
  EXPECT_EQ(MatMulBackendFor(4, 4, 4), MatMulBackend::kNaive);
  EXPECT_EQ(DefaultMatMulChoice().source, "SetDefaultMatMulBackend(naive)");
  EXPECT_EQ(MatMul(Tensor::Ones({2, 3}), Tensor::Ones({3})).ToVector(), (std::vector<float>{3, 3}));
  SetDefaultMatMulBackend(chosen.large);
  EXPECT_STREQ(MatMulBackendName(MatMulBackend::kOpenBlas), "openblas");
  for (const MatMulBackend b : kAllMatMulBackends)
    EXPECT_EQ(ParseMatMulBackend(MatMulBackendName(b)), b);
  EXPECT_FALSE(ParseMatMulBackend("fastest").has_value());
}

// ---------------------------------------------------------------------------------------------
// Randomness, memory accounting, printing, comparison helpers.

TEST(TensorTest, GeneratorIsReproducibleAndForksIndependentStreams) {
  Generator a(42), b(42);
  EXPECT_EQ(Tensor::RandN({8}, a).ToVector(), Tensor::RandN({8}, b).ToVector());
  Generator child = a.Fork();
  EXPECT_NE(Tensor::Rand({8}, a).ToVector(), Tensor::Rand({8}, child).ToVector());
  static_assert(!std::is_copy_constructible_v<Generator>);
}

TEST(TensorTest, RandomTensorsHaveTheRequestedMoments) {
  Generator gen(123);
  const Tensor n = Tensor::RandN({200000}, gen, 2.f, 3.f);
  EXPECT_NEAR(n.Mean().item(), 2.0, 0.03);  // standard error 3/√200000 ≈ 0.0067
  const Tensor centered = n - 2.f;
  EXPECT_NEAR(std::sqrt((centered * centered).Mean().item()), 3.0, 0.03);
  const Tensor u = Tensor::Rand({200000}, gen, -1.f, 1.f);
  EXPECT_GE(u.Min().item(), -1.f);
  EXPECT_LT(u.Max().item(), 1.f);
  EXPECT_NEAR(u.Mean().item(), 0.0, 0.01);
}

TEST(TensorTest, StorageStatsCountLiveAndPeakBytes) {
  const StorageStats before = GetStorageStats();
  ResetStoragePeak();
  {
    const Tensor big = Tensor::Zeros({1 << 20});  // 4 MiB
    EXPECT_EQ(GetStorageStats().live_bytes - before.live_bytes, 4 << 20);
  }
  const StorageStats after = GetStorageStats();
  EXPECT_EQ(after.live_bytes, before.live_bytes);
  EXPECT_GE(after.peak_bytes - before.live_bytes, 4 << 20);
  EXPECT_EQ(after.allocations, before.allocations + 1);
}

TEST(TensorTest, FreedLargeBlocksAreReusedAndZeroedAgain) {
  const int64_t previous = SetStorageCacheLimit(64 << 20);
  const float* first = nullptr;
  {
    Tensor big = Tensor::Zeros({1 << 18});  // 1 MiB: cached when freed
    big.Fill(3.f);
    first = big.data<float>();
  }
  EXPECT_GE(GetStorageStats().cached_bytes, 1 << 20);
  {
    const Tensor again = Tensor::Zeros({1 << 18});
    EXPECT_EQ(again.data<float>(), first);  // the same block, not a fresh one from the OS
    EXPECT_EQ(again.Max().item(), 0.f);     // and zeroed again
    EXPECT_GE(GetStorageStats().live_bytes, 1 << 20);
  }
  SetStorageCacheLimit(0);
  EXPECT_EQ(GetStorageStats().cached_bytes, 0);
  EXPECT_THAT([] { SetStorageCacheLimit(-1); }, ThrowsMessage<Error>(HasSubstr("negative")));
  SetStorageCacheLimit(previous);
}

TEST(TensorTest, PrintsLikePyTorch) {
  EXPECT_EQ(ToString(T({1, 2, 3, 4}, {2, 2})),
            "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])");
  EXPECT_EQ(ToString(Tensor::Scalar(0.5f)), "tensor(0.5000)");
  EXPECT_EQ(ToString(Tensor::FromData(std::vector<int64_t>{3, 1}, {2})),
            "tensor([3, 1], dtype=int64)");
  EXPECT_EQ(ToString(Tensor::Zeros({0, 2})), "tensor([], size=[0, 2])");
  const std::string big = ToString(Tensor::Arange(0, 2000));
  EXPECT_THAT(big, HasSubstr("[0.0000, 1.0000, 2.0000, ..., 1997.0000, 1998.0000, 1999.0000]"));
  std::ostringstream os;
  os << T({NAN, INFINITY}, {2});
  EXPECT_EQ(os.str(), "tensor([nan, inf])");
}

TEST(TensorTest, AllCloseAndMaxAbsDiff) {
  const Tensor a = T({1, 2, INFINITY, NAN}, {4});
  EXPECT_TRUE(AllClose(a, a));
  EXPECT_FALSE(AllClose(a, T({1, 2, INFINITY, 0}, {4})));
  EXPECT_TRUE(AllClose(T({1.f}, {1}), T({1.00001f}, {1}), 1e-4));
  EXPECT_FALSE(AllClose(T({1.f}, {1}), T({1.f, 1.f}, {2})));
  EXPECT_DOUBLE_EQ(MaxAbsDiff(T({1, 5}, {2}), T({1.5f, 4}, {2})), 1.0);
  EXPECT_THROW(MaxAbsDiff(T({1}, {1}), T({1, 2}, {2})), Error);
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden cases (tools/golden/make_golden.py), through the shared op table.

class TensorGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(TensorGoldenTest, MatchesPyTorch) {
  testing::CheckGoldenCase(GetParam(), testing::GoldenOps());
}

INSTANTIATE_TEST_SUITE_P(PyTorch, TensorGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_01_tensor.json")),
                         testing::GoldenCaseName);

// Zero-size dims anywhere, forward, as PyTorch gives them (edge_shapes_grad.json has the backward).
INSTANTIATE_TEST_SUITE_P(EdgeShapes, TensorGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("edge_shapes.json")),
                         testing::GoldenCaseName);

}  // namespace
}  // namespace tinytorch
