// Trains TinyMLPerf's image_classification reference: ResNet-8 on Fashion-MNIST brought to the
// benchmark's (1, 32, 32, 3) shape, and saves the weights that the TinyMLPerf tests load.
//   build/bin/fashion_resnet8 [train images] [epochs] [output file]
//   defaults: 20000, 3, data/tinymlperf/resnet8_fashion.tt  → ends with test_accuracy=<value>
// The data comes from Debian's dataset-fashion-mnist; the test accuracy is on the first 2,000
// images of its t10k split.
#include <cstdlib>
#include <string>

#include "tinymlperf_training.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  const int64_t train_images = argc > 1 ? std::atoll(argv[1]) : 20000;
  return TrainAndSave({.program = "fashion_resnet8",
                       .title = "fashion-mnist",
                       .train = [&] { return LoadFashionMnist32("train", train_images); },
                       .test = [] { return LoadFashionMnist32("t10k", 2000); },
                       .build = [](Generator& gen) { return ResNet8(gen); },
                       .epochs = argc > 2 ? std::atoi(argv[2]) : 3,
                       .lr = 2e-3f,
                       .seed = 8,
                       .out = argc > 3 ? argv[3] : TT_DATA_DIR "/tinymlperf/resnet8_fashion.tt"});
}
