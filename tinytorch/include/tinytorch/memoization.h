// Module 18: memoization for autoregressive decoding. A KVCache keeps every layer's keys and
// values for the positions already processed, so each new token costs one position's work
// instead of recomputing the whole context: generation goes from ~quadratic to ~linear in length.
#pragma once

#include <cstdint>
#include <vector>

#include "tinytorch/transformers.h"

namespace tinytorch {

// Keys and values per layer, preallocated as (batch, num_heads, max_seq_len, head_dim) float32.
class KVCache {
 public:
  KVCache(int64_t num_layers, int64_t batch, int64_t num_heads, int64_t max_seq_len,
          int64_t head_dim);
  static KVCache For(const GPT& gpt, int64_t batch = 1);  // sized to the model's config

  // Writes k, v (batch, num_heads, t, head_dim) at positions [length(), length() + t) of `layer`
  // and returns views of that layer's keys and values for positions [0, length() + t). Throws on
  // a shape mismatch or when the positions would pass max_seq_len. Does not advance.
  std::pair<Tensor, Tensor> Append(int64_t layer, const Tensor& k, const Tensor& v);
  // Views of positions [0, length()) of `layer`.
  std::pair<Tensor, Tensor> Read(int64_t layer) const;
  void Advance(int64_t t);  // after every layer has appended t positions
  void Reset() { length_ = 0; }

  int64_t length() const { return length_; }
  int64_t max_seq_len() const { return max_seq_len_; }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }
  int64_t bytes() const;       // allocated: the storage of every key and value buffer
  int64_t used_bytes() const;  // the part holding positions [0, length())

 private:
  int64_t batch_, num_heads_, max_seq_len_, head_dim_;
  int64_t length_ = 0;
  std::vector<Tensor> keys_, values_;
};

// GPT forward for new tokens (B, t) at positions cache.length() ... + t − 1, attending to the
// cached positions; appends to and advances the cache. Returns logits (B, t, vocab_size). The
// first call on an empty cache is the prefill (all prompt positions written at once). Runs
// without recording gradients.
Tensor ForwardCached(GPT& gpt, const Tensor& tokens, KVCache& cache);

// GPT::Generate with a KV cache: the same tokens for the same options and seed. When the
// sequence outgrows max_seq_len, the window slides as in Generate, which invalidates every
// cached position (they shift), so the cache is refilled from the cropped context.
TokenIds GenerateCached(GPT& gpt, const TokenIds& prompt, int64_t max_new_tokens,
                        const SamplingOptions& options = {});

}  // namespace tinytorch
