// Module 08: clipping, schedules, gradient accumulation, checkpoints (round trip and damaged
// files), and four training steps matching PyTorch from the same initialisation and batches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "support/golden.h"
#include "support/tensor_testing.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::shared_ptr<Sequential> Mlp(uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(8, 16, gen), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(16, 3, gen)});
}

std::shared_ptr<TensorDataset> Data(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> y(n);
  for (auto& v : y) v = static_cast<int64_t>(gen.NextU64() % 3);
  return std::make_shared<TensorDataset>(Tensor::RandN({n, 8}, gen), Tensor::FromData(y, {n}));
}

TEST(TrainingTest, ClipGradNormScalesToTheLimit) {
  Tensor a = Tensor::Zeros({2}).set_requires_grad(true);
  Tensor b = Tensor::Zeros({1}).set_requires_grad(true);
  a.set_grad(Tensor::FromData(std::vector<float>{3, 0}, {2}));
  b.set_grad(Tensor::FromData(std::vector<float>{4}, {1}));
  EXPECT_DOUBLE_EQ(ClipGradNorm({a, b}, 1.0), 5.0);
  EXPECT_NEAR(a.grad().at({0}), 0.6, 1e-6);
  EXPECT_NEAR(b.grad().at({0}), 0.8, 1e-6);
  EXPECT_NEAR(ClipGradNorm({a, b}, 10.0), 1.0, 1e-6);  // under the limit: unchanged
  EXPECT_NEAR(a.grad().at({0}), 0.6, 1e-6);
  EXPECT_THROW(ClipGradNorm({a}, 0), Error);
}

TEST(TrainingTest, CosineScheduleWarmsUpThenDecays) {
  const CosineSchedule s(1.f, 0.1f, 110, 10);
  EXPECT_FLOAT_EQ(s.LearningRate(0), 0.1f);
  EXPECT_FLOAT_EQ(s.LearningRate(9), 1.f);
  EXPECT_FLOAT_EQ(s.LearningRate(10), 1.f);
  EXPECT_NEAR(s.LearningRate(60), 0.55f, 1e-6);  // half-way: the mean of base and min
  EXPECT_FLOAT_EQ(s.LearningRate(110), 0.1f);
  EXPECT_FLOAT_EQ(s.LearningRate(500), 0.1f);
  EXPECT_THROW(CosineSchedule(0.1f, 1.f, 10), Error);
  EXPECT_THROW(CosineSchedule(1.f, 0.f, 10, 10), Error);
}

TEST(TrainingTest, AccumulatingTwoHalfBatchesEqualsOneFullBatch) {
  auto data = Data(10, 1);
  auto full = Mlp(3), halves = Mlp(3);
  SGD opt_full(full->Parameters(), {.lr = 0.1f}), opt_halves(halves->Parameters(), {.lr = 0.1f});
  DataLoader one(data, {.batch_size = 10}), two(data, {.batch_size = 5});
  Trainer(*full, opt_full, CrossEntropyLoss()).TrainEpoch(one);
  Trainer t(*halves, opt_halves, CrossEntropyLoss(), {.accumulation_steps = 2});
  t.TrainEpoch(two);
  EXPECT_EQ(t.global_step(), 1);
  for (const auto& [name, p] : full->GetStateDict()) {
    EXPECT_TENSOR_CLOSE(halves->GetStateDict().at(name), p, 1e-5, 1e-6) << name;
  }
}

TEST(TrainingTest, EvaluateUsesEvalModeAndRecordsHistory) {
  auto model = Mlp(4);
  Adam opt(model->Parameters(), {.lr = 1e-2f});
  Trainer trainer(*model, opt, CrossEntropyLoss());
  DataLoader train(Data(40, 2), {.batch_size = 8, .shuffle = true, .seed = 1});
  DataLoader eval(Data(20, 3), {.batch_size = 20});
  const EpochRecord r = trainer.RunEpoch(train, &eval);
  EXPECT_EQ(r.epoch, 1);
  EXPECT_EQ(r.train.samples, 40);
  EXPECT_EQ(r.eval.samples, 20);
  EXPECT_GE(r.eval.accuracy, 0);
  EXPECT_LE(r.eval.accuracy, 1);
  EXPECT_TRUE(model->is_training());  // Evaluate restores the mode it found
  EXPECT_EQ(trainer.history().size(), 1u);
  EXPECT_EQ(trainer.global_step(), 5);
}

TEST(TrainingTest, CheckpointResumesTrainingExactly) {
  auto data = Data(32, 5);
  const std::string path = ::testing::TempDir() + "training.ckpt";
  auto a = Mlp(7);
  Adam opt_a(a->Parameters(), {.lr = 1e-2f});
  Trainer ta(*a, opt_a, CrossEntropyLoss());
  DataLoader la(data, {.batch_size = 8});
  ta.RunEpoch(la);
  ta.RunEpoch(la);
  ta.SaveCheckpoint(path);
  ta.RunEpoch(la);

  auto b = Mlp(99);
  Adam opt_b(b->Parameters(), {.lr = 0.5f});
  Trainer tb(*b, opt_b, CrossEntropyLoss());
  tb.LoadCheckpoint(path);
  EXPECT_EQ(tb.epoch(), 2);
  EXPECT_EQ(tb.global_step(), 8);
  ASSERT_EQ(tb.history().size(), 2u);
  EXPECT_EQ(tb.history()[1].train.loss, static_cast<float>(ta.history()[1].train.loss));
  DataLoader lb(data, {.batch_size = 8});
  tb.RunEpoch(lb);
  for (const auto& [name, p] : a->GetStateDict()) {
    EXPECT_EQ(b->GetStateDict().at(name).ToVector(), p.ToVector()) << name;
  }
}

TEST(TrainingTest, DamagedOrMismatchedCheckpointsLeaveTheModelUntouched) {
  const std::string path = ::testing::TempDir() + "damaged.ckpt";
  auto source = Mlp(1);
  SGD opt_source(source->Parameters(), {.lr = 0.1f, .momentum = 0.9f});
  Trainer ts(*source, opt_source, CrossEntropyLoss());
  DataLoader loader(Data(16, 1), {.batch_size = 8});
  ts.RunEpoch(loader);
  ts.SaveCheckpoint(path);
  const std::string bytes = ReadFile(path);

  auto target = Mlp(2);
  SGD opt_target(target->Parameters(), {.lr = 0.1f, .momentum = 0.9f});
  Trainer tt(*target, opt_target, CrossEntropyLoss());
  const std::vector<float> before = target->GetStateDict().at("0.weight").ToVector();
  const auto untouched = [&] {
    EXPECT_EQ(target->GetStateDict().at("0.weight").ToVector(), before);
    EXPECT_EQ(tt.epoch(), 0);
    EXPECT_EQ(opt_target.steps(), 0);
  };

  WriteFileAtomically(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT([&] { tt.LoadCheckpoint(path); }, ThrowsMessage<Error>(HasSubstr("corrupted")));
  untouched();
  std::string flipped = bytes;
  flipped[bytes.size() - 20] ^= 1;
  WriteFileAtomically(path, flipped);
  EXPECT_THAT([&] { tt.LoadCheckpoint(path); },
              ThrowsMessage<Error>(HasSubstr("checksum mismatch")));
  untouched();

  // A checkpoint of a different architecture: the model is checked before anything is loaded.
  Generator gen(3);
  Sequential wider({std::make_shared<Linear>(8, 32, gen), std::make_shared<ReLULayer>(),
                    std::make_shared<Linear>(32, 3, gen)});
  SGD opt_wider(wider.Parameters(), {.lr = 0.1f, .momentum = 0.9f});
  Trainer tw(wider, opt_wider, CrossEntropyLoss());
  tw.SaveCheckpoint(path);
  EXPECT_THAT(
      [&] { tt.LoadCheckpoint(path); },
      ThrowsMessage<Error>(HasSubstr("does not fit this model/optimizer: Module::LoadState: entry "
                                     "'0.bias' has shape [32] float32, the module expects [16]")));
  untouched();
}

TEST(TrainingTest, NonFiniteLossStopsWithAClearError) {
  auto model = Mlp(1);
  SGD opt(model->Parameters(), {.lr = 0.1f});
  Trainer trainer(*model, opt, [](const Tensor& out, const Tensor&) { return out.Sum() / 0.f; });
  DataLoader loader(Data(8, 1), {.batch_size = 8});
  EXPECT_THAT([&] { trainer.TrainEpoch(loader); }, ThrowsMessage<Error>(HasSubstr("loss became")));
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden: the same MLP, initialisation and batches for four steps of SGD and of Adam.

TEST(TrainingTest, FourStepsMatchPyTorch) {
  std::ifstream in(TT_GOLDEN_DIR "/module_08_training.json");
  ASSERT_TRUE(in) << "cannot open module_08_training.json";
  const nlohmann::json doc = nlohmann::json::parse(in);
  double worst = 0;
  for (const auto& run : doc["runs"]) {
    SCOPED_TRACE(run["name"].get<std::string>());
    auto model = Mlp(0);
    StateDict init;
    for (const auto& [name, t] : run["init"].items()) init[name] = testing::GoldenTensor(t);
    model->LoadState(init);
    std::unique_ptr<Optimizer> opt;
    if (run["optimizer"] == "sgd") {
      opt = std::make_unique<SGD>(
          model->Parameters(),
          SGDOptions{.lr = run["options"]["lr"], .momentum = run["options"]["momentum"]});
    } else {
      opt = std::make_unique<Adam>(model->Parameters(), AdamOptions{.lr = run["options"]["lr"]});
    }
    auto data = std::make_shared<TensorDataset>(testing::GoldenTensor(run["x"]),
                                                testing::GoldenTensor(run["y"]));
    DataLoader loader(data, {.batch_size = 5});
    std::vector<double> losses;
    Trainer trainer(*model, *opt, [&](const Tensor& out, const Tensor& target) {
      Tensor loss = CrossEntropyLoss()(out, target);
      losses.push_back(loss.item());
      return loss;
    });
    trainer.TrainEpoch(loader);
    ASSERT_EQ(losses.size(), 4u);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(losses[i], run["losses"][i].get<double>(), 1e-5) << "step " << i;
    for (const auto& [name, t] : run["final"].items()) {
      const Tensor want = testing::GoldenTensor(t);
      EXPECT_TENSOR_CLOSE(model->GetStateDict().at(name), want, 1e-4, 1e-5) << name;
      worst = std::max(worst, MaxAbsDiff(model->GetStateDict().at(name), want));
    }
  }
  testing::RecordDouble("max_abs_error", worst);
}

// The harness tests/fuzz/checkpoint_fuzzer confirmed that a NaN epoch in the history was
// converted to int64 (undefined behaviour); the checkpoint is now rejected before anything changes.
TEST(TrainingTest, FuzzFoundCheckpointWithANaNEpochIsRejected) {
  const std::string path = ::testing::TempDir() + "nan_epoch.ckpt";
  auto model = Mlp(3);
  SGD opt(model->Parameters(), {.lr = 0.1f});
  Trainer trainer(*model, opt, CrossEntropyLoss());
  DataLoader loader(Data(8, 1), {.batch_size = 8});
  trainer.RunEpoch(loader);
  trainer.SaveCheckpoint(path);
  StateDict state = LoadStateDict(path);
  state.at("trainer/history").at({0, 0}) = std::nanf("");
  SaveStateDict(state, path);
  EXPECT_THAT([&] { trainer.LoadCheckpoint(path); },
              ThrowsMessage<Error>(HasSubstr("'trainer/history' row 0 has epoch nan")));
  EXPECT_EQ(trainer.history().size(), 1u);
}

}  // namespace
}  // namespace tinytorch
