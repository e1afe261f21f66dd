// A small CNN on the UCI handwritten digits: two conv-ReLU-maxpool stages and a linear layer
// (split and training loop in digits.h).
//   build/bin/digits_cnn [path/to/digits.csv] [epochs] [seed]   → ends with test_accuracy=<value>
#include "digits.h"

int main(int argc, char** argv) {
  using namespace tinytorch;
  return digits::Run(
      {.name = "CNN conv16-pool-conv32-pool-linear",
       .default_epochs = 20,
       .lr = 3e-3f,
       .images = true,
       .build = [](Generator& gen) -> std::shared_ptr<Module> {
         return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
             std::make_shared<Conv2d>(1, 16, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
             std::make_shared<MaxPool2d>(2),  // 16×4×4
             std::make_shared<Conv2d>(16, 32, 3, gen, 1, 1), std::make_shared<ReLULayer>(),
             std::make_shared<MaxPool2d>(2),  // 32×2×2
             std::make_shared<Flatten>(), std::make_shared<Linear>(128, 10, gen)});
       }},
      argc, argv);
}
