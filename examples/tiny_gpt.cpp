// Trains a character-level GPT on the opening of "Pride and Prejudice" (data/austen/) and samples
// from it. The last 10% of the text is held out; the program prints the training loss as it goes,
// the validation loss at checkpoints, a sample, and ends with
//   val_loss=<nats per char>  unigram_entropy=<nats per char>
// where the unigram entropy is what a model that knows only the character frequencies would
// score: a model that learned anything about English lands well below it.
// Command line: [path/to/text] [steps] [seed].
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tinytorch/tinytorch.h"

namespace {

using namespace tinytorch;

constexpr int64_t kContext = 64;
constexpr int64_t kBatch = 32;

// A (kBatch, kContext) window of inputs and the same windows shifted by one as targets.
struct Windows {
  Tensor inputs, targets;
};

// Appends ids[start, start + kContext) to x and the same window shifted by one to y.
void AppendWindow(const TokenIds& ids, int64_t start, std::vector<int64_t>& x,
                  std::vector<int64_t>& y) {
  x.insert(x.end(), ids.begin() + start, ids.begin() + start + kContext);
  y.insert(y.end(), ids.begin() + start + 1, ids.begin() + start + kContext + 1);
}

Windows SampleBatch(const TokenIds& ids, Generator& gen) {
  std::vector<int64_t> x, y;
  const uint64_t starts = ids.size() - kContext - 1;
  for (int64_t b = 0; b < kBatch; ++b) {
    AppendWindow(ids, static_cast<int64_t>(gen.NextU64() % starts), x, y);
  }
  return {Tensor::FromData(std::move(x), {kBatch, kContext}),
          Tensor::FromData(std::move(y), {kBatch * kContext})};
}

// Mean cross-entropy (nats per character) over every non-overlapping window of `ids`.
double Evaluate(GPT& model, const TokenIds& ids) {
  NoGradGuard no_grad;
  const int64_t vocab = model.config().vocab_size;
  const auto windows = static_cast<int64_t>((ids.size() - 1) / kContext);
  double total = 0.0;
  for (int64_t first = 0; first < windows; first += kBatch) {
    const int64_t n = std::min(kBatch, windows - first);
    std::vector<int64_t> x, y;
    for (int64_t w = first; w < first + n; ++w) AppendWindow(ids, w * kContext, x, y);
    const Tensor logits = model(Tensor::FromData(std::move(x), {n, kContext}));
    total += CrossEntropyLoss(Reduction::kSum)(logits.View({n * kContext, vocab}),
                                               Tensor::FromData(std::move(y), {n * kContext}))
                 .item();
  }
  return total / static_cast<double>(windows * kContext);
}

// Entropy of the character distribution, in nats: −Σ p log p.
double UnigramEntropy(const TokenIds& ids) {
  std::map<int64_t, double> counts;
  for (int64_t id : ids) counts[id] += 1;
  double h = 0.0;
  for (const auto& [id, c] : counts) {
    const double p = c / static_cast<double>(ids.size());
    h -= p * std::log(p);
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they happen, even in a log
  const std::string path = argc > 1 ? argv[1] : TT_DATA_DIR "/austen/pride_and_prejudice.txt";
  const int64_t steps = argc > 2 ? std::atoll(argv[2]) : 600;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  try {
    const auto start = std::chrono::steady_clock::now();
    const auto seconds = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const std::string text = ReadFile(path);
    const CharTokenizer tokenizer = CharTokenizer::Train(text);
    const TokenIds ids = tokenizer.Encode(text);
    const auto split = static_cast<ptrdiff_t>(ids.size() * 9 / 10);
    const TokenIds train(ids.begin(), ids.begin() + split), val(ids.begin() + split, ids.end());
    TT_CHECK(static_cast<int64_t>(val.size()) > kContext + 1, "tiny_gpt: ", path,
             " is too short to hold out a validation set");

    Generator gen(seed);
    GPT model({.vocab_size = tokenizer.vocab_size(),
               .max_seq_len = kContext,
               .embed_dim = 128,
               .num_heads = 4,
               .num_layers = 3},
              gen);
    std::printf("tiny_gpt: %zu chars (%zu train, %zu val), vocab %lld, %s, %lld parameters\n",
                ids.size(), train.size(), val.size(),
                static_cast<long long>(tokenizer.vocab_size()), model.ToString().c_str(),
                static_cast<long long>(model.NumParameters()));

    Adam optimizer(model.Parameters(), {.lr = 3e-3f});
    const CosineSchedule schedule(3e-3f, 3e-4f, steps, /*warmup_steps=*/steps / 20);
    const CrossEntropyLoss loss_fn;
    double running = 0.0;
    for (int64_t step = 0; step < steps; ++step) {
      optimizer.set_lr(schedule.LearningRate(step));
      const Windows batch = SampleBatch(train, gen);
      optimizer.ZeroGrad();
      const Tensor loss = loss_fn(
          model(batch.inputs).View({kBatch * kContext, tokenizer.vocab_size()}), batch.targets);
      loss.Backward();
      ClipGradNorm(model.Parameters(), 1.0);
      optimizer.Step();
      running = step == 0 ? loss.item() : 0.95 * running + 0.05 * loss.item();
      if ((step + 1) % 50 == 0 || step + 1 == steps) {
        std::printf("step %4lld  train_loss %.3f  lr %.2e  %.1fs\n",
                    static_cast<long long>(step + 1), running, optimizer.lr(), seconds());
      }
      if ((step + 1) % 200 == 0 && step + 1 != steps) {
        std::printf("step %4lld  val_loss %.3f\n", static_cast<long long>(step + 1),
                    Evaluate(model, val));
      }
    }

    const double val_loss = Evaluate(model, val);
    const TokenIds prompt = tokenizer.Encode("Elizabeth");
    const TokenIds sample = model.Generate(prompt, 300, {.temperature = 0.8f, .seed = seed});
    std::printf("--- sample (temperature 0.8) ---\n%s\n---\n", tokenizer.Decode(sample).c_str());
    std::printf("trained %lld steps in %.1fs\n", static_cast<long long>(steps), seconds());
    std::printf("val_loss=%.4f\nunigram_entropy=%.4f\n", val_loss, UnigramEntropy(ids));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tiny_gpt: %s\n", e.what());
    return 1;
  }
}
