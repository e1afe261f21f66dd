// The scalar formula of every elementwise op a lazy graph can record, one definition for the eager
// op (elementwise.cc, activations.cc) and the fused lazy pass (lazy_ops.cc's op table): the two
// give the same bits because they call the same function, not because two copies agree.
//
// Each formula is a small functor, not a function pointer, so the loops that take it as a template
// argument inline and vectorise it. A formula with an operand s stores it as its one member.
// The exact GELU is missing on purpose: it has no scalar formula, only the array kernel
// kernels::GeluExact (vector erf), which both paths call.
#pragma once

#include <cmath>

#include "activation_math.h"

namespace tinytorch::internal::ops {

// Binary, over broadcast operands.
struct Add {
  float operator()(float x, float y) const { return x + y; }
};
struct Sub {
  float operator()(float x, float y) const { return x - y; }
};
struct Mul {
  float operator()(float x, float y) const { return x * y; }
};
struct Div {
  float operator()(float x, float y) const { return x / y; }
};

// With a scalar s. x - s is x + (-s), as the eager operator- computes it.
struct AddScalar {
  float s;
  float operator()(float x) const { return x + s; }
};
struct MulScalar {
  float s;
  float operator()(float x) const { return x * s; }
};
struct DivScalar {
  float s;
  float operator()(float x) const { return x / s; }
};
struct RSubScalar {  // s - x
  float s;
  float operator()(float x) const { return s - x; }
};
struct RDivScalar {  // s / x
  float s;
  float operator()(float x) const { return s / x; }
};

// Unary.
struct Neg {
  float operator()(float x) const { return -x; }
};
struct Exp {
  float operator()(float x) const { return std::exp(x); }
};
struct Log {
  float operator()(float x) const { return std::log(x); }
};
struct Sqrt {
  float operator()(float x) const { return std::sqrt(x); }
};
struct Relu {
  float operator()(float x) const { return ReluValue(x); }
};
struct Sigmoid {
  float operator()(float x) const { return SigmoidValue(x); }
};
struct Tanh {
  float operator()(float x) const { return std::tanh(x); }
};
struct GeluTanh {
  float operator()(float x) const { return GeluTanhValue(x); }
};

}  // namespace tinytorch::internal::ops
