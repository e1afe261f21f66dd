// The README's first example, compiled so it cannot go stale: build a small MLP, run a batch
// through it, compute a loss, take one Adam step, save and reload the weights, and show what a
// shape error says.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "tinytorch/tinytorch.h"

using namespace tinytorch;

int main() {
  Generator gen(42);
  Sequential model({std::make_shared<Linear>(64, 32, gen), std::make_shared<ReLULayer>(),
                    std::make_shared<Linear>(32, 10, gen)});
  std::cout << model.ToString() << "\nparameters: " << model.NumParameters() << "\n";

  const Tensor x = Tensor::RandN({8, 64}, gen);
  const Tensor labels = Tensor::FromData(std::vector<int64_t>(8, 3), {8});
  Tensor logits = model(x);
  std::cout << "logits[0]: " << logits.Select(0, 0) << "\n";
  const Tensor loss = CrossEntropyLoss()(logits, labels);
  std::cout << "cross-entropy: " << loss.item() << " (log 10 = 2.3026 for an uninformed model)\n";
  Adam optimizer(model.Parameters(), {.lr = 1e-3f});
  loss.Backward();
  optimizer.Step();
  std::cout << "after one Adam step: " << CrossEntropyLoss()(model(x), labels).item() << "\n";

  const std::string path =
      (std::filesystem::temp_directory_path() / "quickstart_model.tt").string();
  model.Save(path);
  Sequential copy({std::make_shared<Linear>(64, 32, gen), std::make_shared<ReLULayer>(),
                   std::make_shared<Linear>(32, 10, gen)});
  copy.Load(path);
  std::cout << "reloaded model gives identical logits: "
            << (MaxAbsDiff(copy(x), model(x)) == 0.0 ? "yes" : "no") << "\n";
  std::filesystem::remove(path);

  try {
    MatMul(Tensor::Zeros({2, 3}), Tensor::Zeros({4, 5}));
  } catch (const Error& e) {
    std::cout << "a shape error reads: " << e.what() << "\n";
  }
  return 0;
}
