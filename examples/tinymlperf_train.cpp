// Trains TinyMLPerf's keyword_spotting (DS-CNN) or visual_wake_words (MobileNetV1 0.25×) reference
// on its seeded synthetic data and saves the weights that the TinyMLPerf tests load.
//   build/bin/tinymlperf_train keyword_spotting|visual_wake_words [train rows] [epochs] [output]
// Training data uses seed 11, the held-out evaluation set seed 12 (the one the tests regenerate),
// so the reported accuracy is on clips or scenes the model never saw.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tinytorch/tinytorch.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: tinymlperf_train keyword_spotting|visual_wake_words [train rows] "
                 "[epochs] [output]\n");
    return 2;
  }
  const std::string benchmark = argv[1];
  const bool kws = benchmark == "keyword_spotting";
  if (!kws && benchmark != "visual_wake_words") {
    std::fprintf(stderr, "tinymlperf_train: unknown benchmark '%s'\n", benchmark.c_str());
    return 2;
  }
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : (kws ? 6000 : 4000);
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 8;
  const std::string out = argc > 4 ? argv[4]
                                   : std::string(TT_DATA_DIR "/tinymlperf/") +
                                         (kws ? "dscnn_keywords.tt" : "mobilenet_vww.tt");
  try {
    const auto start = std::chrono::steady_clock::now();
    const TinyMLPerfData train = kws ? MakeKeywordSpottingData(rows, 11)
                                     : MakeVisualWakeWordsData(rows, 11);
    const TinyMLPerfData test = kws ? MakeKeywordSpottingData(1000, 12)
                                    : MakeVisualWakeWordsData(1000, 12);
    DataLoader train_loader(std::make_shared<TensorDataset>(train.inputs, train.labels),
                            {.batch_size = 64, .shuffle = true, .seed = 9});
    DataLoader test_loader(std::make_shared<TensorDataset>(test.inputs, test.labels),
                           {.batch_size = 250});
    Generator gen(9);
    const std::shared_ptr<Module> model = kws ? DsCnn(gen) : MobileNetV1Quarter(gen);
    const float lr = 3e-3f;
    Adam optimizer(model->Parameters(), {.lr = lr});
    Trainer trainer(*model, optimizer, CrossEntropyLoss(),
                    {.schedule = CosineSchedule(lr, 1e-4f, epochs * train_loader.NumBatches())});
    std::printf("%s: %lld train, %lld test; %s, %lld parameters, %d epochs\n", benchmark.c_str(),
                static_cast<long long>(rows), static_cast<long long>(test.labels.size(0)),
                model->ToString().c_str(), static_cast<long long>(model->NumParameters()), epochs);
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
    std::fprintf(stderr, "tinymlperf_train: %s\n", e.what());
    return 1;
  }
}
