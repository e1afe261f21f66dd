// Module 18: the KV cache and cached decoding for GPT.
#include "tinytorch/memoization.h"

#include <algorithm>

#include "tinytorch/autograd.h"

namespace tinytorch {

KVCache::KVCache(int64_t num_layers, int64_t batch, int64_t num_heads, int64_t max_seq_len,
                 int64_t head_dim)
    : batch_(batch), num_heads_(num_heads), max_seq_len_(max_seq_len), head_dim_(head_dim) {
  TT_CHECK(num_layers >= 0 && batch > 0 && num_heads > 0 && max_seq_len > 0 && head_dim > 0,
           "KVCache: num_layers ", num_layers, ", batch ", batch, ", num_heads ", num_heads,
           ", max_seq_len ", max_seq_len, " and head_dim ", head_dim, " must be positive");
  for (int64_t l = 0; l < num_layers; ++l) {
    keys_.push_back(Tensor::Zeros({batch, num_heads, max_seq_len, head_dim}));
    values_.push_back(Tensor::Zeros({batch, num_heads, max_seq_len, head_dim}));
  }
}

KVCache KVCache::For(const GPT& gpt, int64_t batch) {
  const GPTConfig& c = gpt.config();
  return KVCache(c.num_layers, batch, c.num_heads, c.max_seq_len, c.embed_dim / c.num_heads);
}

std::pair<Tensor, Tensor> KVCache::Append(int64_t layer, const Tensor& k, const Tensor& v) {
  TT_CHECK(layer >= 0 && layer < num_layers(), "KVCache::Append: layer ", layer,
           " is out of range for ", num_layers(), " layers");
  const Shape expected{batch_, num_heads_, k.defined() && k.dim() == 4 ? k.size(2) : -1, head_dim_};
  TT_CHECK(k.defined() && v.defined() && k.shape() == expected && v.shape() == expected,
           "KVCache::Append: k ", k.defined() ? k.shape() : Shape{}, " and v ",
           v.defined() ? v.shape() : Shape{}, " must both be (", batch_, ", ", num_heads_, ", t, ",
           head_dim_, ")");
  const int64_t t = k.size(2);
  TT_CHECK(length_ + t <= max_seq_len_, "KVCache::Append: ", t, " positions at position ", length_,
           " overflow max_seq_len ", max_seq_len_);
  keys_[layer].Slice(2, length_, length_ + t).CopyFrom(k);
  values_[layer].Slice(2, length_, length_ + t).CopyFrom(v);
  return {keys_[layer].Slice(2, 0, length_ + t), values_[layer].Slice(2, 0, length_ + t)};
}

std::pair<Tensor, Tensor> KVCache::Read(int64_t layer) const {
  TT_CHECK(layer >= 0 && layer < num_layers(), "KVCache::Read: layer ", layer,
           " is out of range for ", num_layers(), " layers");
  return {keys_[layer].Slice(2, 0, length_), values_[layer].Slice(2, 0, length_)};
}

void KVCache::Advance(int64_t t) {
  TT_CHECK(t >= 0 && length_ + t <= max_seq_len_, "KVCache::Advance: ", t,
           " positions at position ", length_, " overflow max_seq_len ", max_seq_len_);
  length_ += t;
}

int64_t KVCache::bytes() const {
  int64_t total = 0;
  for (const auto* group : {&keys_, &values_}) {
    for (const Tensor& t : *group) total += static_cast<int64_t>(t.storage()->bytes());
  }
  return total;
}

int64_t KVCache::used_bytes() const {
  return 2 * num_layers() * batch_ * num_heads_ * length_ * head_dim_ *
         static_cast<int64_t>(sizeof(float));
}

namespace {

// One block on the new positions: the attention reads every cached key and value. The causal
// mask aligns queries to the end of the keys, so new position i sees keys [0, start + i].
Tensor BlockCached(TransformerBlock& block, const Tensor& x, KVCache& cache, int64_t layer) {
  MultiHeadAttention& mha = block.attention();
  const Tensor normed = block.ln1()(x);
  const Tensor q = mha.SplitHeads(mha.q_proj()(normed));
  const auto [keys, values] = cache.Append(layer, mha.SplitHeads(mha.k_proj()(normed)),
                                           mha.SplitHeads(mha.v_proj()(normed)));
  const Tensor attended =
      ScaledDotProductAttention(q, keys, values, Tensor(), /*causal=*/mha.causal());
  const Tensor h = x + mha.out_proj()(mha.MergeHeads(attended));
  return h + block.mlp()(block.ln2()(h));
}

}  // namespace

Tensor ForwardCached(GPT& gpt, const Tensor& tokens, KVCache& cache) {
  const char* op = "ForwardCached";
  TT_CHECK(tokens.defined() && tokens.dim() == 2 && tokens.size(1) > 0, op,
           ": tokens must be (B, t) with t > 0, got ", tokens.defined() ? tokens.shape() : Shape{});
  TT_CHECK(cache.num_layers() == gpt.config().num_layers, op, ": the cache has ",
           cache.num_layers(), " layers, the model ", gpt.config().num_layers);
  const int64_t start = cache.length(), t = tokens.size(1);
  TT_CHECK(start + t <= cache.max_seq_len() && start + t <= gpt.config().max_seq_len, op, ": ", t,
           " tokens at position ", start, " exceed max_seq_len ",
           std::min(cache.max_seq_len(), gpt.config().max_seq_len));
  const NoGradGuard no_grad;
  Tensor h =
      gpt.token_embedding()(tokens) + gpt.position_embedding().table().Slice(0, start, start + t);
  for (int64_t l = 0; l < gpt.config().num_layers; ++l) {
    h = BlockCached(gpt.block(static_cast<size_t>(l)), h, cache, l);
  }
  cache.Advance(t);
  return gpt.lm_head()(gpt.final_norm()(h));
}

TokenIds GenerateCached(GPT& gpt, const TokenIds& prompt, int64_t max_new_tokens,
                        const SamplingOptions& options) {
  TT_CHECK(!prompt.empty(), "GenerateCached: the prompt is empty");
  TT_CHECK(max_new_tokens >= 0, "GenerateCached: max_new_tokens ", max_new_tokens, " is negative");
  const int64_t window = gpt.config().max_seq_len;
  KVCache cache = KVCache::For(gpt);
  Generator gen(options.seed);
  TokenIds out = prompt;
  // Refills the cache from the last `window` tokens; returns the last position's logits.
  const auto prefill = [&] {
    cache.Reset();
    const auto context = static_cast<int64_t>(std::min<size_t>(out.size(), window));
    const Tensor tokens =
        Tensor::FromData(std::vector<int64_t>(out.end() - context, out.end()), {1, context});
    return ForwardCached(gpt, tokens, cache).Select(0, 0).Select(0, context - 1);
  };
  Tensor logits = max_new_tokens > 0 ? prefill() : Tensor();
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    out.push_back(SampleToken(logits, options, gen));
    if (step + 1 == max_new_tokens) break;
    if (cache.length() == window) {
      logits = prefill();  // the window slides: every position shifts
    } else {
      const Tensor next = Tensor::FromData(std::vector<int64_t>{out.back()}, {1, 1});
      logits = ForwardCached(gpt, next, cache).Select(0, 0).Select(0, 0);
    }
  }
  return out;
}

}  // namespace tinytorch
