// How to ask "is my kernel faster, by how much, and how sure are we?" in a dozen lines:
// compare tinytorch's naive matmul with the OpenBLAS backend on a seeded 128x128 workload.
#include <cstdio>

#include "perf_framework/comparator.h"
#include "perf_framework/workload.h"
#include "tinytorch/tensor.h"

using namespace tinytorch;

int main() {
  const perf::Workload w = perf::WorkloadGenerator(42).MatMul(128, 128, 128);
  const Tensor a = Tensor::FromData(w.tensors[0], w.shapes[0]);
  const Tensor b = Tensor::FromData(w.tensors[1], w.shapes[1]);

  perf::PerformanceComparator comparator;
  const perf::ComparisonResult r = comparator.Compare(
      w.description, [&] { MatMul(a, b, MatMulBackend::kNaive); },  // baseline
      [&] { MatMul(a, b, MatMulBackend::kOpenBlas); },              // candidate
      [&] {
        return AllClose(MatMul(a, b, MatMulBackend::kNaive), MatMul(a, b, MatMulBackend::kOpenBlas),
                        1e-4, 1e-4);
      });

  std::printf("%s\n%s: %s\n", w.description.c_str(), perf::VerdictName(r.verdict),
              r.reason.c_str());
  std::printf("rounds %d, %.3f s; naive %.1f us, openblas %.1f us per call\n", r.rounds,
              r.elapsed_seconds, r.baseline_median_ns / 1e3, r.candidate_median_ns / 1e3);
  for (const std::string& warning : r.warnings) std::printf("warning: %s\n", warning.c_str());
  return r.verdict == perf::Verdict::kError ? 1 : 0;
}
