// Private helpers shared by the tensor sources: shape arithmetic and the strided row iterator that
// every elementwise kernel and copy is built on.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/cpu.h"
#include "tinytorch/autograd.h"
#include "tinytorch/tensor.h"

namespace tinytorch::internal {

struct TensorAccess {
  static TensorImpl& Impl(const Tensor& t) { return *t.impl_; }
  static long Use(const Tensor& t) { return t.impl_.use_count(); }  // handles to t's impl
};

// True when grad mode is on and any argument requires grad: the cheap test every op makes before
// building a backward node.
template <class... T>
bool NeedsGrad(const T&... t) {
  return GradEnabled() && (t.requires_grad() || ...);
}

// Makes `out` the recorded result of op `name` with the given inputs and backward function.
void Attach(Tensor& out, const char* name, std::vector<Tensor> inputs, Node::BackwardFn backward);

// Throws if writing into `t` in place would corrupt a recorded graph.
void CheckInPlace(const Tensor& t, const char* op);

// Element count of `shape` (0 when any size is 0); throws (naming `op` and the shape) on negative
// sizes or when the strides of a packed tensor of `shape` would overflow int64.
int64_t NumelOf(const Shape& shape, const char* op);

// Bytes of a packed tensor of `shape` and `dtype`; throws like NumelOf, and over the per-tensor
// limit.
size_t StorageBytesOf(const Shape& shape, DType dtype, const char* op);

// Row-major strides for a packed tensor of `shape` (a size 0 counts as 1, as in PyTorch); throws
// when they overflow int64.
Shape ContiguousStrides(const Shape& shape);

// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t NormalizeDim(int64_t dim, int64_t ndim, const char* op);

// A fresh contiguous tensor whose contents are uninitialised: for outputs a kernel overwrites.
Tensor EmptyLike(const Shape& shape, DType dtype = DType::kFloat32);

// Throws unless `t` is a defined float32 tensor.
void CheckFloat(const Tensor& t, const char* op);

// Strides that make `t` (shape broadcastable to `shape`) read as `shape`: 0 on broadcast dims.
Shape BroadcastStrides(const Tensor& t, const Shape& shape);

// int64 scratch for ForEachRow's dims: on the stack up to kInline values (a rank-6 walk over three
// operands), on the heap beyond. Four heap vectors per call were a fifth of a small elementwise
// op's time.
class DimScratch {
 public:
  explicit DimScratch(size_t n) {
    if (n > kInline) {
      heap_.resize(n);
      data_ = heap_.data();
    }
  }
  DimScratch(const DimScratch&) = delete;
  DimScratch& operator=(const DimScratch&) = delete;
  int64_t* data() { return data_; }

 private:
  static constexpr size_t kInline = 32;
  int64_t inline_[kInline];
  std::vector<int64_t> heap_;
  int64_t* data_ = inline_;
};

// Calls body(offsets, n, inner_strides) once per innermost row of `shape`, where offsets[k] is the
// element offset of the row's first element in operand k. Dims of size 1 are dropped and adjacent
// dims that are contiguous for every operand are merged first, so packed operands become a single
// long row and the body's inner loop is where all the time goes.
template <size_t N, class Body>
void ForEachRow(const Shape& shape, const std::array<const Shape*, N>& strides, Body&& body) {
  const size_t rank = std::max<size_t>(shape.size(), 1);
  DimScratch scratch(rank * (N + 2));
  int64_t* const sizes = scratch.data();  // then the row index, then each operand's strides
  int64_t* const index = sizes + rank;
  const auto st = [&](size_t k) { return sizes + (2 + k) * rank; };
  size_t nd = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    bool merge = nd > 0;
    for (size_t k = 0; k < N && merge; ++k) merge = st(k)[nd - 1] == (*strides[k])[d] * shape[d];
    if (merge) {
      sizes[nd - 1] *= shape[d];
      for (size_t k = 0; k < N; ++k) st(k)[nd - 1] = (*strides[k])[d];
    } else {
      sizes[nd] = shape[d];
      for (size_t k = 0; k < N; ++k) st(k)[nd] = (*strides[k])[d];
      ++nd;
    }
  }
  if (nd == 0) {  // a single element
    sizes[0] = 1;
    for (size_t k = 0; k < N; ++k) st(k)[0] = 0;
    nd = 1;
  }
  std::array<int64_t, N> offsets{};
  std::array<int64_t, N> inner{};
  for (size_t k = 0; k < N; ++k) inner[k] = st(k)[nd - 1];
  if (nd == 1) {  // one long row, the packed case: apart from the walk below, whose live values
    body(offsets, sizes[0], inner);  // made GCC spill inside the row's loop (+30% instructions)
    return;
  }
  std::fill(index, index + nd, 0);
  while (true) {
    body(offsets, sizes[nd - 1], inner);
    size_t d = nd - 1;
    while (d-- > 0) {
      for (size_t k = 0; k < N; ++k) offsets[k] += st(k)[d];
      if (++index[d] < sizes[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= st(k)[d] * sizes[d];
      index[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) return;
  }
}

// out[i] = f(x[i]) into a fresh packed tensor; x may have any strides.
template <class F>
Tensor UnaryOp(const Tensor& x, const char* op, F f) {
  CheckFloat(x, op);
  Tensor out = EmptyLike(x.shape());
  const Shape& so = out.strides();
  const Shape& sx = x.strides();
  float* po = out.data<float>();
  const float* px = x.data<float>();
  ForEachRow<2>(x.shape(), {&so, &sx},
                [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
                  float* o = po + off[0];
                  const float* i = px + off[1];
                  if (s[1] == 1) {
                    for (int64_t k = 0; k < n; ++k) o[k] = f(i[k]);
                  } else {
                    for (int64_t k = 0; k < n; ++k) o[k] = f(i[k * s[1]]);
                  }
                });
  return out;
}

// Runs f(begin, end) over [0, n) in chunks of `chunk`, on the worker pool once n reaches
// `min_work` (below it waking the workers costs more than they save).
template <class F>
void ForChunks(int64_t n, int64_t chunk, int64_t min_work, F&& f) {
  kernels::ParallelFor((n + chunk - 1) / chunk, n, min_work, [&](int64_t c) {
    const int64_t begin = c * chunk;
    f(begin, std::min(n, begin + chunk));
  });
}

// UnaryOp for functions costly enough (erf, tanh: ~10 ns a value) that a large packed input pays
// for waking the threads; each element gets the same f, so the bits equal UnaryOp's.
template <class F>
Tensor CostlyUnaryOp(const Tensor& x, const char* op, F f) {
  constexpr int64_t kChunk = 8192;
  if (!x.is_contiguous()) return UnaryOp(x, op, f);
  CheckFloat(x, op);
  Tensor out = EmptyLike(x.shape());
  float* po = out.data<float>();
  const float* px = x.data<float>();
  const int64_t n = x.numel();
  ForChunks(n, kChunk, 4 * kChunk, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) po[k] = f(px[k]);
  });
  return out;
}

// CostlyUnaryOp for a function given over arrays, f(out, in, n): each chunk of a packed copy of x
// goes through f (which must give each element the same bits wherever it stands in the array).
template <class F>
Tensor CostlyArrayOp(const Tensor& x, const char* op, F f) {
  constexpr int64_t kChunk = 8192;
  CheckFloat(x, op);
  const Tensor xc = x.Contiguous();
  Tensor out = EmptyLike(x.shape());
  float* po = out.data<float>();
  const float* px = xc.data<float>();
  const int64_t n = xc.numel();
  ForChunks(n, kChunk, 4 * kChunk,
            [&](int64_t begin, int64_t end) { f(po + begin, px + begin, end - begin); });
  return out;
}

}  // namespace tinytorch::internal
