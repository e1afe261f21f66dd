// Module 13: transformers. Layer normalisation, the MLP, the pre-norm transformer block, and a
// GPT language model with sampling.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/attention.h"
#include "tinytorch/embeddings.h"
#include "tinytorch/layers.h"
#include "tinytorch/lazy.h"
#include "tinytorch/tensor.h"
#include "tinytorch/tokenization.h"

namespace tinytorch {

// (x − mean) / √(var + eps) · weight + bias over the last dim (biased variance, as PyTorch);
// x (..., D), weight and bias (D). Forward and backward fused; statistics in double.
Tensor LayerNormalize(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5);  // weight 1, bias 0
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  double eps_;
  Tensor weight_, bias_;
};

// Linear(dim, hidden) → GELU → Linear(hidden, dim): the transformer's position-wise MLP.
class MLP : public Module {
 public:
  MLP(int64_t dim, int64_t hidden_dim, Generator& gen,
      GeluApproximation gelu = GeluApproximation::kNone);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  Linear& fc1() const { return *fc1_; }
  Linear& fc2() const { return *fc2_; }

 private:
  GeluApproximation gelu_;
  std::shared_ptr<Linear> fc1_, fc2_;
};

// Pre-norm block (GPT-2): x + Attn(LN1(x)), then + MLP(LN2(x)); x (..., T, dim).
class TransformerBlock : public Module {
 public:
  TransformerBlock(int64_t dim, int64_t num_heads, Generator& gen, bool causal = true,
                   int64_t mlp_ratio = 4);
  Tensor Forward(const Tensor& x) override;
  std::string ToString() const override;

  LayerNorm& ln1() const { return *ln1_; }
  MultiHeadAttention& attention() const { return *attn_; }
  LayerNorm& ln2() const { return *ln2_; }
  MLP& mlp() const { return *mlp_; }

 private:
  std::shared_ptr<LayerNorm> ln1_;
  std::shared_ptr<MultiHeadAttention> attn_;
  std::shared_ptr<LayerNorm> ln2_;
  std::shared_ptr<MLP> mlp_;
};

struct GPTConfig {
  int64_t vocab_size = 0;
  int64_t max_seq_len = 128;  // the longest context the position table covers
  int64_t embed_dim = 128;
  int64_t num_heads = 4;
  int64_t num_layers = 4;
  int64_t mlp_ratio = 4;
};

struct SamplingOptions {
  float temperature = 1.f;  // 0 picks the most likely token (greedy); otherwise > 0
  int64_t top_k = 0;        // sample among the k most likely tokens; 0 = all
  uint64_t seed = 0;        // the same seed, prompt and model give the same text
};

// A decoder-only language model: token + learned position embeddings, num_layers causal
// TransformerBlocks, a final LayerNorm and a bias-free LM head to vocab_size logits.
class GPT : public Module {
 public:
  GPT(const GPTConfig& config, Generator& gen);
  // tokens int64 (B, T) or (T), T ≤ max_seq_len → logits (B, T, vocab_size) or (T, vocab_size).
  Tensor Forward(const Tensor& tokens) override;
  std::string ToString() const override;

  // Appends max_new_tokens sampled tokens to `prompt` (non-empty) and returns the whole sequence.
  // The context is cropped to the last max_seq_len tokens. Runs without recording gradients.
  TokenIds Generate(const TokenIds& prompt, int64_t max_new_tokens,
                    const SamplingOptions& options = {});

  const GPTConfig& config() const { return config_; }
  TransformerBlock& block(size_t i) const { return *blocks_.at(i); }
  Embedding& token_embedding() const { return *token_embedding_; }
  PositionalEncoding& position_embedding() const { return *position_embedding_; }
  LayerNorm& final_norm() const { return *final_norm_; }
  Linear& lm_head() const { return *lm_head_; }

 private:
  GPTConfig config_;
  std::shared_ptr<Embedding> token_embedding_;
  std::shared_ptr<PositionalEncoding> position_embedding_;
  std::vector<std::shared_ptr<TransformerBlock>> blocks_;
  std::shared_ptr<LayerNorm> final_norm_;
  std::shared_ptr<Linear> lm_head_;
};

// Draws one token id from logits (vocab) under `options`, using `gen`.
int64_t SampleToken(const Tensor& logits, const SamplingOptions& options, Generator& gen);

// LoRA (Hu et al., 2021): y = x W + b + (alpha / rank) · (x A) B. The base W (in, out) and b are
// frozen; only A (in, rank) and B (rank, out) train: rank · (in + out) parameters instead of
// in · out. A starts uniform in ±1/√in and B at zero (PEFT's defaults), so a fresh adapter leaves
// the base's output unchanged, bit for bit.
class LoRALinear : public Module {
 public:
  // Shares `base`'s weight and bias (no copy), held as the frozen buffers "weight" and "bias";
  // the parameters are "lora_a" and "lora_b". Throws unless rank >= 1 and alpha is finite and > 0.
  LoRALinear(const Linear& base, Generator& gen, int64_t rank = 8, float alpha = 16.f);

  // Eager, with gradients for A and B. Once merged, the adapter lives in W: Forward is the base
  // alone, and training through it throws (Unmerge first).
  Tensor Forward(const Tensor& x) override;
  // The same computation recorded lazily (inference).
  LazyTensor Forward(const LazyTensor& x) const;
  std::string ToString() const override;

  // W += scale · A B, in place: the wrapped Linear sees it too, as in PEFT. Unmerge subtracts it
  // again (equal to the original W up to float rounding). Each throws if already in that state.
  void Merge();
  void Unmerge();
  bool merged() const { return merged_; }

  int64_t rank() const { return rank_; }
  float alpha() const { return alpha_; }
  float scale() const { return alpha_ / static_cast<float>(rank_); }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when the base has none
  const Tensor& lora_a() const { return a_; }
  const Tensor& lora_b() const { return b_; }

 private:
  int64_t in_features_, out_features_, rank_;
  float alpha_;
  bool merged_ = false;
  Tensor weight_, bias_, a_, b_;
};

}  // namespace tinytorch
