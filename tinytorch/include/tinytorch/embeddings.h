// Module 11: embeddings. Token ids → vectors, and the position information attention lacks.
#pragma once

#include <cstdint>
#include <string>

#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

// Row lookup: weight (V, D), indices int64 of any shape → (*indices.shape, D). The gradient
// scatter-adds each output row's gradient into its weight row, so repeated ids accumulate.
// Throws on an index outside [0, V), naming it and its position.
Tensor EmbeddingLookup(const Tensor& weight, const Tensor& indices);

// The fixed encodings of "Attention Is All You Need" (Vaswani et al. 2017), (max_len, dim):
//   PE[p, 2i] = sin(p / 10000^(2i/dim)),  PE[p, 2i+1] = cos(p / 10000^(2i/dim)).
// An odd `dim` ends with a sine column.
Tensor SinusoidalPositionalEncoding(int64_t max_len, int64_t dim);

// A table of `num_embeddings` trainable vectors of size `dim`, initialised N(0, init_stddev²)
// (PyTorch's default is 1; GPT-2 uses 0.02).
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dim, Generator& gen, float init_stddev = 1.f);
  Tensor Forward(const Tensor& indices) override;  // int64 (...) → (..., dim)
  std::string ToString() const override;

  const Tensor& weight() const { return weight_; }
  int64_t num_embeddings() const { return weight_.size(0); }
  int64_t dim() const { return weight_.size(1); }

 private:
  Tensor weight_;
};

// Adds a position vector to each step of a sequence: x (..., T, dim) → x + P[:T]. P is learned
// (initialised N(0, 0.02²), as GPT-2) or the fixed sinusoidal table (a buffer, not trained).
// Throws when T exceeds max_len.
class PositionalEncoding : public Module {
 public:
  enum class Kind { kLearned, kSinusoidal };
  PositionalEncoding(int64_t max_len, int64_t dim, Generator& gen, Kind kind = Kind::kLearned);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  const Tensor& table() const { return table_; }  // (max_len, dim)
  int64_t max_len() const { return table_.size(0); }

 private:
  Kind kind_;
  Tensor table_;
};

}  // namespace tinytorch
