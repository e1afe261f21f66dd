// Module 13: layer norm (fused forward and backward), MLP, transformer block, GPT and sampling.
#include "tinytorch/transformers.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "printf.h"
#include "tensor_internal.h"
#include "tinytorch/autograd.h"

namespace tinytorch {

// ---------------------------------------------------------------------------------------------
// Layer normalisation.

// Backward per row, with x̂ = (x − μ)·r, r = 1/√(σ² + eps) and dx̂ = dy ⊙ w:
//   dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)),  dw = Σ_rows dy ⊙ x̂,  db = Σ_rows dy.
Tensor LayerNormalize(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "LayerNormalize";
  for (const Tensor* t : {&x, &weight, &bias}) internal::CheckFloat(*t, op);
  TT_CHECK(x.dim() >= 1 && weight.dim() == 1 && bias.dim() == 1 && weight.size(0) == x.size(-1) &&
               bias.size(0) == x.size(-1),
           op, ": x ", x.shape(), " needs weight and bias of shape [", x.dim() ? x.size(-1) : 0,
           "], got ", weight.shape(), " and ", bias.shape());
  TT_CHECK(eps > 0, op, ": eps ", eps, " must be positive");
  const int64_t dim = x.size(-1);
  TT_CHECK(dim > 0, op, ": x ", x.shape(), " has an empty last dim");
  const int64_t rows = x.numel() / dim;

  // xs (rows, D), w/b (D) → out (rows, D); mean and rstd (rows) are kept for the backward.
  const Tensor xs = x.Contiguous().Detach(), w = weight.Contiguous(), b = bias.Contiguous();
  Tensor out = internal::EmptyLike(x.shape());
  auto stats = std::make_shared<std::vector<float>>(2 * rows);  // mean, rstd per row
  const float* px = xs.data<float>();
  const float *pw = w.data<float>(), *pb = b.data<float>();
  float* po = out.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = px + r * dim;
    double sum = 0.0, sq = 0.0;
    for (int64_t j = 0; j < dim; ++j) sum += xr[j];
    const double mean = sum / dim;
    for (int64_t j = 0; j < dim; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
    const auto rstd = static_cast<float>(1.0 / std::sqrt(sq / dim + eps));
    const auto m = static_cast<float>(mean);
    (*stats)[2 * r] = m;
    (*stats)[2 * r + 1] = rstd;
    float* yr = po + r * dim;
    for (int64_t j = 0; j < dim; ++j) yr[j] = (xr[j] - m) * rstd * pw[j] + pb[j];
  }

  if (internal::NeedsGrad(x, weight, bias)) {
    internal::Attach(
        out, op, {x, weight, bias},
        [xs, w, stats, rows, dim](const Tensor& g) -> std::vector<Tensor> {
          const Tensor gc = g.Contiguous();
          Tensor dx = internal::EmptyLike(xs.shape());
          Tensor dw = Tensor::Zeros({dim}), db = Tensor::Zeros({dim});
          const float *xd = xs.data<float>(), *gd = gc.data<float>(), *wd = w.data<float>();
          float *pdx = dx.data<float>(), *pdw = dw.data<float>(), *pdb = db.data<float>();
          for (int64_t r = 0; r < rows; ++r) {
            const float *xr = xd + r * dim, *gr = gd + r * dim;
            const float m = (*stats)[2 * r], rstd = (*stats)[2 * r + 1];
            double mean_dxhat = 0.0, mean_dxhat_xhat = 0.0;
            for (int64_t j = 0; j < dim; ++j) {
              const float xhat = (xr[j] - m) * rstd;
              const float dxhat = gr[j] * wd[j];
              mean_dxhat += dxhat;
              mean_dxhat_xhat += dxhat * xhat;
              pdw[j] += gr[j] * xhat;
              pdb[j] += gr[j];
            }
            const auto a = static_cast<float>(mean_dxhat / dim);
            const auto c = static_cast<float>(mean_dxhat_xhat / dim);
            float* dxr = pdx + r * dim;
            for (int64_t j = 0; j < dim; ++j) {
              const float xhat = (xr[j] - m) * rstd;
              dxr[j] = rstd * (gr[j] * wd[j] - a - xhat * c);
            }
          }
          return {dx, dw, db};
        });
  }
  return out;
}

LayerNorm::LayerNorm(int64_t dim, double eps) : eps_(eps) {
  TT_CHECK(dim > 0, "LayerNorm: dim ", dim, " must be positive");
  TT_CHECK(eps > 0, "LayerNorm: eps ", eps, " must be positive");
  weight_ = RegisterParameter("weight", Tensor::Ones({dim}));
  bias_ = RegisterParameter("bias", Tensor::Zeros({dim}));
}

Tensor LayerNorm::Forward(const Tensor& x) { return LayerNormalize(x, weight_, bias_, eps_); }

std::string LayerNorm::ToString() const {
  return "LayerNorm(" + std::to_string(weight_.size(0)) + ", eps=" + std::to_string(eps_) + ")";
}

// ---------------------------------------------------------------------------------------------
// MLP and the transformer block.

MLP::MLP(int64_t dim, int64_t hidden_dim, Generator& gen, GeluApproximation gelu) : gelu_(gelu) {
  fc1_ = RegisterModule("fc1", std::make_shared<Linear>(dim, hidden_dim, gen));
  fc2_ = RegisterModule("fc2", std::make_shared<Linear>(hidden_dim, dim, gen));
}

Tensor MLP::Forward(const Tensor& x) { return (*fc2_)(Gelu((*fc1_)(x), gelu_)); }

std::string MLP::ToString() const {
  return "MLP(" + std::to_string(fc1_->in_features()) + " -> " +
         std::to_string(fc1_->out_features()) + " -> GELU -> " +
         std::to_string(fc2_->out_features()) + ")";
}

TransformerBlock::TransformerBlock(int64_t dim, int64_t num_heads, Generator& gen, bool causal,
                                   int64_t mlp_ratio) {
  TT_CHECK(mlp_ratio > 0, "TransformerBlock: mlp_ratio ", mlp_ratio, " must be positive");
  ln1_ = RegisterModule("ln1", std::make_shared<LayerNorm>(dim));
  attn_ = RegisterModule("attn", std::make_shared<MultiHeadAttention>(dim, num_heads, gen, causal));
  ln2_ = RegisterModule("ln2", std::make_shared<LayerNorm>(dim));
  mlp_ = RegisterModule("mlp", std::make_shared<MLP>(dim, mlp_ratio * dim, gen));
}

Tensor TransformerBlock::Forward(const Tensor& x) {
  const Tensor h = x + (*attn_)((*ln1_)(x));
  return h + (*mlp_)((*ln2_)(h));
}

std::string TransformerBlock::ToString() const {
  return "TransformerBlock(" + attn_->ToString() + ", " + mlp_->ToString() + ")";
}

// ---------------------------------------------------------------------------------------------
// GPT.

GPT::GPT(const GPTConfig& config, Generator& gen) : config_(config) {
  TT_CHECK(config.vocab_size > 0 && config.max_seq_len > 0 && config.num_layers >= 0,
           "GPT: vocab_size ", config.vocab_size, " and max_seq_len ", config.max_seq_len,
           " must be positive and num_layers ", config.num_layers, " non-negative");
  token_embedding_ =
      RegisterModule("token_embedding",
                     std::make_shared<Embedding>(config.vocab_size, config.embed_dim, gen, 0.02f));
  position_embedding_ = RegisterModule(
      "position_embedding",
      std::make_shared<PositionalEncoding>(config.max_seq_len, config.embed_dim, gen));
  for (int64_t i = 0; i < config.num_layers; ++i) {
    blocks_.push_back(
        RegisterModule("blocks." + std::to_string(i),
                       std::make_shared<TransformerBlock>(config.embed_dim, config.num_heads, gen,
                                                          true, config.mlp_ratio)));
  }
  final_norm_ = RegisterModule("final_norm", std::make_shared<LayerNorm>(config.embed_dim));
  lm_head_ = RegisterModule(
      "lm_head", std::make_shared<Linear>(config.embed_dim, config.vocab_size, gen, false));
}

Tensor GPT::Forward(const Tensor& tokens) {
  TT_CHECK(tokens.defined() && (tokens.dim() == 1 || tokens.dim() == 2) && tokens.size(-1) > 0,
           "GPT: tokens must be (B, T) or (T) with T > 0, got ",
           tokens.defined() ? tokens.shape() : Shape{});
  TT_CHECK(tokens.size(-1) <= config_.max_seq_len, "GPT: sequence length ", tokens.size(-1),
           " exceeds max_seq_len ", config_.max_seq_len);
  Tensor h = (*position_embedding_)((*token_embedding_)(tokens));
  for (const auto& block : blocks_) h = (*block)(h);
  return (*lm_head_)((*final_norm_)(h));
}

std::string GPT::ToString() const {
  return "GPT(vocab_size=" + std::to_string(config_.vocab_size) +
         ", max_seq_len=" + std::to_string(config_.max_seq_len) +
         ", embed_dim=" + std::to_string(config_.embed_dim) +
         ", num_heads=" + std::to_string(config_.num_heads) +
         ", num_layers=" + std::to_string(config_.num_layers) + ")";
}

TokenIds GPT::Generate(const TokenIds& prompt, int64_t max_new_tokens,
                       const SamplingOptions& options) {
  TT_CHECK(!prompt.empty(), "GPT::Generate: the prompt is empty");
  TT_CHECK(max_new_tokens >= 0, "GPT::Generate: max_new_tokens ", max_new_tokens, " is negative");
  NoGradGuard no_grad;
  Generator gen(options.seed);
  TokenIds out = prompt;
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    const auto context = static_cast<int64_t>(
        std::min<size_t>(out.size(), static_cast<size_t>(config_.max_seq_len)));
    const Tensor tokens =
        Tensor::FromData(std::vector<int64_t>(out.end() - context, out.end()), {1, context});
    const Tensor logits = Forward(tokens);  // (1, T, V)
    out.push_back(SampleToken(logits.Select(0, 0).Select(0, context - 1), options, gen));
  }
  return out;
}

int64_t SampleToken(const Tensor& logits, const SamplingOptions& options, Generator& gen) {
  const char* op = "SampleToken";
  internal::CheckFloat(logits, op);
  TT_CHECK(logits.dim() == 1 && logits.numel() > 0, op, ": logits must be 1-d and non-empty, got ",
           logits.shape());
  TT_CHECK(options.temperature >= 0 && std::isfinite(options.temperature), op, ": temperature ",
           options.temperature, " must be finite and >= 0");
  TT_CHECK(options.top_k >= 0, op, ": top_k ", options.top_k, " is negative");
  const std::vector<float> z = logits.ToVector();
  for (size_t i = 0; i < z.size(); ++i) {
    TT_CHECK(std::isfinite(z[i]), op, ": logit ", i, " is ", z[i]);
  }
  // Token ids by descending logit (ties: lower id first), cut to the top k.
  std::vector<int64_t> order(z.size());
  std::iota(order.begin(), order.end(), 0);
  const auto k = static_cast<size_t>(
      options.top_k == 0 ? z.size() : std::min<size_t>(options.top_k, z.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int64_t a, int64_t b) { return z[a] > z[b] || (z[a] == z[b] && a < b); });
  if (options.temperature == 0.f) return order[0];
  std::vector<double> p(k);
  double total = 0.0;
  for (size_t i = 0; i < k; ++i) {
    p[i] = std::exp((static_cast<double>(z[order[i]]) - z[order[0]]) / options.temperature);
    total += p[i];
  }
  double u = gen.Uniform() * total;
  for (size_t i = 0; i < k; ++i) {
    if ((u -= p[i]) < 0) return order[i];
  }
  return order[k - 1];  // u landed on total itself through rounding
}

// ---------------------------------------------------------------------------------------------
// LoRA

LoRALinear::LoRALinear(const Linear& base, Generator& gen, int64_t rank, float alpha)
    : in_features_(base.in_features()),
      out_features_(base.out_features()),
      rank_(rank),
      alpha_(alpha) {
  TT_CHECK(rank >= 1, "LoRALinear: rank=", rank, " must be at least 1");
  TT_CHECK(std::isfinite(alpha) && alpha > 0.f, "LoRALinear: alpha=", alpha,
           " must be finite and positive");
  weight_ = RegisterBuffer("weight", base.weight().Detach());
  if (base.bias().defined()) bias_ = RegisterBuffer("bias", base.bias().Detach());
  const float bound = 1.f / std::sqrt(static_cast<float>(in_features_));
  a_ = RegisterParameter("lora_a", Tensor::Rand({in_features_, rank}, gen, -bound, bound));
  b_ = RegisterParameter("lora_b", Tensor::Zeros({rank, out_features_}));
}

Tensor LoRALinear::Forward(const Tensor& x) {
  TT_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == in_features_, "LoRALinear: input shape ",
           x.defined() ? x.shape() : Shape{}, " does not end in in_features=", in_features_);
  TT_CHECK(!(merged_ && is_training() && GradEnabled()),
           "LoRALinear: the adapter is merged into the weight and cannot be trained; Unmerge() "
           "first (or run in Eval mode or under NoGradGuard)");
  Tensor y = MatMul(x, weight_);
  if (bias_.defined()) y = y + bias_;
  return merged_ ? y : y + MatMul(MatMul(x, a_), b_) * scale();
}

LazyTensor LoRALinear::Forward(const LazyTensor& x) const {
  TT_CHECK(x.defined() && !x.shape().empty() && x.shape().back() == in_features_,
           "LoRALinear: lazy input shape ", x.defined() ? x.shape() : Shape{},
           " does not end in in_features=", in_features_);
  LazyTensor y = MatMul(x, Lazy(weight_));
  if (bias_.defined()) y = y + Lazy(bias_);
  return merged_ ? y : y + MatMul(MatMul(x, Lazy(a_)), Lazy(b_)) * scale();
}

std::string LoRALinear::ToString() const {
  return "LoRALinear(in_features=" + std::to_string(in_features_) +
         ", out_features=" + std::to_string(out_features_) + ", rank=" + std::to_string(rank_) +
         ", alpha=" + detail::Printf("%g", alpha_) + (merged_ ? ", merged" : "") + ")";
}

void LoRALinear::Merge() {
  TT_CHECK(!merged_, "LoRALinear::Merge: already merged");
  NoGradGuard no_grad;
  weight_ += MatMul(a_, b_) * scale();
  merged_ = true;
}

void LoRALinear::Unmerge() {
  TT_CHECK(merged_, "LoRALinear::Unmerge: not merged");
  NoGradGuard no_grad;
  weight_ -= MatMul(a_, b_) * scale();
  merged_ = false;
}

}  // namespace tinytorch
