// Module 10: tokenization. Text ↔ token ids, at the character level and with byte-level BPE.
//
// Both tokenizers take special tokens (e.g. "<|endoftext|>"): strings that always encode as one
// id of their own wherever they appear in the text (longest match first) and decode back to
// themselves. Their ids come after every regular token, as in GPT-2.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tinytorch {

using TokenIds = std::vector<int64_t>;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual TokenIds Encode(std::string_view text) const = 0;
  // Throws if an id is outside [0, vocab_size()), naming the id and its position.
  std::string Decode(std::span<const int64_t> ids) const;
  // Regular tokens, then the special tokens.
  int64_t vocab_size() const { return first_special_id_ + static_cast<int64_t>(specials_.size()); }
  // The text (bytes) one token stands for; throws on an unknown id.
  std::string TokenText(int64_t id) const;

  const std::vector<std::string>& special_tokens() const { return specials_; }
  // The id of a special token; throws if `token` is not one.
  int64_t SpecialTokenId(std::string_view token) const;

 protected:
  // Validates the list (non-empty, distinct strings) and makes their ids first_id, first_id + 1...
  void SetSpecialTokens(std::vector<std::string> specials, int64_t first_id, const char* op);
  int64_t first_special_id() const { return first_special_id_; }
  // Appends the text of regular token `id` (< first_special_id(), already checked).
  virtual void AppendRegularToken(int64_t id, std::string& out) const = 0;

 private:
  std::vector<std::string> specials_;
  int64_t first_special_id_ = 0;
};

// One token per Unicode code point seen in the training corpus, ids in code point order. The
// corpus and every encoded text must be valid UTF-8; encoding a character the corpus did not
// contain throws, naming it and its byte offset.
class CharTokenizer : public Tokenizer {
 public:
  // Throws on an empty corpus or invalid UTF-8.
  static CharTokenizer Train(std::string_view corpus, std::vector<std::string> special_tokens = {});

  TokenIds Encode(std::string_view text) const override;

  void Save(const std::string& path) const;  // atomic
  static CharTokenizer Load(const std::string& path);

 private:
  void AppendRegularToken(int64_t id, std::string& out) const override;

  std::vector<char32_t> chars_;  // id → code point, ascending
  std::unordered_map<char32_t, int64_t> ids_;
};

// Byte-level byte-pair encoding (Sennrich et al. 2016; GPT-2's byte-level variant). Ids 0–255 are
// the bytes, so any byte string — valid UTF-8 or not — encodes and decodes back exactly; each
// learned merge adds one id. Text is first split GPT-2 style into words (an optional leading
// space plus a run of letters, of digits or of other symbols; whitespace runs), and merges never
// cross a word boundary.
class BPETokenizer : public Tokenizer {
 public:
  // Learns merges until the vocabulary (256 bytes + merges + special tokens) reaches
  // `vocab_size`, or no pair of adjacent tokens occurs twice. Each step merges the most frequent
  // pair (ties: the smallest pair of ids). Throws on an empty corpus or a vocab_size below
  // 256 + the number of special tokens.
  static BPETokenizer Train(std::string_view corpus, int64_t vocab_size,
                            std::vector<std::string> special_tokens = {});

  TokenIds Encode(std::string_view text) const override;

  // merges()[r] = (left, right): merge rank r produced token id 256 + r.
  const std::vector<std::pair<int64_t, int64_t>>& merges() const { return merges_; }

  void Save(const std::string& path) const;  // atomic
  static BPETokenizer Load(const std::string& path);

 private:
  void AppendRegularToken(int64_t id, std::string& out) const override;
  static BPETokenizer FromMerges(std::vector<std::pair<int64_t, int64_t>> merges,
                                 std::vector<std::string> specials, const char* op);
  void EncodeWord(std::string_view word, TokenIds& out) const;

  std::vector<std::pair<int64_t, int64_t>> merges_;
  std::unordered_map<uint64_t, int64_t> rank_;  // (left << 32 | right) → merge rank
  std::vector<std::string> bytes_;              // id → bytes, for ids below the specials
};

}  // namespace tinytorch
