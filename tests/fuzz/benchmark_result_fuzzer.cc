// BenchmarkResult JSON (module 19): FromJson recomputes every statistic from the raw values; a
// result it accepts must read back bit-exactly from its own JSON. Set TT_FUZZ_WRITE_SEED=<file>
// to write a valid result as a seed (corpus/benchmark_result/).
#include "fuzz_support.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed = std::getenv("TT_FUZZ_WRITE_SEED")) {
    fuzz::WriteFile(seed, tinytorch::BenchmarkResult::FromValues("latency", "latency_ms", "ms",
                                                                 {1.25, 1.5, 1.0, 4.0, 1.125})
                              .ToJson());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinytorch;
  BenchmarkResult r;
  try {
    r = BenchmarkResult::FromJson(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
    return 0;
  }
  try {
    if (BenchmarkResult::FromJson(r.ToJson()).ToJson() != r.ToJson()) {
      fuzz::Fail("BenchmarkResult JSON does not round-trip");
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fuzz::Fail("BenchmarkResult::FromJson rejects ToJson of a result it accepted");
  }
  return 0;
}
