// Module 07: optimizer update rules by hand and against PyTorch (several steps on the same
// parameters and gradients), state save/load, and input validation.
#include "tinytorch/optimizers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/golden.h"
#include "support/tensor_testing.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor Param(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::FromData(std::move(v), {n}).set_requires_grad(true);
}

TEST(OptimizersTest, SgdStepsByHand) {
  Tensor p = Param({1, 2});
  SGD sgd({p}, {.lr = 0.1f, .momentum = 0.5f});
  p.set_grad(Tensor::FromData(std::vector<float>{1, -1}, {2}));
  sgd.Step();  // buffer = g
  EXPECT_EQ(p.ToVector(), (std::vector<float>{0.9f, 2.1f}));
  sgd.Step();  // buffer = 0.5·g + g = 1.5·g
  EXPECT_TENSOR_CLOSE(p, Tensor::FromData(std::vector<float>{0.75f, 2.25f}, {2}), 1e-6, 1e-7);
  EXPECT_EQ(sgd.steps(), 2);
}

TEST(OptimizersTest, AdamFirstStepMovesByLearningRate) {
  // After bias correction the first step is lr·g/|g| = ±lr whatever the gradient's scale.
  Tensor p = Param({0, 0});
  Adam adam({p}, {.lr = 0.01f});
  p.set_grad(Tensor::FromData(std::vector<float>{1e-3f, -50.f}, {2}));
  adam.Step();
  EXPECT_TENSOR_CLOSE(p, Tensor::FromData(std::vector<float>{-0.01f, 0.01f}, {2}), 1e-4, 1e-6);
}

TEST(OptimizersTest, ParametersWithoutGradientAreSkipped) {
  Tensor a = Param({1}), b = Param({1});
  SGD sgd({a, b}, {.lr = 1.f});
  a.set_grad(Tensor::Ones({1}));
  sgd.Step();
  EXPECT_EQ(a.item(), 0.f);
  EXPECT_EQ(b.item(), 1.f);
  sgd.ZeroGrad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(OptimizersTest, BadOptionsAndParametersAreRejected) {
  EXPECT_THAT([] { SGD({}, {}); }, ThrowsMessage<Error>(HasSubstr("no parameters")));
  EXPECT_THAT([] { SGD({Param({1})}, {.lr = -1.f}); },
              ThrowsMessage<Error>(HasSubstr("learning rate -1")));
  EXPECT_THAT([] { SGD({Param({1})}, {.nesterov = true}); },
              ThrowsMessage<Error>(HasSubstr("Nesterov")));
  EXPECT_THAT([] { Adam({Param({1})}, {.beta1 = 1.f}); },
              ThrowsMessage<Error>(HasSubstr("betas (1, 0.999)")));
  EXPECT_THAT(
      [] {
        Adam({Tensor::Zeros({2, 2}).Transpose(0, 1)}, {});
      },
      ThrowsMessage<Error>(HasSubstr("must be a contiguous float32 leaf")));
}

TEST(OptimizersTest, StateRoundTripResumesExactly) {
  auto run = [](Adam& opt, Tensor& p, int steps, float g) {
    for (int i = 0; i < steps; ++i) {
      p.set_grad(Tensor::Full(p.shape(), g + static_cast<float>(i)));
      opt.Step();
    }
  };
  Tensor a = Param({1, 2, 3});
  Adam first({a}, {.lr = 0.1f});
  run(first, a, 3, 0.5f);
  const std::string saved = SerializeStateDict(first.State());  // State() is live: snapshot it
  const std::vector<float> at_save = a.ToVector();
  run(first, a, 2, 2.f);

  Tensor b = Param(at_save);
  Adam resumed({b}, {.lr = 0.5f});
  resumed.LoadState(DeserializeStateDict(saved, "memory"));
  EXPECT_EQ(resumed.steps(), 3);
  EXPECT_FLOAT_EQ(resumed.lr(), 0.1f);
  run(resumed, b, 2, 2.f);
  EXPECT_EQ(a.ToVector(), b.ToVector());
}

TEST(OptimizersTest, MismatchedStateIsRejectedBeforeAnyChange) {
  Tensor p = Param({1, 2});
  Adam adam({p}, {.lr = 0.1f});
  p.set_grad(Tensor::Ones({2}));
  adam.Step();
  StateDict bad = adam.State();
  bad["0.exp_avg"] = Tensor::Zeros({3});
  Tensor q = Param({0, 0});
  Adam other({q}, {.lr = 0.3f});
  EXPECT_THAT([&] { other.LoadState(bad); },
              ThrowsMessage<Error>(
                  HasSubstr("entry '0.exp_avg' has shape [3], parameter 0 has shape [2]")));
  EXPECT_EQ(other.steps(), 0);
  EXPECT_FLOAT_EQ(other.lr(), 0.3f);
  bad = adam.State();
  bad["1.exp_avg"] = Tensor::Zeros({2});
  EXPECT_THAT([&] { other.LoadState(bad); }, ThrowsMessage<Error>(HasSubstr("names no parameter")));
  bad = adam.State();
  bad["0.momentum_buffer"] = Tensor::Zeros({2});
  EXPECT_THAT([&] { other.LoadState(bad); },
              ThrowsMessage<Error>(HasSubstr("not a buffer of this optimizer")));
  bad = adam.State();
  bad.erase("step");
  EXPECT_THAT([&] { other.LoadState(bad); },
              ThrowsMessage<Error>(HasSubstr("missing entry 'step'")));
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden: four steps of each optimizer with the same parameters and gradients.

std::unique_ptr<Optimizer> Make(const nlohmann::json& c, const std::vector<Tensor>& params) {
  const nlohmann::json& o = c["options"];
  const std::string kind = c["optimizer"];
  if (kind == "sgd") {
    return std::make_unique<SGD>(params, SGDOptions{.lr = o.value("lr", 0.01f),
                                                    .momentum = o.value("momentum", 0.f),
                                                    .dampening = o.value("dampening", 0.f),
                                                    .nesterov = o.value("nesterov", false),
                                                    .weight_decay = o.value("weight_decay", 0.f)});
  }
  AdamOptions a{.lr = o.value("lr", 1e-3f),
                .eps = o.value("eps", 1e-8f),
                .weight_decay = o.value("weight_decay", kind == "adamw" ? 0.01f : 0.f)};
  if (o.contains("betas")) {
    a.beta1 = o["betas"][0];
    a.beta2 = o["betas"][1];
  }
  if (kind == "adamw") return std::make_unique<AdamW>(params, a);
  return std::make_unique<Adam>(params, a);
}

TEST(OptimizersTest, StepsMatchPyTorch) {
  std::ifstream in(TT_GOLDEN_DIR "/module_07_optimizers.json");
  ASSERT_TRUE(in) << "cannot open module_07_optimizers.json";
  const nlohmann::json doc = nlohmann::json::parse(in);
  double worst = 0;
  for (const auto& c : doc["optimizers"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<Tensor> params;
    for (const auto& jp : c["params"])
      params.push_back(testing::GoldenTensor(jp).Clone().set_requires_grad(true));
    const auto opt = Make(c, params);
    for (const auto& step : c["steps"]) {
      for (size_t i = 0; i < params.size(); ++i)
        params[i].set_grad(testing::GoldenTensor(step["grads"][i]));
      opt->Step();
      for (size_t i = 0; i < params.size(); ++i) {
        const Tensor want = testing::GoldenTensor(step["params"][i]);
        EXPECT_TENSOR_CLOSE(params[i], want, 1e-5, 1e-6);
        worst = std::max(worst, MaxAbsDiff(params[i], want));
      }
    }
  }
  testing::RecordDouble("max_abs_error", worst);
}

}  // namespace
}  // namespace tinytorch
