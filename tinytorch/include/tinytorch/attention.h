// Module 12: attention. Scaled dot-product attention with masking, and multi-head attention.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

// softmax(Q Kᵀ / √d, masked) V (Vaswani et al. 2017), forward and backward in one fused op.
//   q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); batch dims broadcast → (..., Tq, dv).
// `mask`, when defined, is float32 or int64 and broadcastable to (..., Tq, Tk): nonzero means the
// query may attend to the key (PyTorch's boolean attn_mask convention). `causal` also hides every
// key after the query, with queries aligned to the *end* of the keys — query i sits at position
// Tk − Tq + i — so a single new query against a KV cache sees all cached keys; for Tq = Tk this
// is the usual lower-triangular mask. A query with every key masked throws (PyTorch would return
// NaN). `weights`, when non-null, receives a copy of the attention probabilities (..., Tq, Tk).
Tensor ScaledDotProductAttention(const Tensor& q, const Tensor& k, const Tensor& v,
                                 const Tensor& mask = Tensor(), bool causal = false,
                                 Tensor* weights = nullptr);

// Multi-head attention: Q, K, V and the output each through their own Linear(embed_dim,
// embed_dim); embed_dim is split into num_heads heads of embed_dim / num_heads.
class MultiHeadAttention : public Module {
 public:
  // Throws unless num_heads divides embed_dim.
  MultiHeadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen, bool causal = false);

  // Self-attention: x (..., T, embed_dim) → (..., T, embed_dim).
  Tensor Forward(const Tensor& x) override;
  // query (..., Tq, embed_dim), key/value (..., Tk, embed_dim); mask broadcastable to
  // (..., num_heads, Tq, Tk), as in ScaledDotProductAttention.
  Tensor Forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& mask = Tensor());
  std::string ToString() const override;

  // (..., T, embed_dim) ↔ (..., num_heads, T, head_dim), for callers that keep per-head state.
  Tensor SplitHeads(const Tensor& x) const;
  Tensor MergeHeads(const Tensor& x) const;

  Linear& q_proj() const { return *q_proj_; }
  Linear& k_proj() const { return *k_proj_; }
  Linear& v_proj() const { return *v_proj_; }
  Linear& out_proj() const { return *out_proj_; }
  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  bool causal() const { return causal_; }

 private:
  int64_t embed_dim_, num_heads_;
  bool causal_;
  std::shared_ptr<Linear> q_proj_, k_proj_, v_proj_, out_proj_;
};

}  // namespace tinytorch
