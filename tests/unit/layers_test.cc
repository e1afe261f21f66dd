// Module 03: Module bookkeeping (names, modes, state), Linear, Dropout and Sequential, checked by
// hand, through saved files, and against PyTorch golden cases.
#include "tinytorch/layers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "support/golden.h"
#include "support/golden_ops.h"
#include "support/tensor_testing.h"

namespace tinytorch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor T(std::vector<float> v, Shape s) { return Tensor::FromData(std::move(v), s); }

std::shared_ptr<Sequential> Mlp(uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(4, 8, gen), std::make_shared<ReLULayer>(),
      std::make_shared<Dropout>(0.5f, seed), std::make_shared<Linear>(8, 3, gen)});
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + name; }

TEST(LayersTest, LinearHasTinyTorchLayoutAndTrainableParameters) {
  Generator gen(0);
  Linear layer(5, 3, gen);
  EXPECT_EQ(layer.weight().shape(), (Shape{5, 3}));
  EXPECT_EQ(layer.bias().ToVector(), std::vector<float>(3, 0.f));
  EXPECT_TRUE(layer.weight().requires_grad());
  EXPECT_EQ(layer.NumParameters(), 5 * 3 + 3);
  EXPECT_EQ(layer.ToString(), "Linear(in_features=5, out_features=3, bias=true)");
  Linear no_bias(5, 3, gen, /*bias=*/false);
  EXPECT_FALSE(no_bias.bias().defined());
  EXPECT_EQ(no_bias.Parameters().size(), 1u);
}

TEST(LayersTest, InitSchemesHaveTheirDocumentedScale) {
  Generator gen(1);
  const int64_t fan_in = 400, fan_out = 100;
  const Tensor xavier = InitWeight({fan_in, fan_out}, fan_in, fan_out, Init::kXavierUniform, gen);
  const float bound = std::sqrt(6.f / (fan_in + fan_out));
  EXPECT_LE(Abs(xavier).Max().item(), bound);
  EXPECT_GT(Abs(xavier).Max().item(), 0.99f * bound);
  const Tensor he = InitWeight({fan_in, fan_out}, fan_in, fan_out, Init::kHeNormal, gen);
  // Var of 40000 samples: relative standard error √(2/n) ≈ 0.7%.
  EXPECT_NEAR(Pow(he, 2.f).Mean().item(), 2.0 / fan_in, 0.05 * 2.0 / fan_in);
  EXPECT_THROW(InitWeight({1}, 0, 1, Init::kHeNormal, gen), Error);
}

TEST(LayersTest, LinearForwardByHandAndOverBatchDims) {
  Generator gen(0);
  Linear layer(2, 2, gen);
  layer.LoadState({{"weight", T({1, 2, 3, 4}, {2, 2})}, {"bias", T({10, 20}, {2})}});
  EXPECT_EQ(layer(T({1, 1}, {1, 2})).ToVector(), (std::vector<float>{14, 26}));
  const Tensor batched = layer(Tensor::Ones({3, 5, 2}));
  EXPECT_EQ(batched.shape(), (Shape{3, 5, 2}));
  EXPECT_EQ(batched.at({2, 4, 1}), 26.f);
  EXPECT_THAT(
      [&] {
        layer(Tensor::Ones({3, 4}));
      },
      ThrowsMessage<Error>(HasSubstr("Linear: input shape [3, 4] does not end in in_features=2")));
}

TEST(LayersTest, SequentialNamesParametersByPosition) {
  auto model = Mlp(0);
  std::vector<std::string> names;
  for (auto& [name, t] : model->NamedParameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("0.weight", "0.bias", "3.weight", "3.bias"));
  EXPECT_EQ(model->NumParameters(), 4 * 8 + 8 + 8 * 3 + 3);
  EXPECT_EQ(model->size(), 4u);
  EXPECT_THAT(model->ToString(), HasSubstr("(2): Dropout(p=0.5"));
  EXPECT_THROW((*model)[4], Error);
}

TEST(LayersTest, TrainAndEvalReachEveryChild) {
  auto model = Mlp(0);
  model->Eval();
  EXPECT_FALSE((*model)[2].is_training());
  model->Train();
  EXPECT_TRUE((*model)[2].is_training());
}

TEST(LayersTest, DropoutScalesKeptUnitsAndIsIdentityInEval) {
  Dropout dropout(0.25f, 9);
  const Tensor x = Tensor::Ones({100000});
  const Tensor y = dropout(x);
  const Tensor kept = Gt(y, Tensor::Scalar(0.f));
  EXPECT_NEAR(kept.Mean().item(), 0.75, 0.01);  // binomial standard error 0.0014
  EXPECT_FLOAT_EQ(y.Max().item(), 1.f / 0.75f);
  EXPECT_NEAR(y.Mean().item(), 1.0, 0.02);  // inverted dropout keeps the expectation
  Dropout same_seed(0.25f, 9);
  EXPECT_EQ(same_seed(x).ToVector(), y.ToVector());
  dropout.Eval();
  EXPECT_TRUE(dropout(x).SharesStorageWith(x));
  EXPECT_THAT([] { Dropout(1.5f); },
              ThrowsMessage<Error>(HasSubstr("Dropout: p=1.5 must be in [0, 1]")));
  Dropout all(1.f);
  EXPECT_EQ(all(x).Sum().item(), 0.f);
}

TEST(LayersTest, StateRoundTripsThroughAFile) {
  auto a = Mlp(1), b = Mlp(2);
  a->Eval();
  b->Eval();
  const Tensor x = Tensor::Ones({2, 4});
  ASSERT_FALSE(AllClose(a->Forward(x), b->Forward(x)));
  const std::string path = TempPath("layers_state.tt");
  a->Save(path);
  b->Load(path);
  EXPECT_EQ(a->Forward(x).ToVector(), b->Forward(x).ToVector());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
}

TEST(LayersTest, MismatchedStateIsRejectedAndLeavesTheModelUntouched) {
  auto model = Mlp(1);
  const std::vector<float> before = model->GetStateDict().at("3.weight").ToVector();
  StateDict state = Mlp(2)->GetStateDict();
  state["0.weight"] = Tensor::Zeros({4, 9});
  EXPECT_THAT([&] { model->LoadState(state); },
              ThrowsMessage<Error>(HasSubstr(
                  "entry '0.weight' has shape [4, 9] float32, the module expects [4, 8] float32")));
  EXPECT_EQ(model->GetStateDict().at("3.weight").ToVector(), before);
  state = Mlp(2)->GetStateDict();
  state.erase("3.bias");
  EXPECT_THAT([&] { model->LoadState(state); },
              ThrowsMessage<Error>(HasSubstr("missing entry '3.bias'")));
  state = Mlp(2)->GetStateDict();
  state["extra"] = Tensor::Zeros({1});
  EXPECT_THAT([&] { model->LoadState(state); },
              ThrowsMessage<Error>(HasSubstr("unexpected entry 'extra'")));
  EXPECT_NO_THROW(model->LoadState(state, /*strict=*/false));
  EXPECT_NE(model->GetStateDict().at("3.weight").ToVector(), before);
}

TEST(LayersTest, DamagedStateFilesGiveClearErrors) {
  auto model = Mlp(1);
  const std::string path = TempPath("layers_damaged.tt");
  model->Save(path);
  std::string bytes = ReadFile(path);
  const std::vector<float> before = model->GetStateDict().at("0.weight").ToVector();

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  WriteFileAtomically(path, flipped);
  EXPECT_THAT([&] { model->Load(path); },
              ThrowsMessage<Error>(HasSubstr("is corrupted (checksum mismatch)")));

  WriteFileAtomically(path, bytes.substr(0, bytes.size() - 100));
  EXPECT_THAT([&] { model->Load(path); }, ThrowsMessage<Error>(HasSubstr(path)));

  WriteFileAtomically(path, "hello");
  EXPECT_THAT([&] { model->Load(path); },
              ThrowsMessage<Error>(HasSubstr("is not a tinytorch state file")));

  EXPECT_THAT([&] { model->Load(TempPath("does_not_exist.tt")); },
              ThrowsMessage<Error>(HasSubstr("ReadFile: cannot open")));
  EXPECT_EQ(model->GetStateDict().at("0.weight").ToVector(), before);
}

TEST(LayersTest, StateFilesKeepEveryDtypeAndShape) {
  const StateDict state = {{"f", T({1.5f, -2}, {2, 1})},
                           {"i", Tensor::FromData(std::vector<int64_t>{7, -8, 9}, {3})},
                           {"scalar", Tensor::Scalar(3.f)},
                           {"empty", Tensor::Zeros({0, 4})},
                           {"strided", Tensor::Arange(0, 6).View({2, 3}).Transpose(0, 1)}};
  const StateDict back = DeserializeStateDict(SerializeStateDict(state), "memory");
  ASSERT_EQ(back.size(), state.size());
  for (const auto& [name, t] : state) {
    EXPECT_TENSOR_CLOSE(back.at(name), t, 0, 0) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// PyTorch golden cases (tools/golden/make_golden.py), through the shared op table.

class LayersGoldenTest : public ::testing::TestWithParam<testing::GoldenCase> {};

TEST_P(LayersGoldenTest, MatchesPyTorch) {
  testing::CheckGoldenCase(GetParam(), testing::GoldenOps());
}

INSTANTIATE_TEST_SUITE_P(PyTorch, LayersGoldenTest,
                         ::testing::ValuesIn(testing::LoadGoldenCases("module_03_layers.json")),
                         testing::GoldenCaseName);

// tests/fuzz/checkpoint_fuzzer found a state file whose entry claims 2^40 elements and holds
// none: the reader allocated the tensor before it looked for the data (a terabyte, then a crash).
TEST(LayersTest, FuzzFoundStateFileWithAHugeShapeIsTruncatedNotAllocated) {
  std::string bytes = SerializeStateDict({{"w", Tensor::Zeros({1})}});
  bytes.resize(bytes.size() - 8 - 4);  // no checksum, no data
  const int64_t huge = int64_t{1} << 40;
  bytes.replace(bytes.size() - 8, 8, reinterpret_cast<const char*>(&huge), 8);
  uint64_t h = 0xcbf29ce484222325ULL;  // serialization.h's FNV-1a 64 checksum
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  bytes.append(reinterpret_cast<const char*>(&h), 8);
  EXPECT_THAT([&] { DeserializeStateDict(bytes, "huge.state"); },
              ThrowsMessage<Error>(HasSubstr("huge.state is truncated (reading tensor data")));
}

// tests/fuzz/checkpoint_fuzzer found an empty entry of shape [0, 2^61, 512]: its element count
// is 0, but the strides of its other sizes overflowed int64 (undefined behaviour).
TEST(LayersTest, FuzzFoundEmptyStateEntryWithOverflowingStridesIsAnError) {
  std::string bytes = SerializeStateDict({{"w", Tensor::Zeros({0, 1, 1})}});
  bytes.resize(bytes.size() - 8);  // the checksum; an empty tensor has no data
  const int64_t dims[] = {0, int64_t{1} << 61, 512};
  bytes.replace(bytes.size() - sizeof dims, sizeof dims, reinterpret_cast<const char*>(dims),
                sizeof dims);
  uint64_t h = 0xcbf29ce484222325ULL;  // serialization.h's FNV-1a 64 checksum
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  bytes.append(reinterpret_cast<const char*>(&h), 8);
  EXPECT_THAT([&] { DeserializeStateDict(bytes, "strides.state"); },
              ThrowsMessage<Error>(HasSubstr("its strides overflow int64")));
}

}  // namespace
}  // namespace tinytorch
