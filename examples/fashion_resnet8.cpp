// Trains TinyMLPerf's image_classification reference: ResNet-8 on Fashion-MNIST brought to the
// benchmark's (1, 32, 32, 3) shape, and saves the weights that the TinyMLPerf tests load.
//   build/bin/fashion_resnet8 [train images] [epochs] [output file]
//   defaults: 20000, 3, data/tinymlperf/resnet8_fashion.tt  → ends with test_accuracy=<value>
// The data comes from Debian's dataset-fashion-mnist; the test accuracy is on the first 2,000
// images of its t10k split.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tinytorch/tinytorch.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  const int64_t train_images = argc > 1 ? std::atoll(argv[1]) : 20000;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string out = argc > 3 ? argv[3] : TT_DATA_DIR "/tinymlperf/resnet8_fashion.tt";
  try {
    const auto start = std::chrono::steady_clock::now();
    const TinyMLPerfData train = LoadFashionMnist32("train", train_images);
    const TinyMLPerfData test = LoadFashionMnist32("t10k", 2000);
    DataLoader train_loader(std::make_shared<TensorDataset>(train.inputs, train.labels),
                            {.batch_size = 64, .shuffle = true, .seed = 8});
    DataLoader test_loader(std::make_shared<TensorDataset>(test.inputs, test.labels),
                           {.batch_size = 256});
    Generator gen(8);
    const std::shared_ptr<Module> model = ResNet8(gen);
    const float lr = 2e-3f;
    Adam optimizer(model->Parameters(), {.lr = lr});
    Trainer trainer(*model, optimizer, CrossEntropyLoss(),
                    {.schedule = CosineSchedule(lr, 1e-4f, epochs * train_loader.NumBatches())});
    std::printf("fashion-mnist: %lld train, %lld test; ResNet-8, %lld parameters, %d epochs\n",
                static_cast<long long>(train.labels.size(0)),
                static_cast<long long>(test.labels.size(0)),
                static_cast<long long>(model->NumParameters()), epochs);
    for (int e = 0; e < epochs; ++e) {
      const EpochRecord r = trainer.RunEpoch(train_loader, &test_loader);
      std::printf("epoch %d  train loss %.4f acc %.4f  test acc %.4f  %.1fs\n", e, r.train.loss,
                  r.train.accuracy, r.eval.accuracy, r.train.seconds + r.eval.seconds);
      std::fflush(stdout);
    }
    model->Eval();
    model->Save(out);
    std::printf("saved %s; total %.1f s\n", out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("test_accuracy=%.4f\n", trainer.history().back().eval.accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_resnet8: %s\n", e.what());
    return 1;
  }
}
