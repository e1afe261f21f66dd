// LoadCsv (module 05). The first byte picks the options (header, labels, delimiter, label
// column); the rest is the file.
#include "fuzz_support.h"
#include "tinytorch/data.h"
#include "tinytorch/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t o = data[0];
  const tinytorch::CsvOptions options{.header = (o & 1) != 0,
                                      .delimiter = (o & 2) != 0 ? ';' : ',',
                                      .label_column = ((o >> 2) & 7) - 4,
                                      .has_labels = (o & 32) == 0};
  const std::string path = fuzz::AsFile(data + 1, size - 1, "table.csv");
  try {
    (void)tinytorch::LoadCsv(path, options);
  } catch (const tinytorch::Error&) {
  }
  return 0;
}
