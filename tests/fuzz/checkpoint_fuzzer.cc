// Model state and training checkpoints (serialization.h, Trainer::LoadCheckpoint). The state
// format ends in an FNV-1a checksum that a mutated input would almost never match, so the harness
// appends the right one: the fuzzer explores what lies behind it (the damaged-checksum path has
// its unit tests). Set TT_FUZZ_WRITE_SEED=<file> to write this harness's model's checkpoint,
// without its checksum, as a seed (corpus/checkpoint/).
#include <memory>

#include "fuzz_support.h"
#include "tinytorch/tinytorch.h"

namespace {

using namespace tinytorch;

uint64_t Fnv1a64(std::string_view bytes) {  // serialization.h's checksum
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct Setup {
  Generator gen{1};
  std::shared_ptr<Sequential> model = std::make_shared<Sequential>(
      std::vector<std::shared_ptr<Module>>{std::make_shared<Linear>(3, 4, gen),
                                           std::make_shared<ReLULayer>(),
                                           std::make_shared<Linear>(4, 2, gen)});
  Adam optimizer{model->Parameters(), {.lr = 1e-2f}};
  Trainer trainer{*model, optimizer, CrossEntropyLoss()};
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed = std::getenv("TT_FUZZ_WRITE_SEED")) {
    Setup s;
    auto data = std::make_shared<TensorDataset>(Tensor::RandN({4, 3}, s.gen),
                                                Tensor::FromData(std::vector<int64_t>{0, 1, 1, 0}, {4}));
    DataLoader loader(data, {.batch_size = 2});
    s.trainer.RunEpoch(loader);
    const std::string path = fuzz::ScratchDir() / "seed.ckpt";
    s.trainer.SaveCheckpoint(path);
    const std::string bytes = ReadFile(path);
    fuzz::WriteFile(seed, std::string_view(bytes).substr(0, bytes.size() - 8));
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  const uint64_t checksum = Fnv1a64(bytes);
  bytes.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
  try {
    (void)DeserializeStateDict(bytes, "fuzz.ckpt");
  } catch (const Error&) {
    return 0;
  }
  const std::string path = fuzz::WriteFile(fuzz::ScratchDir() / "fuzz.ckpt", bytes);
  static Setup* s = new Setup;  // reused: loading must not depend on the previous load
  try {
    s->trainer.LoadCheckpoint(path);
  } catch (const Error&) {
  }
  try {
    s->model->Load(path);
  } catch (const Error&) {
  }
  return 0;
}
