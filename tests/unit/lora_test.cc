// Module 13, LoRA: a fresh adapter changes nothing, only the adapter trains (and learns a task
// the frozen base gets wrong), Merge and Unmerge keep the outputs, the lazy forward equals the
// eager one, and bad arguments are named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "support/digits_models.h"
#include "tinytorch/autograd.h"
#include "tinytorch/compression.h"
#include "tinytorch/error.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/transformers.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;

bool BitEqual(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.ToVector(), y = b.ToVector();
  return a.shape() == b.shape() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

// A private copy of the trained digits MLP whose last Linear (64 → 10) wears an adapter.
struct Adapted {
  std::shared_ptr<Sequential> base;  // the copy, with its original head
  std::shared_ptr<LoRALinear> head;
  std::shared_ptr<Sequential> model;  // the copy's body + the adapted head
};

Adapted AdaptDigitsMlp(int64_t rank, float alpha, uint64_t seed) {
  Adapted a;
  a.base = StructuredPrune(*testing::TrainedDigitsMlp(), 0.0);  // a deep copy
  Generator gen(seed);
  const auto& layers = a.base->layers();
  a.head =
      std::make_shared<LoRALinear>(dynamic_cast<const Linear&>(*layers.back()), gen, rank, alpha);
  std::vector<std::shared_ptr<Module>> body(layers.begin(), layers.end() - 1);
  body.push_back(a.head);
  a.model = std::make_shared<Sequential>(body);
  return a;
}

// Labels shifted by one class: a task the base model gets almost entirely wrong.
Tensor Shifted(const Tensor& y) {
  std::vector<int64_t> v(y.numel());
  for (int64_t i = 0; i < y.numel(); ++i) v[i] = (y.data<int64_t>()[i] + 1) % 10;
  return Tensor::FromData(v, y.shape());
}

TEST(LoRATest, AFreshAdapterChangesNothing) {
  Adapted a = AdaptDigitsMlp(8, 16.f, 1);
  const Tensor x = testing::Digits().test_x;
  NoGradGuard no_grad;
  EXPECT_TRUE(BitEqual(a.model->Forward(x), a.base->Forward(x)));
  EXPECT_EQ(a.head->NumParameters(), 8 * (64 + 10));
  EXPECT_EQ(a.head->scale(), 2.f);
  EXPECT_EQ(a.head->ToString(), "LoRALinear(in_features=64, out_features=10, rank=8, alpha=16)");
  // The frozen base is state (saved and loaded) but not a parameter.
  const NamedTensors buffers = a.head->NamedBuffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].first, "weight");
  EXPECT_TRUE(a.head->weight().SharesStorageWith(
      dynamic_cast<const Linear&>(*a.base->layers().back()).weight()));
}

TEST(LoRATest, OnlyTheAdapterTrainsAndItLearnsAShiftedTask) {
  Adapted a = AdaptDigitsMlp(8, 16.f, 2);
  const testing::DigitsData& d = testing::Digits();
  const Tensor train_y = Shifted(d.train_y), test_y = Shifted(d.test_y);
  const Tensor w_before = a.head->weight().Clone();
  const Tensor body_before = a.base->layers()[0]->Parameters()[0].Clone();
  EXPECT_LT(testing::Accuracy(*a.model, d.test_x, test_y), 0.05);

  // The body stays frozen by leaving its parameters out of the optimizer; the head's base is
  // frozen by LoRALinear itself.
  Adam adapter_only(a.head->Parameters(), {.lr = 1e-2f});
  const CrossEntropyLoss loss;
  const int64_t n = d.train_x.size(0), batch = 64;
  for (int epoch = 0; epoch < 15; ++epoch) {
    for (int64_t start = 0; start < n; start += batch) {
      const int64_t end = std::min(n, start + batch);
      adapter_only.ZeroGrad();
      const Tensor l =
          loss(a.model->Forward(d.train_x.Slice(0, start, end)), train_y.Slice(0, start, end));
      l.Backward();
      ASSERT_TRUE(a.head->lora_a().grad().defined());
      ASSERT_TRUE(a.head->lora_b().grad().defined());
      adapter_only.Step();
    }
  }
  a.model->Eval();
  const double accuracy = testing::Accuracy(*a.model, d.test_x, test_y);
  EXPECT_GT(accuracy, 0.93) << "rank-8 adapter on the shifted task (0.964 when written)";
  EXPECT_TRUE(BitEqual(a.head->weight(), w_before));  // the frozen base did not move
  EXPECT_TRUE(BitEqual(a.base->layers()[0]->Parameters()[0], body_before));
  EXPECT_FALSE(a.head->weight().requires_grad());

  // Merge folds the update into W: the same predictions, outputs equal up to float rounding.
  NoGradGuard no_grad;
  const Tensor unmerged = a.model->Forward(d.test_x);
  a.head->Merge();
  const Tensor merged = a.model->Forward(d.test_x);
  EXPECT_TRUE(AllClose(merged, unmerged, 1e-5, 1e-5)) << MaxAbsDiff(merged, unmerged);
  EXPECT_EQ(testing::Accuracy(*a.model, d.test_x, test_y), accuracy);
  // The wrapped Linear sees the merged weight, as in PEFT.
  EXPECT_TRUE(BitEqual(a.base->Forward(d.test_x), merged));
  EXPECT_THROW(a.head->Merge(), Error);
  a.head->Unmerge();
  EXPECT_TRUE(AllClose(a.head->weight(), w_before, 0, 1e-6))
      << MaxAbsDiff(a.head->weight(), w_before);
  EXPECT_THROW(a.head->Unmerge(), Error);
}

TEST(LoRATest, MergedAdaptersRefuseToTrain) {
  Adapted a = AdaptDigitsMlp(4, 8.f, 3);
  a.head->Merge();
  a.model->Train();
  try {
    (void)a.model->Forward(testing::Digits().test_x);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("merged"));
    EXPECT_THAT(e.what(), HasSubstr("Unmerge"));
  }
  a.model->Eval();
  EXPECT_NO_THROW((void)a.model->Forward(testing::Digits().test_x));
}

TEST(LoRATest, LazyForwardEqualsEagerAndFuses) {
  Generator gen(4);
  Linear base(48, 32, gen);
  LoRALinear lora(base, gen, 8, 16.f);
  // A non-zero B, so the adapter path matters.
  {
    NoGradGuard no_grad;
    Tensor b = lora.lora_b();  // a handle: writes go to the parameter's storage
    b.CopyFrom(Tensor::RandN({8, 32}, gen));
  }
  const Tensor x = Tensor::RandN({20, 48}, gen);
  NoGradGuard no_grad;
  EvalStats stats;
  const Tensor lazy = lora.Forward(Lazy(x)).Eval({}, &stats);
  EXPECT_TRUE(BitEqual(lazy, lora.Forward(x)));
  // Three MatMuls and one pass for (+ bias, * scale, +) written over the base MatMul.
  EXPECT_EQ(stats.kernels, 4);
  EXPECT_EQ(stats.fused_ops, 3);
  EXPECT_EQ(stats.written_in_place, 1);
  lora.Merge();
  EXPECT_TRUE(BitEqual(lora.Forward(Lazy(x)).Eval(), lora.Forward(x)));
  // 3-d input, as inside a transformer.
  lora.Unmerge();
  const Tensor seq = Tensor::RandN({2, 5, 48}, gen);
  EXPECT_TRUE(BitEqual(lora.Forward(Lazy(seq)).Eval(), lora.Forward(seq)));
}

TEST(LoRATest, BadArgumentsAreNamed) {
  Generator gen(5);
  Linear base(6, 4, gen);
  EXPECT_THAT([&] { LoRALinear(base, gen, 0); },
              ::testing::ThrowsMessage<Error>(HasSubstr("rank=0")));
  EXPECT_THAT([&] { LoRALinear(base, gen, 2, -1.f); },
              ::testing::ThrowsMessage<Error>(HasSubstr("alpha=-1")));
  LoRALinear lora(base, gen, 2);
  EXPECT_THAT(
      [&] {
        (void)lora.Forward(Tensor::Zeros({3, 5}));
      },
      ::testing::ThrowsMessage<Error>(
          HasSubstr("input shape [3, 5] does not end in in_features=6")));
  EXPECT_THROW((void)lora.Forward(Lazy(Tensor::Zeros({3, 5}))), Error);
}

}  // namespace
}  // namespace tinytorch
