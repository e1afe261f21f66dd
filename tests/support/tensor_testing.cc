#include "support/tensor_testing.h"

#include <cmath>
#include <sstream>

namespace tinytorch::testing {

namespace {

// Row-major values of any tensor as doubles (int64 indices fit exactly below 2^53).
std::vector<double> Values(const Tensor& t) {
  const Tensor c = t.Contiguous();
  std::vector<double> out(c.numel());
  for (int64_t i = 0; i < c.numel(); ++i) {
    switch (c.dtype()) {
      case DType::kFloat32:
        out[i] = c.data<float>()[i];
        break;
      case DType::kInt64:
        out[i] = static_cast<double>(c.data<int64_t>()[i]);
        break;
      case DType::kInt32:
        out[i] = c.data<int32_t>()[i];
        break;
      case DType::kInt8:
        out[i] = c.data<int8_t>()[i];
        break;
    }
  }
  return out;
}

}  // namespace

::testing::AssertionResult TensorsClose(const Tensor& actual, const Tensor& expected, double rtol,
                                        double atol) {
  if (!actual.defined() || !expected.defined()) {
    return ::testing::AssertionFailure() << "undefined tensor";
  }
  if (actual.shape() != expected.shape() || actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "got shape " << ShapeToString(actual.shape()) << " " << DTypeName(actual.dtype())
           << ", expected " << ShapeToString(expected.shape()) << " "
           << DTypeName(expected.dtype());
  }
  const bool exact = actual.dtype() != DType::kFloat32;
  const std::vector<double> a = Values(actual), e = Values(expected);
  int64_t bad = 0, worst = -1;
  double worst_excess = 0, max_abs = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
    if (both_nan || a[i] == e[i]) continue;
    const double diff = std::fabs(a[i] - e[i]);
    const double allowed = exact ? 0.0 : atol + rtol * std::fabs(e[i]);
    if (!std::isnan(diff)) max_abs = std::max(max_abs, diff);
    if (diff <= allowed) continue;
    ++bad;
    const double excess = std::isnan(diff) ? INFINITY : diff - allowed;
    if (worst < 0 || excess > worst_excess) {
      worst = static_cast<int64_t>(i);
      worst_excess = excess;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess() << "max |diff| " << max_abs;
  std::ostringstream os;
  os.precision(9);
  os << bad << " of " << a.size() << " elements differ (rtol=" << rtol << ", atol=" << atol
     << "); worst at flat index " << worst << ": got " << a[worst] << ", expected " << e[worst]
     << "; max |diff| " << max_abs;
  return ::testing::AssertionFailure() << os.str();
}

}  // namespace tinytorch::testing
