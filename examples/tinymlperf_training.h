// The training recipe shared by the TinyMLPerf reference-model examples (fashion_resnet8,
// tinymlperf_train): Adam with a cosine schedule from `lr` down to 1e-4, batch 64 shuffled with
// `seed` (which also seeds the initialisation), the test set evaluated after every epoch; the
// weights are saved to `out` and the last line printed is test_accuracy=<value>.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "tinytorch/tinytorch.h"

struct TinyMLPerfRecipe {
  std::string program;  // prefixes error messages
  std::string title;    // first word of the header line
  std::function<tinytorch::TinyMLPerfData()> train, test;
  std::function<std::shared_ptr<tinytorch::Module>(tinytorch::Generator&)> build;
  int epochs;
  float lr;
  uint64_t seed;
  std::string out;
};

// Returns the process exit code: 0, or 1 after printing the error.
inline int TrainAndSave(const TinyMLPerfRecipe& r) {
  using namespace tinytorch;
  try {
    const auto start = std::chrono::steady_clock::now();
    const TinyMLPerfData train = r.train(), test = r.test();
    DataLoader train_loader(std::make_shared<TensorDataset>(train.inputs, train.labels),
                            {.batch_size = 64, .shuffle = true, .seed = r.seed});
    DataLoader test_loader(std::make_shared<TensorDataset>(test.inputs, test.labels),
                           {.batch_size = 256});
    Generator gen(r.seed);
    const std::shared_ptr<Module> model = r.build(gen);
    Adam optimizer(model->Parameters(), {.lr = r.lr});
    Trainer trainer(
        *model, optimizer, CrossEntropyLoss(),
        {.schedule = CosineSchedule(r.lr, 1e-4f, r.epochs * train_loader.NumBatches())});
    std::printf("%s: %lld train, %lld test; %s, %lld parameters, %d epochs\n", r.title.c_str(),
                static_cast<long long>(train.labels.size(0)),
                static_cast<long long>(test.labels.size(0)), model->ToString().c_str(),
                static_cast<long long>(model->NumParameters()), r.epochs);
    for (int e = 0; e < r.epochs; ++e) {
      const EpochRecord rec = trainer.RunEpoch(train_loader, &test_loader);
      std::printf("epoch %d  train loss %.4f acc %.4f  test acc %.4f  %.1fs\n", e, rec.train.loss,
                  rec.train.accuracy, rec.eval.accuracy, rec.train.seconds + rec.eval.seconds);
      std::fflush(stdout);
    }
    model->Eval();
    model->Save(r.out);
    std::printf("saved %s; total %.1f s\n", r.out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("test_accuracy=%.4f\n", trainer.history().back().eval.accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", r.program.c_str(), e.what());
    return 1;
  }
}
