#include "support/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tinytorch/autograd.h"

namespace tinytorch::testing {

namespace {

double Project(const Tensor& out, const Tensor& w) {
  const Tensor o = out.Contiguous();
  const float* po = o.data<float>();
  const float* pw = w.data<float>();
  double sum = 0;
  for (int64_t i = 0; i < o.numel(); ++i) sum += static_cast<double>(po[i]) * pw[i];
  return sum;
}

}  // namespace

::testing::AssertionResult GradCheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                     const std::vector<Tensor>& inputs,
                                     const GradCheckOptions& options) {
  std::vector<Tensor> leaves;
  for (const Tensor& in : inputs) {
    Tensor leaf = in.Clone().Detach();
    if (leaf.dtype() == DType::kFloat32) leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  const Tensor out = f(leaves);
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "output does not require grad";
  Generator gen(options.seed);
  const Tensor w = Tensor::RandN(out.shape(), gen);
  (out * w).Sum().Backward();

  NoGradGuard no_grad;
  std::ostringstream failures;
  int bad = 0;
  for (size_t k = 0; k < leaves.size(); ++k) {
    if (!leaves[k].requires_grad()) continue;
    const Tensor analytic = leaves[k].grad();
    if (!analytic.defined())
      return ::testing::AssertionFailure() << "input " << k << " got no gradient";
    float* x = leaves[k].data<float>();  // leaves are packed copies: flat indexing is safe
    for (int64_t i = 0; i < leaves[k].numel(); ++i) {
      const float saved = x[i];
      x[i] = static_cast<float>(saved + options.eps);
      const double plus = Project(f(leaves), w);
      x[i] = static_cast<float>(saved - options.eps);
      const double minus = Project(f(leaves), w);
      x[i] = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double got = analytic.Contiguous().data<float>()[i];
      if (std::fabs(got - numeric) > options.atol + options.rtol * std::fabs(numeric)) {
        if (++bad <= 5) {
          failures << "\n  input " << k << " element " << i << ": backward " << got
                   << ", finite difference " << numeric;
        }
      }
    }
  }
  if (bad)
    return ::testing::AssertionFailure() << bad << " gradient elements differ:" << failures.str();
  return ::testing::AssertionSuccess();
}

}  // namespace tinytorch::testing
