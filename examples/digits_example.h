// What the two digits examples share: the command line [path/to/digits.csv] [epochs] [seed] and a
// training run (tinytorch/digits.h) that prints one line per epoch and ends with
// "test_accuracy=<value>".
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "tinytorch/digits.h"
#include "tinytorch/tinytorch.h"

namespace digits_example {

using namespace tinytorch::digits;

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

}  // namespace digits_example
