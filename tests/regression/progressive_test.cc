// Progressive integration: stage N checks that module N works on what modules 01..N-1 produce,
// the way the course builds them up. Each stage is its own ctest entry labelled with its module
// (tests/regression/CMakeLists.txt), so `ctest -L module_08_training` runs stage 08 too. Stages
// use the real digits data and the course's models; every assertion is a number that a broken
// earlier module would change.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/digits_models.h"
#include "support/gradcheck.h"
#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using testing::Digits;
using testing::DigitsData;

Tensor Rows(const Tensor& t, int64_t n) { return t.Slice(0, 0, n).Contiguous(); }

std::shared_ptr<Sequential> FreshMlp(uint64_t seed = 3) {
  Generator gen(seed);
  return digits::BuildMlp(gen);
}

TEST(ProgressiveTest, Stage01Tensor) {
  // X·Xᵀ on real rows: its diagonal is each row's sum of squares.
  const Tensor x = Rows(Digits().train_x, 16);
  const Tensor gram = MatMul(x, x.Transpose(0, 1)).Contiguous();
  const std::vector<float> squares = (x * x).Sum(1).ToVector();
  for (int64_t i = 0; i < 16; ++i) EXPECT_NEAR(gram.data<float>()[i * 16 + i], squares[i], 1e-4);
}

TEST(ProgressiveTest, Stage02Activations) {
  Generator gen(2);
  const Tensor logits = MatMul(Rows(Digits().train_x, 32), Tensor::RandN({64, 10}, gen));
  for (const float s : Softmax(logits, 1).Sum(1).ToVector()) EXPECT_NEAR(s, 1.f, 1e-5);
  const std::vector<float> z = logits.ToVector(), r = Relu(logits).ToVector();
  for (size_t i = 0; i < z.size(); ++i) EXPECT_EQ(r[i], std::max(z[i], 0.f));
}

TEST(ProgressiveTest, Stage03Layers) {
  const auto mlp = FreshMlp();
  EXPECT_EQ(mlp->NumParameters(), 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  const Tensor out = (*mlp)(Rows(Digits().train_x, 32));
  EXPECT_EQ(out.shape(), (Shape{32, 10}));
  for (const float v : out.ToVector()) EXPECT_TRUE(std::isfinite(v));
}

TEST(ProgressiveTest, Stage04Losses) {
  // With the last layer zeroed every class gets the same logit: cross-entropy is exactly ln 10.
  const auto mlp = FreshMlp();
  auto& last = dynamic_cast<Linear&>((*mlp)[4]);
  Tensor w = last.weight(), b = last.bias();
  {
    const NoGradGuard no_grad;
    w.CopyFrom(Tensor::Zeros(w.shape()));
    b.CopyFrom(Tensor::Zeros(b.shape()));
  }
  const Tensor loss =
      CrossEntropyLoss()((*mlp)(Rows(Digits().train_x, 64)), Rows(Digits().train_y, 64));
  EXPECT_NEAR(loss.item(), std::log(10.0), 1e-5);
}

TEST(ProgressiveTest, Stage05Dataloader) {
  const DigitsData& d = Digits();
  DataLoader loader(std::make_shared<TensorDataset>(d.train_x, d.train_y),
                    {.batch_size = 100, .shuffle = true, .seed = 5});
  const auto mlp = FreshMlp();
  std::multiset<float> seen, all;
  for (const float v : d.train_x.Sum(1).ToVector()) all.insert(v);
  int64_t rows = 0;
  for (const Batch& batch : loader) {
    EXPECT_EQ((*mlp)(batch.inputs).size(0), batch.targets.size(0));
    for (const float v : batch.inputs.Sum(1).ToVector()) seen.insert(v);
    rows += batch.inputs.size(0);
  }
  EXPECT_EQ(rows, d.train_x.size(0));
  EXPECT_EQ(seen, all) << "an epoch must visit every training row exactly once";
}

TEST(ProgressiveTest, Stage06Autograd) {
  // The MLP's loss gradient with respect to its input agrees with central differences.
  const auto mlp = FreshMlp();
  const Tensor y = Rows(Digits().train_y, 4);
  EXPECT_TRUE(testing::GradCheck(
      [&](const std::vector<Tensor>& in) { return CrossEntropyLoss()((*mlp)(in[0]), y); },
      {Rows(Digits().train_x, 4)}));
}

TEST(ProgressiveTest, Stage07Optimizers) {
  // Adam drives the loss on 64 fixed examples down by 10x.
  const auto mlp = FreshMlp();
  Adam adam(mlp->Parameters(), {.lr = 1e-2f});
  const Tensor x = Rows(Digits().train_x, 64), y = Rows(Digits().train_y, 64);
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    const Tensor loss = CrossEntropyLoss()((*mlp)(x), y);
    (step == 0 ? first : last) = loss.item();
    adam.ZeroGrad();
    loss.Backward();
    adam.Step();
  }
  EXPECT_LT(last, first / 10) << "first " << first << ", last " << last;
}

TEST(ProgressiveTest, Stage08Training) {
  const DigitsData& d = Digits();
  const auto mlp = FreshMlp();
  Adam adam(mlp->Parameters(), {.lr = 3e-3f});
  Trainer trainer(*mlp, adam, CrossEntropyLoss());
  DataLoader train(std::make_shared<TensorDataset>(d.train_x, d.train_y),
                   {.batch_size = 32, .shuffle = true, .seed = 8});
  DataLoader test(std::make_shared<TensorDataset>(d.test_x, d.test_y), {.batch_size = 256});
  for (int epoch = 0; epoch < 4; ++epoch) trainer.RunEpoch(train);
  EXPECT_GE(trainer.Evaluate(test).accuracy, 0.9);
}

TEST(ProgressiveTest, Stage09Convolutions) {
  const DigitsData& d = Digits();
  const auto cnn = testing::TrainedDigitsCnn();
  EXPECT_GE(testing::Accuracy(*cnn, testing::AsImages(d.test_x), d.test_y), 0.95);
}

const char* kCorpus =
    "the cat sat on the mat. the dog sat on the log. the cat saw the dog. the dog saw the cat. ";

TEST(ProgressiveTest, Stage10Tokenization) {
  const BPETokenizer bpe = BPETokenizer::Train(kCorpus, 256 + 20);
  const TokenIds ids = bpe.Encode("the dog sat on the mat.");
  EXPECT_EQ(bpe.Decode(ids), "the dog sat on the mat.");
  EXPECT_LT(ids.size(), std::string("the dog sat on the mat.").size()) << "merges must compress";
  const Tensor t = Tensor::FromData(std::vector<int64_t>(ids.begin(), ids.end()),
                                    {1, static_cast<int64_t>(ids.size())});
  EXPECT_LT(t.Contiguous().data<int64_t>()[0], bpe.vocab_size());
}

TEST(ProgressiveTest, Stage11Embeddings) {
  // Tokens → embeddings + positions; only the rows of tokens that occur receive gradient.
  const CharTokenizer chars = CharTokenizer::Train(kCorpus);
  const TokenIds ids = chars.Encode("the cat");
  Generator gen(11);
  Embedding embedding(chars.vocab_size(), 8, gen);
  PositionalEncoding positions(16, 8, gen);
  const Tensor x = positions(embedding(Tensor::FromData(
      std::vector<int64_t>(ids.begin(), ids.end()), {1, static_cast<int64_t>(ids.size())})));
  EXPECT_EQ(x.shape(), (Shape{1, 7, 8}));
  x.Sum().Backward();
  const Tensor grad = embedding.Parameters()[0].grad().Contiguous();
  const std::set<int64_t> used(ids.begin(), ids.end());
  for (int64_t token = 0; token < chars.vocab_size(); ++token) {
    float norm = 0;
    for (int64_t j = 0; j < 8; ++j) norm += std::abs(grad.data<float>()[token * 8 + j]);
    EXPECT_EQ(norm > 0, used.count(token) > 0) << "token " << token;
  }
}

TEST(ProgressiveTest, Stage12Attention) {
  // Causal attention over embedded tokens: changing the last token leaves earlier outputs alone.
  const CharTokenizer chars = CharTokenizer::Train(kCorpus);
  Generator gen(12);
  Embedding embedding(chars.vocab_size(), 16, gen);
  MultiHeadAttention attention(16, 4, gen, /*causal=*/true);
  const auto run = [&](const std::string& text) {
    const TokenIds ids = chars.Encode(text);
    return attention(embedding(Tensor::FromData(std::vector<int64_t>(ids.begin(), ids.end()),
                                                {1, static_cast<int64_t>(ids.size())})))
        .ToVector();
  };
  const std::vector<float> a = run("the cat"), b = run("the cad");
  for (size_t i = 0; i < 6 * 16; ++i) EXPECT_FLOAT_EQ(a[i], b[i]) << "position " << i / 16;
  EXPECT_NE(a.back(), b.back());
}

// A GPT trained on the corpus, shared by stages 13 and 18.
struct TrainedGpt {
  CharTokenizer chars = CharTokenizer::Train(kCorpus);
  std::unique_ptr<GPT> gpt;
  double first_loss = 0, last_loss = 0;
};
TrainedGpt& SmallTrainedGpt() {
  static TrainedGpt t = [] {
    TrainedGpt r;
    Generator gen(13);
    r.gpt = std::make_unique<GPT>(GPTConfig{.vocab_size = r.chars.vocab_size(),
                                            .max_seq_len = 32,
                                            .embed_dim = 32,
                                            .num_heads = 4,
                                            .num_layers = 2},
                                  gen);
    const TokenIds ids = r.chars.Encode(kCorpus);
    const int64_t n = static_cast<int64_t>(ids.size()) - 1;
    const Tensor all = Tensor::FromData(std::vector<int64_t>(ids.begin(), ids.end()), {1, n + 1});
    const Tensor inputs = all.Slice(1, 0, 32).Contiguous(),
                 targets = all.Slice(1, 1, 33).Contiguous();
    Adam adam(r.gpt->Parameters(), {.lr = 1e-2f});
    for (int step = 0; step < 150; ++step) {
      const Tensor logits = (*r.gpt)(inputs).Reshape({32, r.chars.vocab_size()});
      const Tensor loss = CrossEntropyLoss()(logits, targets.Reshape({32}));
      (step == 0 ? r.first_loss : r.last_loss) = loss.item();
      adam.ZeroGrad();
      loss.Backward();
      adam.Step();
    }
    r.gpt->Eval();
    return r;
  }();
  return t;
}

TEST(ProgressiveTest, Stage13Transformers) {
  TrainedGpt& t = SmallTrainedGpt();
  EXPECT_LT(t.last_loss, 0.2) << "a 2-layer GPT memorises 32 characters (first loss "
                              << t.first_loss << ")";
  const TokenIds prompt = t.chars.Encode("the cat sat");
  const TokenIds out = t.gpt->Generate(prompt, 5, {.temperature = 0.f});
  EXPECT_EQ(t.chars.Decode(out), "the cat sat on t");
}

TEST(ProgressiveTest, Stage14Profiling) {
  const auto mlp = testing::TrainedDigitsMlp();
  const int64_t n = 100;
  const int64_t linear = 2 * n * (64 * 128 + 128 * 64 + 64 * 10) + n * (128 + 64 + 10);
  EXPECT_EQ(CountFlops(*mlp, Rows(Digits().test_x, n)), linear + n * (128 + 64));
  EXPECT_EQ(MeasureMemory(*mlp, Rows(Digits().test_x, n)).output_bytes, n * 10 * 4);
}

TEST(ProgressiveTest, Stage15Quantization) {
  const DigitsData& d = Digits();
  const auto mlp = testing::TrainedDigitsMlp();
  const auto int8 = QuantizeModel(*mlp, {}, Rows(d.train_x, 256));
  const double base = testing::Accuracy(*mlp, d.test_x, d.test_y);
  EXPECT_GE(testing::Accuracy(*int8, d.test_x, d.test_y), base - 0.01);
  EXPECT_GE(testing::Agreement(*mlp, *int8, d.test_x), 0.97);
  EXPECT_GT(WeightBytes(*mlp), 3.9 * static_cast<double>(WeightBytes(*int8)));
}

TEST(ProgressiveTest, Stage16Compression) {
  const DigitsData& d = Digits();
  const auto pruned = StructuredPrune(*testing::TrainedDigitsMlp(), 0.0);  // a deep copy
  const double base = testing::Accuracy(*pruned, d.test_x, d.test_y);
  MagnitudePrune(*pruned, 0.5);
  EXPECT_NEAR(WeightSparsity(*pruned), 0.5, 0.01);
  EXPECT_GE(testing::Accuracy(*pruned, d.test_x, d.test_y), base - 0.03);
  const auto sparse = ToSparse(*pruned);
  EXPECT_EQ(testing::Agreement(*pruned, *sparse, d.test_x), 1.0);
}

TEST(ProgressiveTest, Stage17Acceleration) {
  // The trained MLP's logits through every GEMM backend agree with the naive reference.
  const auto mlp = testing::TrainedDigitsMlp();
  const auto forward = [&](MatMulBackend backend) {
    Tensor h = Rows(Digits().test_x, 64);
    for (size_t i = 0; i < mlp->size(); ++i) {
      if (auto* linear = dynamic_cast<Linear*>(&(*mlp)[i])) {
        h = MatMul(h, linear->weight(), backend) + linear->bias();
      } else {
        h = Relu(h);
      }
    }
    return h.ToVector();
  };
  const std::vector<float> naive = forward(MatMulBackend::kNaive);
  for (const MatMulBackend b :
       {MatMulBackend::kReordered, MatMulBackend::kBlocked, MatMulBackend::kSimd,
        MatMulBackend::kThreaded, MatMulBackend::kOpenBlas}) {
    const std::vector<float> got = forward(b);
    for (size_t i = 0; i < naive.size(); ++i) {
      ASSERT_NEAR(got[i], naive[i], 1e-4f * (1 + std::abs(naive[i])))
          << "backend " << static_cast<int>(b) << " element " << i;
    }
  }
}

TEST(ProgressiveTest, Stage18Memoization) {
  TrainedGpt& t = SmallTrainedGpt();
  const TokenIds prompt = t.chars.Encode("the dog");
  EXPECT_EQ(GenerateCached(*t.gpt, prompt, 20, {.temperature = 0.f}),
            t.gpt->Generate(prompt, 20, {.temperature = 0.f}));
}

TEST(ProgressiveTest, Stage19Benchmarking) {
  const DigitsData& d = Digits();
  const auto mlp = testing::TrainedDigitsMlp();
  const EvaluationSet eval{"digits test", d.test_x, d.test_y};
  const Benchmark benchmark({.latency_seconds = 0.1});
  const ModelBenchmark r = benchmark.Run(BenchmarkModel::Of("mlp", mlp), Rows(d.test_x, 1), &eval);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_DOUBLE_EQ(r.accuracy, testing::Accuracy(*mlp, d.test_x, d.test_y));
  EXPECT_GT(r.latency.median, 0);
  EXPECT_EQ(r.state_bytes, mlp->StateBytes());
}

TEST(ProgressiveTest, Stage20Capstone) {
  // Measured metrics of the float and int8 MLPs make a valid all-around submission.
  const DigitsData& d = Digits();
  const auto mlp = testing::TrainedDigitsMlp();
  const EvaluationSet eval{"digits test", d.test_x, d.test_y};
  const Benchmark benchmark({.latency_seconds = 0.1});
  const auto metrics = [&](const std::string& name, std::shared_ptr<Module> m) {
    const ModelBenchmark r = benchmark.Run(BenchmarkModel::Of(name, m), Rows(d.test_x, 1), &eval);
    EXPECT_TRUE(r.ok) << r.error;
    return OlympicMetrics{name,
                          {r.accuracy, r.accuracy_low, r.accuracy_high},
                          {r.latency.median, r.latency.p25, r.latency.p75},
                          r.state_bytes,
                          r.evaluated};
  };
  Submission s;
  s.athlete = "progressive";
  s.baseline = metrics("mlp", mlp);
  s.optimized = metrics("mlp_int8", QuantizeModel(*mlp, {}, Rows(d.train_x, 256)));
  s.techniques = {"int8"};
  s.timestamp = "2026-01-01T00:00:00Z";
  const SubmissionCheck check = ValidateSubmission(s.ToJson());
  ASSERT_TRUE(check.valid()) << check.errors.front();
  const Leaderboard board =
      BuildLeaderboard(OlympicEvent::kAllAround, "closed", {{"s.json", s.ToJson()}});
  ASSERT_EQ(board.entries.size(), 1u);
  EXPECT_NEAR(board.entries[0].scores.compression_ratio,
              static_cast<double>(s.baseline.size_bytes) / s.optimized.size_bytes, 1e-12);
}

}  // namespace
}  // namespace tinytorch
