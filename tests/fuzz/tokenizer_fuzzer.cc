// Saved tokenizer files (module 10), both kinds; a tokenizer that loads must encode and decode.
#include "fuzz_support.h"
#include "tinytorch/error.h"
#include "tinytorch/tokenization.h"

namespace {
constexpr std::string_view kText = "Hello, wörld 42!<|endoftext|> \xff";

void Exercise(const tinytorch::Tokenizer& tok) {
  try {
    const tinytorch::TokenIds ids = tok.Encode(kText);
    (void)tok.Decode(ids);
  } catch (const tinytorch::Error&) {  // a character the vocabulary lacks
  }
  for (int64_t id = 0; id < std::min<int64_t>(tok.vocab_size(), 4096); ++id) (void)tok.TokenText(id);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "tokenizer.txt");
  try {
    Exercise(tinytorch::CharTokenizer::Load(path));
  } catch (const tinytorch::Error&) {
  }
  try {
    Exercise(tinytorch::BPETokenizer::Load(path));
  } catch (const tinytorch::Error&) {
  }
  return 0;
}
