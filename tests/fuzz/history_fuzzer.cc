// tinyperf history: run directories of results.json and benchmark JSON. The input is split at
// 0xFF bytes (never inside JSON text): chunk 2k is run k's results.json, chunk 2k + 1 its
// bench/x_bench.json, so several runs make series and change points.
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/history.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const fs::path root = fuzz::ScratchDir() / "history";
  fs::remove_all(root);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  for (int chunk = 0; chunk < 16 && start <= input.size(); ++chunk) {
    size_t end = input.find('\xff', start);
    if (end == std::string_view::npos) end = input.size();
    char run[32];
    std::snprintf(run, sizeof run, "202611%02dT000000Z", chunk / 2 + 1);
    const fs::path dir = root / run;
    fs::create_directories(dir / "bench");
    fuzz::WriteFile(chunk % 2 == 0 ? dir / "results.json" : dir / "bench" / "x_bench.json",
                    input.substr(start, end - start));
    start = end + 1;
  }
  try {
    const perf::History h = perf::BuildHistory(root.string());
    (void)h.ToMarkdown();
    (void)h.ToHtml();
  } catch (const perf::Error&) {
  }
  return 0;
}
