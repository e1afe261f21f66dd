// results.json (docs/results-schema.md): every claim file of a validation run, the merged report
// and the baseline report go through ReadResults; a file it accepts must survive its own writer.
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "results.json");
  perf::SuiteResults results;
  try {
    results = perf::ReadResults(path);
  } catch (const perf::Error&) {
    return 0;
  }
  const std::string again = (fuzz::ScratchDir() / "results-again.json").string();
  perf::WriteResults(results, again);
  try {
    (void)perf::ReadResults(again);
  } catch (const perf::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fuzz::Fail("ReadResults rejects what WriteResults wrote from an accepted file");
  }
  return 0;
}
