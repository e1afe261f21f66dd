// Trains TinyMLPerf's keyword_spotting (DS-CNN) or visual_wake_words (MobileNetV1 0.25×) reference
// on its seeded synthetic data and saves the weights that the TinyMLPerf tests load.
//   build/bin/tinymlperf_train keyword_spotting|visual_wake_words [train rows] [epochs] [output]
// Training data uses seed 11, the held-out evaluation set seed 12 (the one the tests regenerate),
// so the reported accuracy is on clips or scenes the model never saw.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tinymlperf_training.h"

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
  // The defaults are the runs that wrote the committed weights (data/tinymlperf/SOURCE.md).
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : (kws ? 6000 : 10000);
  const auto data = [kws](int64_t n, uint64_t seed) {
    return kws ? MakeKeywordSpottingData(n, seed) : MakeVisualWakeWordsData(n, seed);
  };
  return TrainAndSave(
      {.program = "tinymlperf_train",
       .title = benchmark,
       .train = [&] { return data(rows, 11); },
       .test = [&] { return data(1000, 12); },
       .build = [kws](Generator& gen) { return kws ? DsCnn(gen) : MobileNetV1Quarter(gen); },
       .epochs = argc > 3 ? std::atoi(argv[3]) : (kws ? 8 : 10),
       .lr = 3e-3f,
       .seed = 9,
       .out = argc > 4 ? argv[4]
                       : std::string(TT_DATA_DIR "/tinymlperf/") +
                             (kws ? "dscnn_keywords.tt" : "mobilenet_vww.tt")});
}
