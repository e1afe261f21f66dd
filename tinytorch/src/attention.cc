// Module 12: fused scaled dot-product attention (forward and backward side by side) and
// multi-head attention built from it.
#include "tinytorch/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/vector_math.h"
#include "tensor_internal.h"
#include "tinytorch/autograd.h"

namespace tinytorch {

namespace {

// Masked, numerically stable softmax over the rows of s (rows, tk), in place. keep (rows, tk) is
// nonzero where attention is allowed (or null); under `causal`, row r (query r % tq) sees keys
// j ≤ r % tq + tk − tq. Returns the first row with nothing to attend to, or -1.
// Keys past the causal edge get 0 without an exp (half the work of a causal row); the rows are
// independent, so large score tensors are split over threads in blocks of rows.
int64_t MaskedSoftmaxRows(float* s, const float* keep, int64_t rows, int64_t tq, int64_t tk,
                          bool causal) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const SimdLevel isa = ActiveSimdLevel();
  const auto softmax = [=](int64_t r) {
    float* row = s + r * tk;
    const int64_t visible = causal ? std::min(tk, r % tq + tk - tq + 1) : tk;
    for (int64_t j = std::max<int64_t>(visible, 0); j < tk; ++j) row[j] = 0.f;
    if (keep != nullptr) {
      const float* m = keep + r * tk;
      for (int64_t j = 0; j < visible; ++j) {
        if (m[j] == 0.f) row[j] = kNegInf;
      }
    }
    float max = kNegInf;
    for (int64_t j = 0; j < visible; ++j) max = std::max(max, row[j]);
    if (max == kNegInf) {
      // std::max skips a NaN (beside a finite score it still makes the row NaN, through exp). A
      // row of NaN and masked scores is NaN too, as PyTorch's, not a row with every key masked.
      if (std::none_of(row, row + visible, [](float v) { return std::isnan(v); })) return false;
      std::fill(row, row + visible, std::numeric_limits<float>::quiet_NaN());
      return true;
    }
    for (int64_t j = 0; j < visible; ++j) row[j] -= max;
    kernels::Exp(row, row, visible, isa);
    // Eight running sums: one would make each addition wait for the last (a double add's latency
    // per key).
    double sums[8] = {};
    int64_t p = 0;
    for (; p + 8 <= visible; p += 8) {
      for (int l = 0; l < 8; ++l) sums[l] += row[p + l];
    }
    for (; p < visible; ++p) sums[0] += row[p];
    const double sum = ((sums[0] + sums[1]) + (sums[2] + sums[3])) +
                       ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    const auto inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < visible; ++j) row[j] *= inv;
    return true;
  };
  constexpr int64_t kRowsPerTask = 64;
  const int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  std::vector<int64_t> first_bad(tasks, -1);
  const auto block = [&](int64_t t) {
    for (int64_t r = t * kRowsPerTask; r < std::min(rows, (t + 1) * kRowsPerTask); ++r) {
      if (!softmax(r)) {
        first_bad[t] = r;
        return;
      }
    }
  };
  kernels::ParallelFor(tasks, rows * tk, int64_t{1} << 16, block);
  for (const int64_t r : first_bad) {
    if (r >= 0) return r;
  }
  return -1;
}

// The mask as a packed float32 (…, Tq, Tk) tensor of 0/1 values.
Tensor KeepMask(const Tensor& mask, const Shape& scores_shape, const Tensor& q, const Tensor& k) {
  TT_CHECK(mask.dtype() == DType::kFloat32 || mask.dtype() == DType::kInt64,
           "ScaledDotProductAttention: mask must be float32 or int64, got ",
           DTypeName(mask.dtype()));
  bool fits = mask.dim() <= static_cast<int64_t>(scores_shape.size());
  for (int64_t d = 1; fits && d <= mask.dim(); ++d) {
    const int64_t m = mask.shape()[mask.dim() - d], s = scores_shape[scores_shape.size() - d];
    fits = m == 1 || m == s;
  }
  TT_CHECK(fits, "ScaledDotProductAttention: mask ", mask.shape(),
           " does not broadcast to the scores ", scores_shape, " of q ", q.shape(), " and k ",
           k.shape());
  if (mask.dtype() == DType::kFloat32) return mask.Expand(scores_shape).Contiguous();
  const Tensor m = mask.Expand(scores_shape).Contiguous();
  Tensor out = internal::EmptyLike(scores_shape);
  const int64_t* pm = m.data<int64_t>();
  float* po = out.data<float>();
  for (int64_t i = 0; i < out.numel(); ++i) po[i] = pm[i] != 0 ? 1.f : 0.f;
  return out;
}

}  // namespace

// Backward, with P the saved probabilities and dO the upstream gradient:
//   dV = Pᵀ dO,  dP = dO Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / √d,  dK = dSᵀ Q / √d,
// each summed back over broadcast batch dims. Masked entries have P = 0, so they get dS = 0.
Tensor ScaledDotProductAttention(const Tensor& q, const Tensor& k, const Tensor& v,
                                 const Tensor& mask, bool causal, Tensor* weights) {
  const char* op = "ScaledDotProductAttention";
  for (const Tensor* t : {&q, &k, &v}) internal::CheckFloat(*t, op);
  TT_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op, ": q ", q.shape(), ", k ", k.shape(),
           " and v ", v.shape(), " must be at least 2-d (..., T, d)");
  TT_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2), op, ": q ", q.shape(), ", k ",
           k.shape(), " and v ", v.shape(),
           " do not fit (q and k need the same last dim, k and v the same length)");
  const int64_t tq = q.size(-2), tk = k.size(-2), d = q.size(-1);
  // No query (or an empty batch) is an empty result; no key would leave every query with nothing
  // to attend to, the error a fully masked row is.
  TT_CHECK(tk > 0, op, ": no key to attend to (q ", q.shape(), ", k ", k.shape(), ")");
  const float scale = 1.f / std::sqrt(static_cast<float>(d));

  Tensor probs, out;
  {
    NoGradGuard no_grad;
    probs = MatMul(q, k.Transpose(-1, -2));  // (..., Tq, Tk), packed
    probs *= scale;
    const Tensor keep = mask.defined() ? KeepMask(mask, probs.shape(), q, k) : Tensor();
    const int64_t bad =
        MaskedSoftmaxRows(probs.data<float>(), keep.defined() ? keep.data<float>() : nullptr,
                          probs.numel() / tk, tq, tk, causal);
    TT_CHECK(bad < 0, op, ": query ", bad % tq, " (row ", bad, " of scores ", probs.shape(),
             ") has every key masked");
    out = MatMul(probs, v);
  }
  if (weights != nullptr) *weights = probs.Clone();  // the backward keeps probs: hand out a copy
  if (internal::NeedsGrad(q, k, v)) {
    internal::Attach(
        out, op, {q, k, v}, [q, k, v, probs, scale, tk](const Tensor& g) -> std::vector<Tensor> {
          const Tensor dv = SumToShape(MatMul(probs.Transpose(-1, -2), g), v.shape());
          Tensor ds = MatMul(g, v.Transpose(-1, -2));  // dP, then dS in place; (..., Tq, Tk)
          float* pd = ds.data<float>();
          const float* pp = probs.data<float>();
          for (int64_t r = 0; r < ds.numel() / tk; ++r) {
            float* drow = pd + r * tk;
            const float* prow = pp + r * tk;
            double dot = 0.0;
            for (int64_t j = 0; j < tk; ++j) dot += static_cast<double>(drow[j]) * prow[j];
            const auto c = static_cast<float>(dot);
            for (int64_t j = 0; j < tk; ++j) drow[j] = prow[j] * (drow[j] - c) * scale;
          }
          const Tensor dq = SumToShape(MatMul(ds, k), q.shape());
          const Tensor dk = SumToShape(MatMul(ds.Transpose(-1, -2), q), k.shape());
          return {dq, dk, dv};
        });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MultiHeadAttention.

MultiHeadAttention::MultiHeadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen,
                                       bool causal)
    : embed_dim_(embed_dim), num_heads_(num_heads), causal_(causal) {
  TT_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
           "MultiHeadAttention: num_heads ", num_heads, " must be positive and divide embed_dim ",
           embed_dim);
  q_proj_ = RegisterModule("q_proj", std::make_shared<Linear>(embed_dim, embed_dim, gen));
  k_proj_ = RegisterModule("k_proj", std::make_shared<Linear>(embed_dim, embed_dim, gen));
  v_proj_ = RegisterModule("v_proj", std::make_shared<Linear>(embed_dim, embed_dim, gen));
  out_proj_ = RegisterModule("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, gen));
}

Tensor MultiHeadAttention::SplitHeads(const Tensor& x) const {
  Shape shape = x.shape();
  shape.back() = num_heads_;
  shape.push_back(embed_dim_ / num_heads_);
  return x.Reshape(shape).Transpose(-3, -2);
}

Tensor MultiHeadAttention::MergeHeads(const Tensor& x) const {
  Shape shape = x.Transpose(-3, -2).shape();
  shape.pop_back();
  shape.back() = embed_dim_;
  return x.Transpose(-3, -2).Reshape(shape);
}

Tensor MultiHeadAttention::Forward(const Tensor& x) { return Forward(x, x, x); }

Tensor MultiHeadAttention::Forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& mask) {
  TT_CHECK(query.defined() && key.defined() && value.defined(),
           "MultiHeadAttention: an input is undefined");
  for (const Tensor* t : {&query, &key, &value}) {
    TT_CHECK(t->dim() >= 2 && t->size(-1) == embed_dim_, "MultiHeadAttention: query ",
             query.shape(), ", key ", key.shape(), " and value ", value.shape(),
             " must each be (..., T, ", embed_dim_, ")");
  }
  const Tensor q = SplitHeads((*q_proj_)(query));
  const Tensor k = SplitHeads((*k_proj_)(key));
  const Tensor v = SplitHeads((*v_proj_)(value));
  return (*out_proj_)(MergeHeads(ScaledDotProductAttention(q, k, v, mask, causal_)));
}

std::string MultiHeadAttention::ToString() const {
  return "MultiHeadAttention(embed_dim=" + std::to_string(embed_dim_) +
         ", num_heads=" + std::to_string(num_heads_) + (causal_ ? ", causal)" : ")");
}

}  // namespace tinytorch
