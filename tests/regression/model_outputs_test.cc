// Golden outputs of fixed-seed models, kept in tests/data/regression/<name>.json: any numerical
// drift in the layers, kernels, quantization or training step they go through fails here with a
// readable diff (the worst elements, their indices, expected and got values).
//
// These goldens are our own earlier outputs, not an external oracle (the PyTorch goldens under
// tests/data/golden are that); they pin behaviour so a change is seen and decided on. After an
// intended change, regenerate them and review the diff of the JSON files:
//   TT_UPDATE_GOLDEN=1 build/bin/model_outputs_test
// Tolerances allow for a different summation order (SIMD width, threads), not for a changed
// result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fileio/fileio.h"
#include "support/digits_models.h"
#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

constexpr const char* kFormat = "tinytorch-regression-output/1";

struct Output {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

Output FromTensor(const Tensor& t) {
  Output o{t.shape(), {}};
  if (t.dtype() == DType::kInt64) {
    const Tensor c = t.Contiguous();
    o.values.assign(c.data<int64_t>(), c.data<int64_t>() + c.numel());
  } else {
    for (const float v : t.ToVector()) o.values.push_back(v);
  }
  return o;
}

std::string Path(const std::string& name) {
  return std::string(TT_REGRESSION_DIR) + "/" + name + ".json";
}

std::string IndexOf(size_t flat, const std::vector<int64_t>& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = static_cast<int64_t>(flat) % shape[d];
    flat /= static_cast<size_t>(shape[d]);
  }
  std::string s = "[";
  for (size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + "]";
}

// Compares `got` with the stored golden `name` (|got − expected| ≤ atol + rtol·|expected|), or
// rewrites the golden when TT_UPDATE_GOLDEN=1.
void ExpectMatchesGolden(const std::string& name, const Output& got, double rtol, double atol,
                         const std::string& description) {
  if (const char* update = std::getenv("TT_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    const nlohmann::json j = {{"format", kFormat},   {"name", name}, {"description", description},
                              {"rtol", rtol},        {"atol", atol}, {"shape", got.shape},
                              {"values", got.values}};
    fileio::WriteAtomically(Path(name), j.dump(1) + "\n");
    GTEST_SKIP() << "rewrote " << Path(name);
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(fileio::ReadAll(Path(name)));
  } catch (const std::exception& e) {
    FAIL() << "cannot read golden " << Path(name) << ": " << e.what();
  }
  ASSERT_EQ(j.value("format", ""), kFormat) << Path(name) << ": unknown format";
  const Output want{j.at("shape").get<std::vector<int64_t>>(),
                    j.at("values").get<std::vector<double>>()};
  rtol = j.at("rtol").get<double>();
  atol = j.at("atol").get<double>();
  ASSERT_EQ(got.shape, want.shape) << name << ": shape changed";
  ASSERT_EQ(got.values.size(), want.values.size())
      << Path(name) << ": values do not fill the shape";
  std::vector<std::pair<double, size_t>> bad;  // (excess over tolerance, index)
  for (size_t i = 0; i < want.values.size(); ++i) {
    const double diff = std::abs(got.values[i] - want.values[i]);
    const double allowed = atol + rtol * std::abs(want.values[i]);
    if (!(diff <= allowed)) bad.emplace_back(std::isnan(diff) ? INFINITY : diff - allowed, i);
  }
  if (bad.empty()) return;
  std::sort(bad.rbegin(), bad.rend());
  std::ostringstream diff;
  diff << name << " (" << description << "): " << bad.size() << " of " << want.values.size()
       << " values drifted beyond atol " << atol << " + rtol " << rtol << "·|expected|\n"
       << "  index            expected             got                  |diff|\n";
  for (size_t k = 0; k < std::min<size_t>(bad.size(), 10); ++k) {
    const size_t i = bad[k].second;
    char line[160];
    std::snprintf(line, sizeof line, "  %-16s %-20.9g %-20.9g %.3g\n",
                  IndexOf(i, want.shape).c_str(), want.values[i], got.values[i],
                  std::abs(got.values[i] - want.values[i]));
    diff << line;
  }
  diff << "If the change is intended: TT_UPDATE_GOLDEN=1 build/bin/model_outputs_test, then review "
          "the JSON diff.";
  ADD_FAILURE() << diff.str();
}

Tensor TestRows(int64_t n) { return testing::Digits().test_x.Slice(0, 0, n).Contiguous(); }

TEST(ModelOutputsRegressionTest, MlpLogits) {
  Generator gen(7);
  const auto mlp = digits::BuildMlp(gen);
  const NoGradGuard no_grad;
  ExpectMatchesGolden("mlp_logits", FromTensor((*mlp)(TestRows(8))), 1e-5, 1e-5,
                      "digits MLP 64-128-64-10, seed 7, untrained, first 8 test images");
}

TEST(ModelOutputsRegressionTest, CnnLogits) {
  Generator gen(7);
  const auto cnn = digits::BuildCnn(gen);
  const NoGradGuard no_grad;
  ExpectMatchesGolden("cnn_logits", FromTensor((*cnn)(testing::AsImages(TestRows(8)))), 1e-5, 1e-5,
                      "digits CNN, seed 7, untrained, first 8 test images");
}

GPT SmallGpt() {
  Generator gen(7);
  return GPT(
      {.vocab_size = 64, .max_seq_len = 32, .embed_dim = 32, .num_heads = 4, .num_layers = 2}, gen);
}

TEST(ModelOutputsRegressionTest, GptLogits) {
  GPT gpt = SmallGpt();
  std::vector<int64_t> tokens(16);
  for (int64_t i = 0; i < 16; ++i) tokens[i] = (5 * i + 3) % 64;
  const NoGradGuard no_grad;
  ExpectMatchesGolden("gpt_logits", FromTensor(gpt(Tensor::FromData(tokens, {1, 16}))), 1e-4, 1e-5,
                      "GPT vocab 64, 32 wide, 2 layers, 4 heads, seed 7, 16 tokens");
}

// Greedy tokens are exact: a drift large enough to flip an argmax shows as a changed token.
TEST(ModelOutputsRegressionTest, GptGreedyTokens) {
  GPT gpt = SmallGpt();
  const TokenIds out = gpt.Generate({1, 2, 3, 4}, 24, {.temperature = 0.f});
  ExpectMatchesGolden("gpt_greedy_tokens",
                      {{static_cast<int64_t>(out.size())}, {out.begin(), out.end()}}, 0, 0,
                      "the same GPT, greedy, 24 tokens after the prompt 1 2 3 4");
}

// Integer GEMMs are exact; only the float scales and the final dequantization round.
TEST(ModelOutputsRegressionTest, QuantizedMlpLogits) {
  Generator gen(7);
  const auto mlp = digits::BuildMlp(gen);
  const auto quantized =
      QuantizeModel(*mlp, {}, testing::Digits().train_x.Slice(0, 0, 64).Contiguous());
  const NoGradGuard no_grad;
  ExpectMatchesGolden("quantized_mlp_logits", FromTensor((*quantized)(TestRows(8))), 1e-5, 1e-5,
                      "the seed-7 MLP, int8 with static ranges from 64 training images");
}

// Twenty SGD steps (momentum 0.9) through forward, loss, backward and update: the loss curve.
TEST(ModelOutputsRegressionTest, TrainingLossCurve) {
  Generator gen(7);
  const auto mlp = digits::BuildMlp(gen);
  SGD sgd(mlp->Parameters(), {.lr = 0.05f, .momentum = 0.9f});
  const CrossEntropyLoss loss_fn;
  const testing::DigitsData& d = testing::Digits();
  std::vector<double> losses;
  for (int64_t step = 0; step < 20; ++step) {
    const int64_t start = 32 * step;
    const Tensor loss = loss_fn((*mlp)(d.train_x.Slice(0, start, start + 32)),
                                d.train_y.Slice(0, start, start + 32));
    sgd.ZeroGrad();
    loss.Backward();
    sgd.Step();
    losses.push_back(loss.item());
  }
  ExpectMatchesGolden("training_loss_curve", {{20}, losses}, 1e-4, 1e-6,
                      "seed-7 MLP, SGD lr 0.05 momentum 0.9, batches of 32 training images");
}

}  // namespace
}  // namespace tinytorch
