// IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed, as images and as labels.
#include "fuzz_support.h"
#include "tinytorch/data.h"
#include "tinytorch/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "data.idx");
  try {
    (void)tinytorch::LoadIdxImages(path);
  } catch (const tinytorch::Error&) {
  }
  try {
    (void)tinytorch::LoadIdxLabels(path, 2);
  } catch (const tinytorch::Error&) {
  }
  return 0;
}
