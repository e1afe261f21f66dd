// The committed baseline report (tests/data/regression/validation_baseline.json, tinyperf report
// --baseline): read as results.json, then compared with the committed one and rendered.
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/report.h"
#include "perf_framework/suite.h"

namespace {
const perf::SuiteResults& Current() {
  static const perf::SuiteResults current =
      perf::ReadResults(TT_SOURCE_DIR "/tests/data/regression/validation_baseline.json");
  return current;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "baseline.json");
  try {
    const perf::SuiteResults baseline = perf::ReadResults(path);
    const auto changes = perf::CompareToBaseline(baseline, Current());
    (void)perf::BaselineMarkdown(changes, path);
  } catch (const perf::Error&) {
  }
  return 0;
}
