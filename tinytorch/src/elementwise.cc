// Elementwise math with numpy broadcasting over arbitrary strides, and tensor comparison helpers.
#include <algorithm>
#include <cmath>
#include <ostream>

#include "elementwise_ops.h"
#include "tensor_internal.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

using internal::Attach;
using internal::BroadcastStrides;
using internal::CheckFloat;
using internal::EmptyLike;
using internal::ForEachRow;
using internal::NeedsGrad;
using internal::UnaryOp;
namespace ops = internal::ops;

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
  internal::CheckInPlace(a, op);
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

// Each op's backward sits beside its forward. Backward lambdas capture inputs (never the output
// itself, which would make a cycle: a saved output is Detach()ed).

using Grads = std::vector<Tensor>;

Tensor Add(const Tensor& a, const Tensor& b) {
  Tensor out = BinaryOp(a, b, "Add", ops::Add{});
  if (NeedsGrad(a, b)) {
    Attach(out, "Add", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
      return {SumToShape(g, sa), SumToShape(g, sb)};
    });
  }
  return out;
}

Tensor Sub(const Tensor& a, const Tensor& b) {
  Tensor out = BinaryOp(a, b, "Sub", ops::Sub{});
  if (NeedsGrad(a, b)) {
    Attach(out, "Sub", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) -> Grads {
      return {SumToShape(g, sa), SumToShape(-g, sb)};
    });
  }
  return out;
}

Tensor Mul(const Tensor& a, const Tensor& b) {
  Tensor out = BinaryOp(a, b, "Mul", ops::Mul{});
  if (NeedsGrad(a, b)) {
    Attach(out, "Mul", {a, b}, [a, b](const Tensor& g) -> Grads {
      return {SumToShape(g * b, a.shape()), SumToShape(g * a, b.shape())};
    });
  }
  return out;
}

Tensor Div(const Tensor& a, const Tensor& b) {
  Tensor out = BinaryOp(a, b, "Div", ops::Div{});
  if (NeedsGrad(a, b)) {
    Attach(out, "Div", {a, b}, [a, b](const Tensor& g) -> Grads {
      return {SumToShape(g / b, a.shape()), SumToShape(-g * a / (b * b), b.shape())};
    });
  }
  return out;
}

Tensor Pow(const Tensor& base, const Tensor& exponent) {
  Tensor out = BinaryOp(base, exponent, "Pow", [](float x, float y) { return std::pow(x, y); });
  if (NeedsGrad(base, exponent)) {
    Attach(out, "Pow", {base, exponent},
           [base, exponent, y = out.Detach()](const Tensor& g) -> Grads {
             return {SumToShape(g * exponent * Pow(base, exponent - 1.f), base.shape()),
                     SumToShape(g * y * Log(base), exponent.shape())};
           });
  }
  return out;
}

Tensor Pow(const Tensor& base, float exponent) {
  // Squaring is by far the most common power (losses, norms); keep it exact and fast.
  Tensor out = exponent == 2.f
                   ? UnaryOp(base, "Pow", [](float x) { return x * x; })
                   : UnaryOp(base, "Pow", [exponent](float x) { return std::pow(x, exponent); });
  if (NeedsGrad(base)) {
    Attach(out, "Pow", {base}, [base, exponent](const Tensor& g) -> Grads {
      return {exponent == 2.f ? g * base * 2.f : g * exponent * Pow(base, exponent - 1.f)};
    });
  }
  return out;
}

namespace {

// The gradient share of `a` in a max/min: 1 where it won, 0 where it lost, ½ on ties (as PyTorch).
Tensor WinnerShare(const Tensor& won, const Tensor& a, const Tensor& b) {
  return won + Eq(a, b) * 0.5f;
}

}  // namespace

// NaN propagates through Maximum/Minimum, as in torch.maximum.
Tensor Maximum(const Tensor& a, const Tensor& b) {
  Tensor out =
      BinaryOp(a, b, "Maximum", [](float x, float y) { return std::isnan(x) || x > y ? x : y; });
  if (NeedsGrad(a, b)) {
    Attach(out, "Maximum", {a, b}, [a, b](const Tensor& g) -> Grads {
      const Tensor share = WinnerShare(Gt(a, b), a, b);
      return {SumToShape(g * share, a.shape()), SumToShape(g * (1.f - share), b.shape())};
    });
  }
  return out;
}

Tensor Minimum(const Tensor& a, const Tensor& b) {
  Tensor out =
      BinaryOp(a, b, "Minimum", [](float x, float y) { return std::isnan(x) || x < y ? x : y; });
  if (NeedsGrad(a, b)) {
    Attach(out, "Minimum", {a, b}, [a, b](const Tensor& g) -> Grads {
      const Tensor share = WinnerShare(Lt(a, b), a, b);
      return {SumToShape(g * share, a.shape()), SumToShape(g * (1.f - share), b.shape())};
    });
  }
  return out;
}

namespace {

// A unary op with its backward: grad(g, x, y) returns dL/dx from dL/dy = g, input x, output y.
template <class F, class G>
Tensor Unary(const Tensor& x, const char* name, F f, G grad) {
  Tensor out = UnaryOp(x, name, f);
  if (NeedsGrad(x)) {
    Attach(out, name, {x},
           [x, y = out.Detach(), grad](const Tensor& g) -> Grads { return {grad(g, x, y)}; });
  }
  return out;
}

}  // namespace

Tensor Neg(const Tensor& x) {
  return Unary(x, "Neg", ops::Neg{},
               [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}
Tensor Exp(const Tensor& x) {
  return Unary(x, "Exp", ops::Exp{},
               [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; });
}
Tensor Log(const Tensor& x) {
  return Unary(x, "Log", ops::Log{},
               [](const Tensor& g, const Tensor& in, const Tensor&) { return g / in; });
}
Tensor Log1p(const Tensor& x) {
  return Unary(
      x, "Log1p", [](float v) { return std::log1p(v); },
      [](const Tensor& g, const Tensor& in, const Tensor&) { return g / (in + 1.f); });
}
Tensor Sqrt(const Tensor& x) {
  return Unary(x, "Sqrt", ops::Sqrt{},
               [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (y * 2.f); });
}
Tensor Abs(const Tensor& x) {
  // d|x|/dx = sign(x), with 0 at 0 as in PyTorch.
  return Unary(
      x, "Abs", [](float v) { return std::fabs(v); },
      [](const Tensor& g, const Tensor& in, const Tensor&) {
        const Tensor zero = Tensor::Scalar(0.f);
        return g * (Gt(in, zero) - Lt(in, zero));
      });
}
Tensor Clamp(const Tensor& x, float min, float max) {
  TT_CHECK(!(min > max), "Clamp: min ", min, " is greater than max ", max);
  // NaN stays NaN, like torch.clamp; the gradient passes where min <= x <= max.
  return Unary(
      x, "Clamp", [min, max](float v) { return v < min ? min : (v > max ? max : v); },
      [min, max](const Tensor& g, const Tensor& in, const Tensor&) {
        return g * Ge(in, Tensor::Scalar(min)) * Le(in, Tensor::Scalar(max));
      });
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
  return Unary(a, "Add", ops::AddScalar{b},
               [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}
Tensor operator-(const Tensor& a, float b) { return a + (-b); }
Tensor operator*(const Tensor& a, float b) {
  return Unary(a, "Mul", ops::MulScalar{b},
               [b](const Tensor& g, const Tensor&, const Tensor&) { return g * b; });
}
Tensor operator/(const Tensor& a, float b) {
  return Unary(a, "Div", ops::DivScalar{b},
               [b](const Tensor& g, const Tensor&, const Tensor&) { return g / b; });
}
Tensor operator+(float a, const Tensor& b) { return b + a; }
Tensor operator-(float a, const Tensor& b) {
  return Unary(b, "Sub", ops::RSubScalar{a},
               [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}
Tensor operator*(float a, const Tensor& b) { return b * a; }
Tensor operator/(float a, const Tensor& b) {
  return Unary(b, "Div", ops::RDivScalar{a}, [a](const Tensor& g, const Tensor& in, const Tensor&) {
    return -g * a / (in * in);
  });
}

Tensor& Tensor::operator+=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator+=", ops::Add{});
}
Tensor& Tensor::operator-=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator-=", ops::Sub{});
}
Tensor& Tensor::operator*=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator*=", ops::Mul{});
}
Tensor& Tensor::operator/=(const Tensor& other) {
  return InPlaceOp(*this, other, "Tensor::operator/=", ops::Div{});
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
