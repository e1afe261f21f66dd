// Printing tensors in PyTorch's layout: nested brackets, one row per line, long dims summarised.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "tinytorch/tensor.h"

namespace tinytorch {

namespace {

constexpr int64_t kSummarizeThreshold = 1000;  // PyTorch's default print threshold

std::string FormatElement(const Tensor& t, int64_t offset, int precision) {
  const std::byte* base = t.storage()->data();
  char buf[64];
  switch (t.dtype()) {
    case DType::kFloat32: {
      const float v = reinterpret_cast<const float*>(base)[offset];
      if (std::isnan(v)) return "nan";
      if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
      const double mag = std::fabs(v);
      // Very large or tiny magnitudes switch to scientific notation, as PyTorch does.
      const bool sci = mag != 0 && (mag >= 1e8 || mag < 1e-4);
      std::snprintf(buf, sizeof buf, sci ? "%.*e" : "%.*f", precision, static_cast<double>(v));
      return buf;
    }
    case DType::kInt64:
      std::snprintf(buf, sizeof buf, "%" PRId64, reinterpret_cast<const int64_t*>(base)[offset]);
      return buf;
    case DType::kInt32:
      std::snprintf(buf, sizeof buf, "%" PRId32, reinterpret_cast<const int32_t*>(base)[offset]);
      return buf;
    case DType::kInt8:
      std::snprintf(buf, sizeof buf, "%d",
                    static_cast<int>(reinterpret_cast<const int8_t*>(base)[offset]));
      return buf;
  }
  return "?";
}

void Print(std::ostringstream& os, const Tensor& t, int64_t dim, int64_t offset, int precision,
           int64_t edge, bool summarize, int indent) {
  if (dim == t.dim()) {
    os << FormatElement(t, offset, precision);
    return;
  }
  const int64_t n = t.shape()[dim];
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * edge && i == edge) {
      os << (dim + 1 == t.dim() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - edge - 1;
      continue;
    }
    Print(os, t, dim + 1, offset + i * t.strides()[dim], precision, edge, summarize, indent + 1);
    if (i + 1 < n) {
      if (dim + 1 == t.dim()) {
        os << ", ";
      } else {
        os << ',' << std::string(t.dim() - dim - 1, '\n') << std::string(indent + 1, ' ');
      }
    }
  }
  os << ']';
}

}  // namespace

std::string ToString(const Tensor& t, int precision, int64_t edge_items) {
  if (!t.defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  const bool summarize = t.numel() > kSummarizeThreshold;
  Print(os, t, 0, t.offset(), precision, edge_items, summarize, 7);
  if (t.numel() == 0) os << ", size=" << ShapeToString(t.shape());
  if (t.dtype() != DType::kFloat32) os << ", dtype=" << DTypeName(t.dtype());
  if (t.requires_grad()) os << ", requires_grad=True";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << ToString(t); }

}  // namespace tinytorch
