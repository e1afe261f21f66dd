// Trains a 64-128-64-10 MLP with Adam on the UCI handwritten digits and reports test accuracy.
//   build/bin/digits_mlp [path/to/digits.csv] [epochs] [seed]
// Ends with one line: test_accuracy=<value>.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "digits.h"
#include "tinytorch/tinytorch.h"

using namespace tinytorch;

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : TT_DATA_DIR "/digits/digits.csv";
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 30;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  try {
    const auto start = std::chrono::steady_clock::now();
    const digits::Split split = digits::Load(path);
    auto train = std::make_shared<TensorDataset>(split.train_x, split.train_y);
    auto test = std::make_shared<TensorDataset>(split.test_x, split.test_y);
    DataLoader train_loader(train, {.batch_size = 32, .shuffle = true, .seed = seed});
    DataLoader test_loader(test, {.batch_size = 256});

    Generator gen(seed);
    Sequential model({std::make_shared<Linear>(64, 128, gen, true, Init::kHeNormal),
                      std::make_shared<ReLULayer>(),
                      std::make_shared<Linear>(128, 64, gen, true, Init::kHeNormal),
                      std::make_shared<ReLULayer>(), std::make_shared<Linear>(64, 10, gen)});
    Adam optimizer(model.Parameters(), {.lr = 2e-3f});
    const int64_t steps = epochs * train_loader.NumBatches();
    Trainer trainer(model, optimizer, CrossEntropyLoss(),
                    {.schedule = CosineSchedule(2e-3f, 1e-4f, steps)});

    std::printf("digits: %lld train, %lld test samples; %s; %lld parameters\n",
                static_cast<long long>(train->Size()), static_cast<long long>(test->Size()),
                "64-128-64-10 MLP, Adam, cosine schedule",
                static_cast<long long>(model.NumParameters()));
    for (int e = 0; e < epochs; ++e) {
      const EpochRecord r = trainer.RunEpoch(train_loader, &test_loader);
      std::printf(
          "epoch %2lld  train loss %.4f acc %.4f  test loss %.4f acc %.4f  lr %.2e  %.2fs\n",
          static_cast<long long>(r.epoch), r.train.loss, r.train.accuracy, r.eval.loss,
          r.eval.accuracy, r.lr, r.train.seconds + r.eval.seconds);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("total time %.2f s\n", seconds);
    std::printf("test_accuracy=%.4f\n", trainer.history().back().eval.accuracy);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digits_mlp: %s\n", e.what());
    return 1;
  }
  return 0;
}
