// What the digits examples share: the fixed split of data/digits/digits.csv (sample i is in the
// test set when i % 5 == 4: 359 test, 1,438 train; pixels scaled from 0..16 to 0..1) and a
// training run with Adam and a cosine schedule that prints one line per epoch and ends with
// "test_accuracy=<value>". Command line: [path/to/digits.csv] [epochs] [seed].
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "tinytorch/tinytorch.h"

namespace digits {

struct Split {
  tinytorch::Tensor train_x, train_y, test_x, test_y;
};

inline Split Load(const std::string& path) {
  using tinytorch::Tensor;
  const tinytorch::CsvData data = tinytorch::LoadCsv(path);
  std::vector<float> train_x, test_x;
  std::vector<int64_t> train_y, test_y;
  const int64_t n = data.features.size(0), f = data.features.size(1);
  const float* x = data.features.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    auto& xs = i % 5 == 4 ? test_x : train_x;
    auto& ys = i % 5 == 4 ? test_y : train_y;
    for (int64_t j = 0; j < f; ++j) xs.push_back(x[i * f + j] / 16.f);
    ys.push_back(data.labels.data<int64_t>()[i]);
  }
  const auto train_n = static_cast<int64_t>(train_y.size());
  const auto test_n = static_cast<int64_t>(test_y.size());
  return {Tensor::FromData(std::move(train_x), {train_n, f}),
          Tensor::FromData(std::move(train_y), {train_n}),
          Tensor::FromData(std::move(test_x), {test_n, f}),
          Tensor::FromData(std::move(test_y), {test_n})};
}

// (N, 64) → (N, 1, 8, 8), for the CNN.
inline tinytorch::Tensor AsImages(const tinytorch::Tensor& flat) {
  return flat.Reshape({flat.size(0), 1, 8, 8});
}

// The two architectures of the examples.
inline std::shared_ptr<tinytorch::Sequential> BuildMlp(tinytorch::Generator& gen) {
  using namespace tinytorch;
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(64, 128, gen, true, Init::kHeNormal), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(128, 64, gen, true, Init::kHeNormal), std::make_shared<ReLULayer>(),
      std::make_shared<Linear>(64, 10, gen)});
}
inline std::shared_ptr<tinytorch::Sequential> BuildCnn(tinytorch::Generator& gen) {
  using namespace tinytorch;
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Conv2d>(1, 16, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
      std::make_shared<MaxPool2d>(2),  // 16×4×4
      std::make_shared<Conv2d>(16, 32, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
      std::make_shared<MaxPool2d>(2),  // 32×2×2
      std::make_shared<Flatten>(), std::make_shared<Linear>(128, 10, gen)});
}

// Trains `model` on the split's training rows with Adam (peak `lr`, batch 32, shuffled with
// `seed`) and a cosine schedule down to 1e-4, evaluating on `eval` after each epoch when given;
// leaves the model in eval mode and returns the history.
inline std::vector<tinytorch::EpochRecord> Train(
    tinytorch::Module& model, const Split& split, bool images, int epochs, float lr, uint64_t seed,
    tinytorch::DataLoader* eval = nullptr,
    const std::function<void(const tinytorch::EpochRecord&)>& on_epoch = nullptr) {
  using namespace tinytorch;
  auto train = std::make_shared<TensorDataset>(images ? AsImages(split.train_x) : split.train_x,
                                               split.train_y);
  DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = seed});
  Adam optimizer(model.Parameters(), {.lr = lr});
  Trainer trainer(model, optimizer, CrossEntropyLoss(),
                  {.schedule = CosineSchedule(lr, 1e-4f, epochs * loader.NumBatches())});
  for (int e = 0; e < epochs; ++e) {
    const EpochRecord r = trainer.RunEpoch(loader, eval);
    if (on_epoch) on_epoch(r);
  }
  model.Eval();
  return trainer.history();
}

struct Recipe {
  std::string name;  // printed in the header line and in errors
  int default_epochs;
  float lr;     // peak of the cosine schedule, which ends at 1e-4
  bool images;  // feed (N, 1, 8, 8) instead of (N, 64)
  std::function<std::shared_ptr<tinytorch::Module>(tinytorch::Generator&)> build;
};

// Trains recipe.build(gen) on the split and prints its progress; returns the process exit code.
inline int Run(const Recipe& recipe, int argc, char** argv) {
  using namespace tinytorch;
  const std::string path = argc > 1 ? argv[1] : TT_DATA_DIR "/digits/digits.csv";
  const int epochs = argc > 2 ? std::atoi(argv[2]) : recipe.default_epochs;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  try {
    const auto start = std::chrono::steady_clock::now();
    const Split split = Load(path);
    const auto shaped = [&](const Tensor& flat) { return recipe.images ? AsImages(flat) : flat; };
    auto test = std::make_shared<TensorDataset>(shaped(split.test_x), split.test_y);
    DataLoader test_loader(test, {.batch_size = 256});
    Generator gen(seed);
    const std::shared_ptr<Module> model = recipe.build(gen);
    std::printf("digits: %lld train, %lld test; %s, %lld parameters, Adam, %d epochs\n",
                static_cast<long long>(split.train_y.size(0)), static_cast<long long>(test->Size()),
                recipe.name.c_str(), static_cast<long long>(model->NumParameters()), epochs);
    const std::vector<EpochRecord> history =
        Train(*model, split, recipe.images, epochs, recipe.lr, seed, &test_loader,
              [](const EpochRecord& r) {
                std::printf(
                    "epoch %2lld  train loss %.4f acc %.4f  test loss %.4f acc %.4f  lr "
                    "%.2e  %.2fs\n",
                    static_cast<long long>(r.epoch), r.train.loss, r.train.accuracy, r.eval.loss,
                    r.eval.accuracy, r.lr, r.train.seconds + r.eval.seconds);
              });
    std::printf("total time %.2f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("test_accuracy=%.4f\n", history.back().eval.accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", recipe.name.c_str(), e.what());
    return 1;
  }
}

}  // namespace digits
