// Trains a small CNN (two conv-ReLU-maxpool stages, then a linear layer) with Adam on the UCI
// handwritten digits, on the same split as digits_mlp, and reports test accuracy.
//   build/bin/digits_cnn [path/to/digits.csv] [epochs] [seed]
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
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 20;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 42;
  try {
    const auto start = std::chrono::steady_clock::now();
    const digits::Split split = digits::Load(path);
    const auto images = [](const Tensor& flat) { return flat.View({flat.size(0), 1, 8, 8}); };
    auto train = std::make_shared<TensorDataset>(images(split.train_x), split.train_y);
    auto test = std::make_shared<TensorDataset>(images(split.test_x), split.test_y);
    DataLoader train_loader(train, {.batch_size = 32, .shuffle = true, .seed = seed});
    DataLoader test_loader(test, {.batch_size = 256});

    Generator gen(seed);
    Sequential model({std::make_shared<Conv2d>(1, 16, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                      std::make_shared<MaxPool2d>(2),  // 16 × 4 × 4
                      std::make_shared<Conv2d>(16, 32, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
                      std::make_shared<MaxPool2d>(2),  // 32 × 2 × 2
                      std::make_shared<Flatten>(), std::make_shared<Linear>(128, 10, gen)});
    Adam optimizer(model.Parameters(), {.lr = 3e-3f});
    const int64_t steps = epochs * train_loader.NumBatches();
    Trainer trainer(model, optimizer, CrossEntropyLoss(),
                    {.schedule = CosineSchedule(3e-3f, 1e-4f, steps)});

    std::printf("digits: %lld train, %lld test; CNN %lld parameters\n",
                static_cast<long long>(train->Size()), static_cast<long long>(test->Size()),
                static_cast<long long>(model.NumParameters()));
    for (int e = 0; e < epochs; ++e) {
      const EpochRecord r = trainer.RunEpoch(train_loader, &test_loader);
      std::printf("epoch %2lld  train loss %.4f acc %.4f  test loss %.4f acc %.4f  %.2fs\n",
                  static_cast<long long>(r.epoch), r.train.loss, r.train.accuracy, r.eval.loss,
                  r.eval.accuracy, r.train.seconds + r.eval.seconds);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("total time %.2f s\n", seconds);
    std::printf("test_accuracy=%.4f\n", trainer.history().back().eval.accuracy);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digits_cnn: %s\n", e.what());
    return 1;
  }
  return 0;
}
