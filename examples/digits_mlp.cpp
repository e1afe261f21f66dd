// A 64-128-64-10 MLP on the UCI handwritten digits (split and training loop in tinytorch/digits.h).
//   build/bin/digits_mlp [path/to/digits.csv] [epochs] [seed]   → ends with test_accuracy=<value>
#include "digits_example.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  return digits_example::Run(
      {.name = "64-128-64-10 MLP",
       .default_epochs = 30,
       .lr = 2e-3f,
       .images = false,
       .build = [](Generator& gen) -> std::shared_ptr<Module> { return digits::BuildMlp(gen); }},
      argc, argv);
}
