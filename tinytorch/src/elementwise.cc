// Elementwise math with numpy broadcasting over arbitrary strides, and tensor comparison helpers.
#include <algorithm>
#include <cmath>
#include <ostream>

#include "tensor_internal.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using internal::BroadcastStrides;
using internal::CheckFloat;
using internal::EmptyLike;
using internal::ForEachRow;
using internal::UnaryOp;

Shape BroadcastShapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TT_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
             " cannot be broadcast (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// One row of a binary op. The common stride patterns get their own loops so the compiler
// vectorises them: both packed, or one side a broadcast scalar.
template <class F>
void BinaryRow(float* out, const float* a, const float* b, int64_t n,
               const std::array<int64_t, 3>& s, F f) {
  if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
  }
}

// out[i] = f(a[i], b[i]) over the broadcast index space; `out` has that shape already.
template <class F>
void BinaryInto(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  const Shape& so = out.strides();
  const Shape sa = BroadcastStrides(a, out.shape());
  const Shape sb = BroadcastStrides(b, out.shape());
  float* po = out.data<float>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  ForEachRow<3>(out.shape(), {&so, &sa, &sb},
                [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                  BinaryRow(po + off[0], pa + off[1], pb + off[2], n, s, f);
                });
}

template <class F>
Tensor BinaryOp(const Tensor& a, const Tensor& b, const char* op, F f) {
  CheckFloat(a, op);
  CheckFloat(b, op);
  Tensor out = EmptyLike(BroadcastShapes(a.shape(), b.shape(), op));
  BinaryInto(out, a, b, f);
  return out;
}

// a op= b, with b broadcast to a's shape and a written through its own strides.
template <class F>
Tensor& InPlaceOp(Tensor& a, const Tensor& b, const char* op, F f) {
  CheckFloat(a, op);
  CheckFloat(b, op);
  TT_CHECK(BroadcastShapes(a.shape(), b.shape(), op) == a.shape(), op, ": shape ", b.shape(),
           " does not broadcast to the destination shape ", a.shape());
  // Reading b while writing a is safe only when b is a itself or does not alias it.
  const bool same_view = a.SharesStorageWith(b) && a.offset() == b.offset() &&
                         a.shape() == b.shape() && a.strides() == b.strides();
  const Tensor rhs = a.SharesStorageWith(b) && !same_view ? b.Clone() : b;
  BinaryInto(a, a, rhs, f);
  return a;
}

}  // namespace

Tensor Add(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Add", [](float x, float y) { return x + y; });
}
Tensor Sub(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Sub", [](float x, float y) { return x - y; });
}
Tensor Mul(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Mul", [](float x, float y) { return x * y; });
}
Tensor Div(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Div", [](float x, float y) { return x / y; });
}
Tensor Pow(const Tensor& base, const Tensor& exponent) {
  return BinaryOp(base, exponent, "Pow", [](float x, float y) { return std::pow(x, y); });
}
Tensor Pow(const Tensor& base, float exponent) {
  // Squaring is by far the most common power (losses, norms); keep it exact and fast.
  if (exponent == 2.f) return UnaryOp(base, "Pow", [](float x) { return x * x; });
  return UnaryOp(base, "Pow", [exponent](float x) { return std::pow(x, exponent); });
}
// NaN propagates through Maximum/Minimum, as in torch.maximum.
Tensor Maximum(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Maximum", [](float x, float y) { return std::isnan(x) || x > y ? x : y; });
}
Tensor Minimum(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Minimum", [](float x, float y) { return std::isnan(x) || x < y ? x : y; });
}

Tensor Neg(const Tensor& x) {
  return UnaryOp(x, "Neg", [](float v) { return -v; });
}
Tensor Exp(const Tensor& x) {
  return UnaryOp(x, "Exp", [](float v) { return std::exp(v); });
}
Tensor Log(const Tensor& x) {
  return UnaryOp(x, "Log", [](float v) { return std::log(v); });
}
Tensor Log1p(const Tensor& x) {
  return UnaryOp(x, "Log1p", [](float v) { return std::log1p(v); });
}
Tensor Sqrt(const Tensor& x) {
  return UnaryOp(x, "Sqrt", [](float v) { return std::sqrt(v); });
}
Tensor Abs(const Tensor& x) {
  return UnaryOp(x, "Abs", [](float v) { return std::fabs(v); });
}
Tensor Clamp(const Tensor& x, float min, float max) {
  TT_CHECK(!(min > max), "Clamp: min ", min, " is greater than max ", max);
  // NaN stays NaN, like torch.clamp.
  return UnaryOp(x, "Clamp", [min, max](float v) { return v < min ? min : (v > max ? max : v); });
}

Tensor Eq(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Eq", [](float x, float y) { return x == y ? 1.f : 0.f; });
}
Tensor Ne(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Ne", [](float x, float y) { return x != y ? 1.f : 0.f; });
}
Tensor Lt(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Lt", [](float x, float y) { return x < y ? 1.f : 0.f; });
}
Tensor Le(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Le", [](float x, float y) { return x <= y ? 1.f : 0.f; });
}
Tensor Gt(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Gt", [](float x, float y) { return x > y ? 1.f : 0.f; });
}
Tensor Ge(const Tensor& a, const Tensor& b) {
  return BinaryOp(a, b, "Ge", [](float x, float y) { return x >= y ? 1.f : 0.f; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return Add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return Sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return Mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return Div(a, b); }
Tensor operator-(const Tensor& x) { return Neg(x); }

Tensor operator+(const Tensor& a, float b) {
  return UnaryOp(a, "Add", [b](float x) { return x + b; });
}
Tensor operator-(const Tensor& a, float b) {
  return UnaryOp(a, "Sub", [b](float x) { return x - b; });
}
Tensor operator*(const Tensor& a, float b) {
  return UnaryOp(a, "Mul", [b](float x) { return x * b; });
}
Tensor operator/(const Tensor& a, float b) {
  return UnaryOp(a, "Div", [b](float x) { return x / b; });
}
Tensor operator+(float a, const Tensor& b) { return b + a; }
Tensor operator-(float a, const Tensor& b) {
  return UnaryOp(b, "Sub", [a](float x) { return a - x; });
}
Tensor operator*(float a, const Tensor& b) { return b * a; }
Tensor operator/(float a, const Tensor& b) {
  return UnaryOp(b, "Div", [a](float x) { return a / x; });
}

Tensor& Tensor::operator+=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator+=", [](float x, float y) { return x + y; });
}
Tensor& Tensor::operator-=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator-=", [](float x, float y) { return x - y; });
}
Tensor& Tensor::operator*=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator*=", [](float x, float y) { return x * y; });
}
Tensor& Tensor::operator/=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator/=", [](float x, float y) { return x / y; });
}
Tensor& Tensor::operator+=(float value) { return *this += Tensor::Scalar(value); }
Tensor& Tensor::operator-=(float value) { return *this -= Tensor::Scalar(value); }
Tensor& Tensor::operator*=(float value) { return *this *= Tensor::Scalar(value); }
Tensor& Tensor::operator/=(float value) { return *this /= Tensor::Scalar(value); }

// ---------------------------------------------------------------------------------------------

namespace {

// Calls f(a_i, b_i) for every element pair of two float tensors of equal shape; stops when f
// returns false. Returns whether it ran to the end.
template <class F>
bool ForEachPair(const Tensor& a, const Tensor& b, const char* op, F f) {
  CheckFloat(a, op);
  CheckFloat(b, op);
  TT_CHECK(a.shape() == b.shape(), op, ": shapes ", a.shape(), " and ", b.shape(), " differ");
  const Shape& sa = a.strides();
  const Shape& sb = b.strides();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  bool ok = true;
  ForEachRow<2>(a.shape(), {&sa, &sb},
                [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
                  for (int64_t i = 0; i < n && ok; ++i) {
                    ok = f(pa[off[0] + i * s[0]], pb[off[1] + i * s[1]]);
                  }
                });
  return ok;
}

}  // namespace

bool AllClose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  return ForEachPair(a, b, "AllClose", [&](double x, double y) {
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    if (x == y) return true;  // equal infinities
    return std::fabs(x - y) <= atol + rtol * std::fabs(y);
  });
}

double MaxAbsDiff(const Tensor& a, const Tensor& b) {
  double worst = 0.0;
  ForEachPair(a, b, "MaxAbsDiff", [&](double x, double y) {
    const double d = x == y ? 0.0 : std::fabs(x - y);  // x == y also covers equal infinities
    if (std::isnan(d) || d > worst) worst = d;
    return !std::isnan(worst);
  });
  return worst;
}

}  // namespace tinytorch
