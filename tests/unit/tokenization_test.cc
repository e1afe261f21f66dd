// Module 10: tokenizers — hand-worked vocabularies and merges, exact round trips of any text
// (any bytes, for BPE), special tokens, saved files, and the errors for bad input.
#include "tinytorch/tokenization.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tinytorch/error.h"
#include "tinytorch/serialization.h"

namespace tinytorch {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

TEST(TokenizationTest, CharTokenizerNumbersCodePointsInOrder) {
  const CharTokenizer tok = CharTokenizer::Train("hello");
  EXPECT_EQ(tok.vocab_size(), 4);  // e h l o
  EXPECT_THAT(tok.Encode("hello"), ElementsAre(1, 0, 2, 2, 3));
  EXPECT_EQ(tok.Decode(tok.Encode("hole")), "hole");
  EXPECT_EQ(tok.TokenText(3), "o");
}

TEST(TokenizationTest, CharTokenizerRoundTripsUnicode) {
  const std::string text = "naïve café — ☃ 😀\n\ttab";
  const CharTokenizer tok = CharTokenizer::Train(text);
  EXPECT_EQ(tok.Decode(tok.Encode(text)), text);
  EXPECT_EQ(tok.Encode("😀").size(), 1u);  // one code point, four bytes
  EXPECT_EQ(tok.vocab_size(), 16);
}

TEST(TokenizationTest, CharTokenizerRejectsUnknownCharactersAndBadUtf8) {
  const CharTokenizer tok = CharTokenizer::Train("abc");
  EXPECT_THAT([&] { tok.Encode("abxc"); },
              ThrowsMessage<Error>(AllOf(HasSubstr("U+0078"), HasSubstr("byte offset 2"))));
  EXPECT_THAT([] { CharTokenizer::Train(""); }, ThrowsMessage<Error>(HasSubstr("empty")));
  EXPECT_THAT([] { CharTokenizer::Train("ab\xff"); },
              ThrowsMessage<Error>(HasSubstr("invalid UTF-8 (byte 0xff at offset 2)")));
  EXPECT_THAT([] { CharTokenizer::Train("\xc3"); }, ThrowsMessage<Error>(HasSubstr("truncated")));
  EXPECT_THAT([] { CharTokenizer::Train("\xc0\xaf"); },  // overlong '/'
              ThrowsMessage<Error>(HasSubstr("overlong")));
  EXPECT_THAT([] { CharTokenizer::Train("\xed\xa0\x80"); },  // a UTF-16 surrogate
              ThrowsMessage<Error>(HasSubstr("surrogate")));
  const std::vector<int64_t> bad = {0, 3};
  EXPECT_THAT([&] { tok.Decode(bad); },
              ThrowsMessage<Error>(HasSubstr("token id 3 at position 1 is outside the vocabulary "
                                             "[0, 3)")));
}

TEST(TokenizationTest, SpecialTokensEncodeAsOneIdAfterTheRegularTokens) {
  const CharTokenizer tok = CharTokenizer::Train("ab<>", {"<eos>", "<e"});
  EXPECT_EQ(tok.vocab_size(), 6);
  EXPECT_EQ(tok.SpecialTokenId("<eos>"), 4);
  // The longest special token wins where two match.
  EXPECT_THAT(tok.Encode("a<eos>b<e"), ElementsAre(2, 4, 3, 5));
  EXPECT_EQ(tok.Decode(tok.Encode("<eos>a<e")), "<eos>a<e");
  EXPECT_THAT([&] { tok.SpecialTokenId("<pad>"); }, ThrowsMessage<Error>(HasSubstr("<pad>")));
  EXPECT_THAT(
      [] {
        CharTokenizer::Train("ab", {"<x>", "<x>"});
      },
      ThrowsMessage<Error>(HasSubstr("listed twice")));
}

TEST(TokenizationTest, BpeLearnsTheMostFrequentPairsWithDeterministicTies) {
  // Worked by hand: "aa" occurs 4 times; then (a, b) and (aa, a) tie at 2 and the smaller ids
  // (97, 98) win; then (aa, ab) occurs twice; nothing else repeats.
  const BPETokenizer tok = BPETokenizer::Train("aaabdaaabac", 300);
  using Merge = std::pair<int64_t, int64_t>;
  EXPECT_THAT(tok.merges(), ElementsAre(Merge{97, 97}, Merge{97, 98}, Merge{256, 257}));
  EXPECT_EQ(tok.vocab_size(), 259);
  EXPECT_THAT(tok.Encode("aaabdaaabac"), ElementsAre(258, 'd', 258, 'a', 'c'));
  EXPECT_EQ(tok.TokenText(258), "aaab");
}

TEST(TokenizationTest, BpeStopsAtTheRequestedVocabularySize) {
  const BPETokenizer tok = BPETokenizer::Train("aaabdaaabac", 257);
  EXPECT_EQ(tok.vocab_size(), 257);
  EXPECT_EQ(tok.merges().size(), 1u);
}

TEST(TokenizationTest, BpeRoundTripsAnyBytes) {
  const BPETokenizer tok = BPETokenizer::Train("the cat sat on the mat; the hat", 280);
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);  // NUL, invalid UTF-8, ...
  for (const std::string& text :
       {std::string("the cat sat on the hat"), bytes, std::string("  \n\n  lead and trail  "),
        std::string("naïve ☃"), std::string()}) {
    EXPECT_EQ(tok.Decode(tok.Encode(text)), text);
  }
}

TEST(TokenizationTest, BpeMergesNeverCrossWordBoundaries) {
  const BPETokenizer tok = BPETokenizer::Train("ab ab ab. ab, ab 12 12 12", 400);
  for (int64_t id = 256; id < tok.vocab_size(); ++id) {
    const std::string t = tok.TokenText(id);
    // A space may only lead a word; letters, digits and punctuation never share a token.
    EXPECT_EQ(t.find(' ', 1), std::string::npos) << "'" << t << "'";
    const bool letters = t.find_first_of("ab") != std::string::npos;
    const bool digits = t.find_first_of("12") != std::string::npos;
    const bool others = t.find_first_of(".,") != std::string::npos;
    EXPECT_LE(letters + digits + others, 1) << "'" << t << "'";
  }
  EXPECT_THAT(tok.Encode(" ab"), ElementsAre(tok.Encode(" ab").front()));  // one token
}

TEST(TokenizationTest, BpeCompressesEnglishText) {
  const std::string text = ReadFile(TT_DATA_DIR "/austen/pride_and_prejudice.txt");
  const std::string train = text.substr(0, 200000), held_out = text.substr(250000, 40000);
  const BPETokenizer tok = BPETokenizer::Train(train, 512);
  EXPECT_EQ(tok.vocab_size(), 512);
  const TokenIds ids = tok.Encode(held_out);
  EXPECT_EQ(tok.Decode(ids), held_out);
  // Character level is 1 byte per token; 256 merges make common words and endings one token.
  const double bytes_per_token = static_cast<double>(held_out.size()) / ids.size();
  RecordProperty("bytes_per_token", std::to_string(bytes_per_token));
  EXPECT_GT(bytes_per_token, 2.0);
}

TEST(TokenizationTest, BpeSpecialTokensAreNeverSplit) {
  const BPETokenizer tok =
      BPETokenizer::Train("hello world<|endoftext|>hello", 270, {"<|endoftext|>"});
  const int64_t eot = tok.SpecialTokenId("<|endoftext|>");
  EXPECT_EQ(eot, tok.vocab_size() - 1);  // merges ran out before 270: specials come last
  const TokenIds ids = tok.Encode("hi<|endoftext|>hello");
  EXPECT_EQ(std::count(ids.begin(), ids.end(), eot), 1);
  EXPECT_EQ(tok.Decode(ids), "hi<|endoftext|>hello");
}

TEST(TokenizationTest, BpeRejectsBadArguments) {
  EXPECT_THAT([] { BPETokenizer::Train("", 300); }, ThrowsMessage<Error>(HasSubstr("empty")));
  EXPECT_THAT([] { BPETokenizer::Train("abc", 256, {"<eos>"}); },
              ThrowsMessage<Error>(HasSubstr("vocab_size 256 is below")));
  const BPETokenizer tok = BPETokenizer::Train("abc", 256);
  const std::vector<int64_t> bad = {97, -1};
  EXPECT_THAT([&] { tok.Decode(bad); },
              ThrowsMessage<Error>(HasSubstr("token id -1 at position 1")));
}

TEST(TokenizationTest, SavedTokenizersEncodeIdentically) {
  const std::string text = "the quick brown fox jumps over the lazy dog, the end";
  const BPETokenizer bpe = BPETokenizer::Train(text, 300, {"<eos>"});
  bpe.Save(TempPath("bpe.tok"));
  const BPETokenizer bpe2 = BPETokenizer::Load(TempPath("bpe.tok"));
  EXPECT_EQ(bpe2.merges(), bpe.merges());
  EXPECT_EQ(bpe2.Encode(text + "<eos>"), bpe.Encode(text + "<eos>"));

  const CharTokenizer chars = CharTokenizer::Train("naïve ☃", {"<pad>"});
  chars.Save(TempPath("char.tok"));
  const CharTokenizer chars2 = CharTokenizer::Load(TempPath("char.tok"));
  EXPECT_EQ(chars2.vocab_size(), chars.vocab_size());
  EXPECT_EQ(chars2.Encode("☃<pad>ï"), chars.Encode("☃<pad>ï"));

  EXPECT_THAT([] { CharTokenizer::Load(TempPath("bpe.tok")); },
              ThrowsMessage<Error>(HasSubstr("holds a 'bpe' tokenizer")));
  std::ofstream(TempPath("bad.tok")) << "tinytorch-tokenizer 1 bpe\nspecials 0\nmerges 2\n97 98\n";
  EXPECT_THAT([] { BPETokenizer::Load(TempPath("bad.tok")); },
              ThrowsMessage<Error>(AllOf(HasSubstr("bad.tok"), HasSubstr("line 5"),
                                         HasSubstr("unexpected end of file"))));
  std::ofstream(TempPath("bad2.tok"))
      << "tinytorch-tokenizer 1 bpe\nspecials 0\nmerges 1\n97 300\n";
  EXPECT_THAT([] { BPETokenizer::Load(TempPath("bad2.tok")); },
              ThrowsMessage<Error>(HasSubstr("uses an id not defined before it")));
}

// tests/fuzz/tokenizer_fuzzer's harness confirmed that a section count was allocated before
// its lines were read (99999999999 specials: a 2.4 TB vector). A count the file cannot hold is
// now an error naming the line; a last line without its newline still loads.
TEST(TokenizationTest, FuzzFoundSectionCountBeyondTheFileIsAnError) {
  const std::string huge = TempPath("huge.tok");
  std::ofstream(huge) << "tinytorch-tokenizer 1 bpe\nspecials 99999999999\n";
  EXPECT_THAT([&] { BPETokenizer::Load(huge); },
              ThrowsMessage<Error>(AllOf(HasSubstr("line 2"), HasSubstr("more than the rest"))));
  const std::string unterminated = TempPath("unterminated.tok");
  std::ofstream(unterminated) << "tinytorch-tokenizer 1 bpe\nspecials 0\nmerges 1\n104 101";
  EXPECT_EQ(BPETokenizer::Load(unterminated).merges().size(), 1u);
}

}  // namespace
}  // namespace tinytorch
