// A small CNN on the UCI handwritten digits: two conv-ReLU-maxpool stages and a linear layer
// (split and training loop in tinytorch/digits.h).
//   build/bin/digits_cnn [path/to/digits.csv] [epochs] [seed]   → ends with test_accuracy=<value>
#include "digits_example.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  return digits_example::Run(
      {.name = "CNN conv16-pool-conv32-pool-linear",
       .default_epochs = 20,
       .lr = 3e-3f,
       .images = true,
       .build = [](Generator& gen) -> std::shared_ptr<Module> { return digits::BuildCnn(gen); }},
      argc, argv);
}
