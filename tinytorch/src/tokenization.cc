// Module 10: character and byte-level BPE tokenizers.
#include "tinytorch/tokenization.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "tinytorch/error.h"
#include "tinytorch/serialization.h"

namespace tinytorch {

namespace {

constexpr int64_t kByteTokens = 256;

// ---------------------------------------------------------------------------------------------
// UTF-8.

std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// Decodes the code point starting at text[*pos] and advances *pos. Rejects what RFC 3629 forbids:
// stray continuation bytes, truncated sequences, overlong forms, surrogates, > U+10FFFF.
char32_t NextCodePoint(std::string_view text, size_t* pos, const char* op) {
  const size_t start = *pos;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(start);
  int len;
  char32_t c;
  if (b0 < 0x80) {
    len = 1, c = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, c = b0 & 0x07;
  } else {
    detail::Throw(op, ": invalid UTF-8 (byte 0x", std::hex, static_cast<int>(b0), std::dec,
                  " at offset ", start, ")");
  }
  TT_CHECK(start + len <= text.size(), op, ": invalid UTF-8 (truncated sequence at offset ", start,
           ")");
  for (int i = 1; i < len; ++i) {
    TT_CHECK((byte(start + i) & 0xC0) == 0x80, op,
             ": invalid UTF-8 (bad continuation byte at offset ", start + i, ")");
    c = (c << 6) | (byte(start + i) & 0x3F);
  }
  static constexpr char32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  TT_CHECK(c >= kMinForLength[len] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF), op,
           ": invalid UTF-8 (overlong form, surrogate or out-of-range code point at offset ", start,
           ")");
  *pos = start + len;
  return c;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// ---------------------------------------------------------------------------------------------
// Special tokens.

// Calls on_text(piece) for the text between special tokens and on_special(index) for each
// special token, in order. At each position the longest matching special token wins.
template <class OnText, class OnSpecial>
void SplitOnSpecials(std::string_view text, const std::vector<std::string>& specials,
                     OnText on_text, OnSpecial on_special) {
  if (specials.empty()) {
    if (!text.empty()) on_text(text);
    return;
  }
  size_t piece_start = 0, pos = 0;
  while (pos < text.size()) {
    int64_t best = -1;
    for (size_t s = 0; s < specials.size(); ++s) {
      if (text.substr(pos).starts_with(specials[s]) &&
          (best < 0 || specials[s].size() > specials[best].size())) {
        best = static_cast<int64_t>(s);
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    if (pos > piece_start) on_text(text.substr(piece_start, pos - piece_start));
    on_special(best);
    pos += specials[best].size();
    piece_start = pos;
  }
  if (pos > piece_start) on_text(text.substr(piece_start, pos - piece_start));
}

// ---------------------------------------------------------------------------------------------
// The tokenizer file: a line-based text format, bytes of strings hex-encoded so any token fits.
//   tinytorch-tokenizer 1 <kind>
//   specials <n>      then n lines of hex
//   <section> <n>     then n lines of decimal numbers (code points, or "left right" merges)

constexpr const char* kMagic = "tinytorch-tokenizer";

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

class TokenizerFileReader {
 public:
  TokenizerFileReader(std::string path, const std::string& kind)
      : path_(std::move(path)), in_(ReadFile(path_)) {
    std::string magic, version, file_kind;
    Line() >> magic >> version >> file_kind;
    Expect(magic == kMagic && version == "1", "not a tinytorch tokenizer file (version 1)");
    Expect(file_kind == kind, "holds a '" + file_kind + "' tokenizer, not '" + kind + "'");
  }

  int64_t Section(const std::string& name) {
    std::string word;
    int64_t n = -1;
    Line() >> word >> n;
    Expect(word == name && n >= 0, "expected section '" + name + " <count>'");
    // Each entry is a line of at least one character and a newline (the last may lack it): a
    // larger count is a corrupt file, not a vector to allocate.
    Expect(n <= (in_.rdbuf()->in_avail() + 1) / 2,
           "section '" + name + "' counts " + std::to_string(n) +
               " entries, more than the rest of the file holds");
    return n;
  }
  std::string HexLine() {
    std::string hex;
    Line() >> hex;
    Expect(!hex.empty() && hex.size() % 2 == 0 &&
               hex.find_first_not_of("0123456789abcdef") == std::string::npos,
           "bad hex string");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
      out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
  }
  std::vector<int64_t> Numbers(int count) {
    std::istringstream line = Line();
    std::vector<int64_t> out(count);
    for (int64_t& v : out) line >> v;
    Expect(!line.fail(), "expected " + std::to_string(count) + " numbers");
    return out;
  }
  void Expect(bool ok, const std::string& what) const {
    TT_CHECK(ok, "tokenizer file '", path_, "' line ", line_no_, ": ", what);
  }

 private:
  std::istringstream Line() {
    std::string line;
    ++line_no_;
    Expect(static_cast<bool>(std::getline(in_, line)), "unexpected end of file");
    return std::istringstream(line);
  }

  std::string path_;
  std::istringstream in_;
  int line_no_ = 0;
};

void WriteSpecials(std::ostringstream& out, const std::vector<std::string>& specials) {
  out << "specials " << specials.size() << '\n';
  for (const std::string& s : specials) out << Hex(s) << '\n';
}

std::vector<std::string> ReadSpecials(TokenizerFileReader& in) {
  std::vector<std::string> specials(in.Section("specials"));
  for (std::string& s : specials) s = in.HexLine();
  return specials;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tokenizer.

void Tokenizer::SetSpecialTokens(std::vector<std::string> specials, int64_t first_id,
                                 const char* op) {
  std::set<std::string> seen;
  for (const std::string& s : specials) {
    TT_CHECK(!s.empty(), op, ": a special token is the empty string");
    TT_CHECK(seen.insert(s).second, op, ": special token '", s, "' is listed twice");
  }
  specials_ = std::move(specials);
  first_special_id_ = first_id;
}

std::string Tokenizer::Decode(std::span<const int64_t> ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    TT_CHECK(ids[i] >= 0 && ids[i] < vocab_size(), "Tokenizer::Decode: token id ", ids[i],
             " at position ", i, " is outside the vocabulary [0, ", vocab_size(), ")");
    if (ids[i] < first_special_id_) {
      AppendRegularToken(ids[i], out);
    } else {
      out += specials_[ids[i] - first_special_id_];
    }
  }
  return out;
}

std::string Tokenizer::TokenText(int64_t id) const {
  const int64_t ids[] = {id};
  return Decode(ids);
}

int64_t Tokenizer::SpecialTokenId(std::string_view token) const {
  const auto it = std::find(specials_.begin(), specials_.end(), token);
  TT_CHECK(it != specials_.end(), "Tokenizer::SpecialTokenId: '", token,
           "' is not a special token");
  return first_special_id_ + (it - specials_.begin());
}

// ---------------------------------------------------------------------------------------------
// CharTokenizer.

CharTokenizer CharTokenizer::Train(std::string_view corpus,
                                   std::vector<std::string> special_tokens) {
  TT_CHECK(!corpus.empty(), "CharTokenizer::Train: the corpus is empty");
  std::set<char32_t> chars;
  for (size_t pos = 0; pos < corpus.size();) {
    chars.insert(NextCodePoint(corpus, &pos, "CharTokenizer::Train"));
  }
  CharTokenizer tok;
  tok.chars_.assign(chars.begin(), chars.end());
  for (size_t i = 0; i < tok.chars_.size(); ++i) tok.ids_[tok.chars_[i]] = i;
  tok.SetSpecialTokens(std::move(special_tokens), tok.chars_.size(), "CharTokenizer::Train");
  return tok;
}

TokenIds CharTokenizer::Encode(std::string_view text) const {
  TokenIds out;
  out.reserve(text.size());
  SplitOnSpecials(
      text, special_tokens(),
      [&](std::string_view piece) {
        for (size_t pos = 0; pos < piece.size();) {
          const size_t start = pos;
          const char32_t c = NextCodePoint(piece, &pos, "CharTokenizer::Encode");
          const auto it = ids_.find(c);
          TT_CHECK(it != ids_.end(), "CharTokenizer::Encode: character ", CodePointName(c), " ('",
                   piece.substr(start, pos - start), "') at byte offset ",
                   piece.data() - text.data() + start, " is not in the vocabulary");
          out.push_back(it->second);
        }
      },
      [&](int64_t s) { out.push_back(first_special_id() + s); });
  return out;
}

void CharTokenizer::AppendRegularToken(int64_t id, std::string& out) const {
  AppendUtf8(chars_[id], out);
}

void CharTokenizer::Save(const std::string& path) const {
  std::ostringstream out;
  out << kMagic << " 1 char\n";
  WriteSpecials(out, special_tokens());
  out << "chars " << chars_.size() << '\n';
  for (char32_t c : chars_) out << static_cast<uint32_t>(c) << '\n';
  WriteFileAtomically(path, out.str());
}

CharTokenizer CharTokenizer::Load(const std::string& path) {
  TokenizerFileReader in(path, "char");
  std::vector<std::string> specials = ReadSpecials(in);
  CharTokenizer tok;
  const int64_t n = in.Section("chars");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = in.Numbers(1)[0];
    in.Expect(c >= 0 && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF) &&
                  (tok.chars_.empty() || c > static_cast<int64_t>(tok.chars_.back())),
              "code points must be valid and ascending");
    tok.ids_[c] = i;
    tok.chars_.push_back(static_cast<char32_t>(c));
  }
  in.Expect(!tok.chars_.empty(), "the vocabulary is empty");
  tok.SetSpecialTokens(std::move(specials), n, "CharTokenizer::Load");
  return tok;
}

// ---------------------------------------------------------------------------------------------
// BPETokenizer.

namespace {

enum class ByteClass { kLetter, kDigit, kSpace, kOther };

// Bytes of multi-byte UTF-8 sequences count as letters, so accented and non-Latin words stay
// whole (GPT-2 uses Unicode categories; this is the byte-level approximation).
ByteClass ClassOf(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) return ByteClass::kLetter;
  if (c >= '0' && c <= '9') return ByteClass::kDigit;
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
    return ByteClass::kSpace;
  }
  return ByteClass::kOther;
}

// GPT-2's pre-tokenizer, on bytes: " ?letters", " ?digits", " ?others", and whitespace runs,
// where a whitespace run before a word leaves its last space to that word.
template <class OnWord>
void SplitWords(std::string_view text, OnWord on_word) {
  const auto cls = [&](size_t i) { return ClassOf(static_cast<unsigned char>(text[i])); };
  size_t i = 0;
  while (i < text.size()) {
    if (cls(i) == ByteClass::kSpace) {
      size_t end = i;
      while (end < text.size() && cls(end) == ByteClass::kSpace) ++end;
      if (end == text.size() || text[end - 1] != ' ') {
        on_word(text.substr(i, end - i));
        i = end;
        continue;
      }
      // "\n  word" → "\n " + " word": the space before a word stays with it.
      if (end - 1 > i) on_word(text.substr(i, end - 1 - i));
      i = end - 1;
    }
    const size_t start = i;
    if (text[i] == ' ') ++i;
    const ByteClass run = cls(i);
    while (i < text.size() && cls(i) == run) ++i;
    on_word(text.substr(start, i - start));
  }
}

// The byte values of `text` as token ids 0–255.
std::vector<int64_t> ByteIds(std::string_view text) {
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
  return ids;
}

// Replaces each non-overlapping (left, right), scanning left to right, with `merged`.
void MergePair(std::vector<int64_t>& ids, int64_t left, int64_t right, int64_t merged) {
  size_t n = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i + 1 < ids.size() && ids[i] == left && ids[i + 1] == right) {
      ids[n++] = merged;
      ++i;
    } else {
      ids[n++] = ids[i];
    }
  }
  ids.resize(n);
}

uint64_t PairKey(int64_t left, int64_t right) {
  return static_cast<uint64_t>(left) << 32 | static_cast<uint64_t>(right);
}

}  // namespace

BPETokenizer BPETokenizer::FromMerges(std::vector<std::pair<int64_t, int64_t>> merges,
                                      std::vector<std::string> specials, const char* op) {
  BPETokenizer tok;
  tok.bytes_.reserve(kByteTokens + merges.size());
  for (int b = 0; b < kByteTokens; ++b) tok.bytes_.emplace_back(1, static_cast<char>(b));
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto [left, right] = merges[r];
    const auto known = static_cast<int64_t>(tok.bytes_.size());
    TT_CHECK(left >= 0 && left < known && right >= 0 && right < known, op, ": merge ", r, " (",
             left, ", ", right, ") uses an id not defined before it");
    TT_CHECK(tok.rank_.emplace(PairKey(left, right), r).second, op, ": merge ", r, " (", left, ", ",
             right, ") repeats an earlier merge");
    tok.bytes_.push_back(tok.bytes_[left] + tok.bytes_[right]);
  }
  tok.merges_ = std::move(merges);
  tok.SetSpecialTokens(std::move(specials), tok.bytes_.size(), op);
  return tok;
}

BPETokenizer BPETokenizer::Train(std::string_view corpus, int64_t vocab_size,
                                 std::vector<std::string> special_tokens) {
  const char* op = "BPETokenizer::Train";
  TT_CHECK(!corpus.empty(), op, ": the corpus is empty");
  const auto n_special = static_cast<int64_t>(special_tokens.size());
  TT_CHECK(vocab_size >= kByteTokens + n_special, op, ": vocab_size ", vocab_size,
           " is below the 256 byte tokens + ", n_special, " special tokens");

  // Unique words with their counts; special tokens in the corpus are not learned from.
  std::map<std::string, int64_t> word_counts;
  SplitOnSpecials(
      corpus, special_tokens,
      [&](std::string_view piece) {
        SplitWords(piece, [&](std::string_view w) { ++word_counts[std::string(w)]; });
      },
      [](int64_t) {});
  std::vector<std::vector<int64_t>> words;
  std::vector<int64_t> counts;
  for (const auto& [w, n] : word_counts) {
    words.push_back(ByteIds(w));
    counts.push_back(n);
  }

  // Recounting all pairs each step costs O(merges × corpus symbols); at the vocabularies this
  // course trains (≤ a few thousand) that is well under a second for a few hundred KB.
  std::vector<std::pair<int64_t, int64_t>> merges;
  std::unordered_map<uint64_t, int64_t> pair_counts;
  const int64_t target_merges = vocab_size - kByteTokens - n_special;
  while (static_cast<int64_t>(merges.size()) < target_merges) {
    pair_counts.clear();
    for (size_t w = 0; w < words.size(); ++w) {
      for (size_t i = 0; i + 1 < words[w].size(); ++i) {
        pair_counts[PairKey(words[w][i], words[w][i + 1])] += counts[w];
      }
    }
    uint64_t best = 0;
    int64_t best_count = 1;  // a pair must occur at least twice to be worth a token
    for (const auto& [key, n] : pair_counts) {
      if (n > best_count || (n == best_count && n > 1 && key < best)) best = key, best_count = n;
    }
    if (best_count < 2) break;
    const int64_t left = static_cast<int64_t>(best >> 32), right = best & 0xFFFFFFFF;
    const int64_t id = kByteTokens + static_cast<int64_t>(merges.size());
    merges.emplace_back(left, right);
    for (std::vector<int64_t>& w : words) MergePair(w, left, right, id);
  }
  return FromMerges(std::move(merges), std::move(special_tokens), op);
}

// Applies merges in rank order, as training learned them: repeatedly merge every occurrence of
// the lowest-ranked pair present.
void BPETokenizer::EncodeWord(std::string_view word, TokenIds& out) const {
  std::vector<int64_t> ids = ByteIds(word);
  while (ids.size() > 1) {
    int64_t best_rank = -1;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const auto it = rank_.find(PairKey(ids[i], ids[i + 1]));
      if (it != rank_.end() && (best_rank < 0 || it->second < best_rank)) best_rank = it->second;
    }
    if (best_rank < 0) break;
    MergePair(ids, merges_[best_rank].first, merges_[best_rank].second, kByteTokens + best_rank);
  }
  out.insert(out.end(), ids.begin(), ids.end());
}

TokenIds BPETokenizer::Encode(std::string_view text) const {
  TokenIds out;
  SplitOnSpecials(
      text, special_tokens(),
      [&](std::string_view piece) {
        SplitWords(piece, [&](std::string_view w) { EncodeWord(w, out); });
      },
      [&](int64_t s) { out.push_back(first_special_id() + s); });
  return out;
}

void BPETokenizer::AppendRegularToken(int64_t id, std::string& out) const { out += bytes_[id]; }

void BPETokenizer::Save(const std::string& path) const {
  std::ostringstream out;
  out << kMagic << " 1 bpe\n";
  WriteSpecials(out, special_tokens());
  out << "merges " << merges_.size() << '\n';
  for (const auto& [left, right] : merges_) out << left << ' ' << right << '\n';
  WriteFileAtomically(path, out.str());
}

BPETokenizer BPETokenizer::Load(const std::string& path) {
  TokenizerFileReader in(path, "bpe");
  std::vector<std::string> specials = ReadSpecials(in);
  std::vector<std::pair<int64_t, int64_t>> merges(in.Section("merges"));
  for (auto& [left, right] : merges) {
    const std::vector<int64_t> pair = in.Numbers(2);
    left = pair[0], right = pair[1];
  }
  return FromMerges(std::move(merges), std::move(specials), ("BPETokenizer::Load " + path).c_str());
}

}  // namespace tinytorch
