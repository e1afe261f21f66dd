// Module 11: embedding lookup (forward and scatter-add backward), positional encodings.
#include "tinytorch/embeddings.h"

#include <cmath>
#include <cstring>

#include "tensor_internal.h"

namespace tinytorch {

using internal::EmptyLike;

namespace {

// Flat int64 ids of `indices`, each checked against [0, rows).
std::vector<int64_t> CheckedIds(const Tensor& indices, int64_t rows, const char* op) {
  TT_CHECK(indices.defined() && indices.dtype() == DType::kInt64, op,
           ": indices must be an int64 tensor, got ",
           indices.defined() ? DTypeName(indices.dtype()) : "an undefined tensor");
  const Tensor flat = indices.Contiguous();
  const int64_t* p = flat.data<int64_t>();
  std::vector<int64_t> ids(p, p + flat.numel());
  for (size_t i = 0; i < ids.size(); ++i) {
    TT_CHECK(ids[i] >= 0 && ids[i] < rows, op, ": index ", ids[i], " at flat position ", i,
             " of indices ", indices.shape(), " is outside [0, ", rows, ")");
  }
  return ids;
}

}  // namespace

Tensor EmbeddingLookup(const Tensor& weight, const Tensor& indices) {
  internal::CheckFloat(weight, "EmbeddingLookup");
  TT_CHECK(weight.dim() == 2, "EmbeddingLookup: weight must be (num_embeddings, dim), got ",
           weight.shape());
  const int64_t rows = weight.size(0), dim = weight.size(1);
  const std::vector<int64_t> ids = CheckedIds(indices, rows, "EmbeddingLookup");

  // out is (N, D) over the flat ids; w is (V, D).
  const Tensor w = weight.Contiguous();
  Shape out_shape = indices.shape();
  out_shape.push_back(dim);
  Tensor out = EmptyLike(out_shape);
  float* po = out.data<float>();
  const float* pw = w.data<float>();
  for (size_t i = 0; i < ids.size(); ++i) {
    std::memcpy(po + i * dim, pw + ids[i] * dim, dim * sizeof(float));
  }

  if (internal::NeedsGrad(weight)) {
    internal::Attach(out, "EmbeddingLookup", {weight},
                     [ids, rows, dim](const Tensor& g) -> std::vector<Tensor> {
                       // g is (N, D); dW (V, D) gets each row added at its id.
                       const Tensor gc = g.Contiguous();
                       Tensor dw = Tensor::Zeros({rows, dim});
                       float* pd = dw.data<float>();
                       const float* pg = gc.data<float>();
                       for (size_t i = 0; i < ids.size(); ++i) {
                         float* row = pd + ids[i] * dim;
                         const float* src = pg + i * dim;
                         for (int64_t j = 0; j < dim; ++j) row[j] += src[j];
                       }
                       return {dw};
                     });
  }
  return out;
}

Tensor SinusoidalPositionalEncoding(int64_t max_len, int64_t dim) {
  TT_CHECK(max_len > 0 && dim > 0, "SinusoidalPositionalEncoding: max_len ", max_len, " and dim ",
           dim, " must be positive");
  Tensor table = EmptyLike({max_len, dim});
  float* p = table.data<float>();
  for (int64_t pos = 0; pos < max_len; ++pos) {
    for (int64_t j = 0; j < dim; ++j) {
      // Columns 2i and 2i+1 share the frequency 10000^(-2i/dim); computed in double so long
      // sequences keep their phase.
      const double angle = pos * std::pow(10000.0, -static_cast<double>(j - j % 2) / dim);
      p[pos * dim + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return table;
}

Embedding::Embedding(int64_t num_embeddings, int64_t dim, Generator& gen, float init_stddev) {
  TT_CHECK(num_embeddings > 0 && dim > 0, "Embedding: num_embeddings ", num_embeddings, " and dim ",
           dim, " must be positive");
  weight_ =
      RegisterParameter("weight", Tensor::RandN({num_embeddings, dim}, gen, 0.f, init_stddev));
}

Tensor Embedding::Forward(const Tensor& indices) { return EmbeddingLookup(weight_, indices); }

std::string Embedding::ToString() const {
  return "Embedding(" + std::to_string(num_embeddings()) + ", " + std::to_string(dim()) + ")";
}

PositionalEncoding::PositionalEncoding(int64_t max_len, int64_t dim, Generator& gen, Kind kind)
    : kind_(kind) {
  TT_CHECK(max_len > 0 && dim > 0, "PositionalEncoding: max_len ", max_len, " and dim ", dim,
           " must be positive");
  table_ = kind == Kind::kLearned
               ? RegisterParameter("weight", Tensor::RandN({max_len, dim}, gen, 0.f, 0.02f))
               : RegisterBuffer("table", SinusoidalPositionalEncoding(max_len, dim));
}

Tensor PositionalEncoding::Forward(const Tensor& x) {
  TT_CHECK(x.defined() && x.dim() >= 2 && x.size(-1) == table_.size(1),
           "PositionalEncoding: input must be (..., T, ", table_.size(1), "), got ",
           x.defined() ? x.shape() : Shape{});
  const int64_t steps = x.size(-2);
  TT_CHECK(steps <= max_len(), "PositionalEncoding: sequence length ", steps, " exceeds max_len ",
           max_len(), " (input ", x.shape(), ")");
  return x + table_.Slice(0, 0, steps);
}

std::string PositionalEncoding::ToString() const {
  return std::string("PositionalEncoding(max_len=") + std::to_string(max_len()) +
         ", dim=" + std::to_string(table_.size(1)) +
         (kind_ == Kind::kLearned ? ", learned)" : ", sinusoidal)");
}

}  // namespace tinytorch
