// Google Benchmark JSON (tinyperf compare, baseline update, history, report --bench): the file
// reader, the sample parser under both metrics and the scaling-chart reader of the report.
#include "fuzz_support.h"
#include "perf_framework/error.h"
#include "perf_framework/regression.h"
#include "perf_framework/report.h"
#include "perf_framework/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::AsFile(data, size, "bench.json");
  try {
    (void)perf::ReadGoogleBenchmark(path, "real_time");
  } catch (const perf::Error&) {
  }
  nlohmann::json j;
  try {
    j = perf::ReadJsonFile(path);
  } catch (const perf::Error&) {
    return 0;
  }
  try {
    const perf::BenchmarkRun run = perf::ParseGoogleBenchmark(j, path, "cpu_time");
    (void)perf::MergeRuns({run, run}, path);
  } catch (const perf::Error&) {
  }
  try {
    (void)perf::ScalingChartFromGoogleBenchmark(j, path);
  } catch (const perf::Error&) {
  }
  return 0;
}
