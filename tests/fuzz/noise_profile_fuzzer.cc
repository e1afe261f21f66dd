// The noise profile of `tinyperf calibrate` that `tinyperf compare --noise` reads, and the
// lookups compare makes in it right after.
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/regression.h"
#include "perf_framework/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "noise.json");
  try {
    const perf::NoiseProfile p = perf::NoiseProfile::FromJson(perf::ReadJsonFile(path), path);
    (void)p.DriftFor("BM_MatMulSimd/n:256/real_time");
    (void)p.ResolutionFor("BM_MatMulSimd/n:256/real_time");
    (void)perf::NoiseProfile::FromJson(p.ToJson(), path);
  } catch (const perf::Error&) {
  }
  return 0;
}
