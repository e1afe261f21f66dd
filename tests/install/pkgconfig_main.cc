// Linked with nothing but `pkg-config --cflags --libs tinytorch` (install_test.sh): the .pc files
// name every library the static archives need. Prints a comparator verdict name and a matmul.
#include <cstdio>
#include <vector>

#include "perf_framework/statistics.h"
#include "perf_framework/verdict.h"
#include "tinytorch/tensor.h"

int main() {
  const tinytorch::Tensor a = tinytorch::Tensor::FromData(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const std::vector<double> x = {1, 2, 3, 4};
  std::printf("%s %g %g\n", perf::VerdictName(perf::Verdict::kFaster),
              static_cast<double>(tinytorch::MatMul(a, a).ToVector()[3]), perf::Median(x));
  return 0;
}
