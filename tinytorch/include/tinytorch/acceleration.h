// Module 17: acceleration. The matmul ladder (MatMulBackend in tensor.h: naive → reordered →
// blocked → SIMD → threaded, with OpenBLAS as the reference), the knobs that select its kernels,
// fused operators beside their unfused compositions, and a raw GEMM entry point without the
// Tensor layer, so the cost of dispatch through MatMul can be measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tinytorch/activations.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

// The vector ISA of the SIMD and int8 kernels, ascending: a CPU that has a level has the ones
// below it. kAvx512 means AVX-512 F/BW/VL with VNNI.
enum class SimdLevel : uint8_t {
  kScalar,
  kAvx2,
  kAvx512,
  kCount  // not a level: the number of levels, which kernels/cpu.cc's table must match
};
const char* SimdLevelName(SimdLevel level);  // "invalid" for a value that is none
SimdLevel DetectedSimdLevel();               // the best level this CPU supports
// The detected level unless overridden: by SetSimdLevel, or for the whole process by
// TT_SIMD_LEVEL=scalar|avx2|avx512 in the environment (a level the CPU lacks is ignored).
SimdLevel ActiveSimdLevel();
// Process-wide; throws if the CPU lacks `level`. Returns the previous level.
SimdLevel SetSimdLevel(SimdLevel level);

// Threads for the kernels that split their work: MatMulBackend::kThreaded, the int8 GEMM,
// convolution and the attention softmax (initially the CPUs this process may run on: its
// affinity mask). Throws unless threads >= 1. Returns the previous count.
int SetNumThreads(int threads);
int NumThreads();

// ---------------------------------------------------------------------------------------------
// Which GEMM MatMul runs by default. No model should run on a degraded GEMM because nobody looked:
// the default is chosen per machine, per shape class, by the first of
//   1. TT_MATMUL_BACKEND=<name> in the environment (a backend name, for every class);
//   2. SetDefaultMatMulBackend (for every class);
//   3. a measurement by TuneMatMul, cached under the machine's fingerprint (CPU, cores, compiler,
//      BLAS kernel) in MatMulCachePath();
//   4. the rule "OpenBLAS, unless its kernel is degraded for this CPU (perf::ProcessBlas), then
//      our threaded kernel".
// Shape classes: small products (m·n·k < kSmallMatMulWork, where our threaded kernel stays on one
// thread and call overheads dominate) and large ones.
inline constexpr int64_t kSmallMatMulWork = int64_t{1} << 21;
struct MatMulChoice {
  MatMulBackend small = MatMulBackend::kOpenBlas;
  MatMulBackend large = MatMulBackend::kOpenBlas;
  std::string source;  // how it was chosen, e.g. "measured 2026-12-03T07:30:00Z (cache ...)"
  // From a measurement: GFLOP/s of each candidate per class, e.g. {"large": {"openblas": 180}};
  // empty when the choice was not measured.
  std::string measurements_json;
  // Set when a measurement shows the BLAS far below our own kernel (under half its speed):
  // a degraded reference even when its kernel name looks right.
  std::string degraded_reason;
  // The OpenBLAS backend runs products of fewer multiply-adds than this on one thread; 0 leaves
  // every size to OpenBLAS's own rule (threads above a size compiled into it). Measured by
  // TuneMatMul: on a 2-vCPU VM, OpenBLAS's threads cost more than they save below a few million
  // multiply-adds (the digits MLP's 360·128·64 takes about 30 µs on one thread, 39 µs on two).
  // TT_MATMUL_BACKEND reads no cache, so it leaves this 0; SetDefaultMatMulBackend keeps it.
  int64_t openblas_serial_below = 0;
};
MatMulChoice DefaultMatMulChoice();
MatMulBackend MatMulBackendFor(int64_t m, int64_t n, int64_t k);  // the default for this shape
// Sets this process's MatMulChoice::openblas_serial_below (to race OpenBLAS on one thread against
// its own threads, say; 0 restores OpenBLAS's own rule). Throws unless work >= 0. Returns the
// previous value.
int64_t SetOpenBlasSerialBelow(int64_t work);
std::optional<MatMulBackend> ParseMatMulBackend(const std::string& name);  // by MatMulBackendName

// Measures where OpenBLAS's threads start to pay (square products of 96 to 256), then our
// threaded kernel against that OpenBLAS on one representative shape per class (about a second),
// writes the choice to MatMulCachePath() atomically, and makes it this process's default (unless
// TT_MATMUL_BACKEND or SetDefaultMatMulBackend decided). Returns it.
MatMulChoice TuneMatMul();
// TuneMatMul unless the default is a measurement already (this machine's cache, or a tune in this
// process), so asking for a measured default twice measures once. Returns DefaultMatMulChoice().
MatMulChoice TuneMatMulUnlessMeasured();
// $TT_CACHE_DIR, else $XDG_CACHE_HOME/tinytorch, else $HOME/.cache/tinytorch, then
// matmul-<fingerprint>.json.
std::string MatMulCachePath();

// The largest |OpenBLAS − naive| / max|naive| over a few odd shapes and layouts (ragged sizes,
// transposed and strided operands): the check that a kernel chosen for this CPU computes right.
double BlasMaxRelativeError();
// Whether a BlasMaxRelativeError is a kernel that computes right: within 1e-4, since float32 sums
// over k <= 513 terms differ from each other by a few ulps per term, far below it. False for NaN.
bool BlasComputesRight(double max_relative_error);

// cblas_sgemm calls made by tinytorch in this process: a claim that made any ran on the BLAS.
int64_t BlasCalls();

// c (m, n) = a (m, k) @ b (k, n) on packed row-major buffers, through `backend`'s kernel with no
// shape checks, allocation or autograd. c must not alias a or b.
void Gemm(MatMulBackend backend, float* c, const float* a, const float* b, int64_t m, int64_t n,
          int64_t k);

// Gelu(x @ weight + bias) with the bias and GELU applied in one pass over the GEMM's output;
// x (..., in), weight (in, out), bias (out). When a gradient is needed it records the unfused
// composition instead, so training gets exact gradients and inference gets the fused pass.
Tensor LinearGelu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  GeluApproximation approximation = GeluApproximation::kNone);

// The unfused compositions the fused ops are measured against: each step a separate op with its
// own pass over memory and its own temporary.
Tensor LinearGeluUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                         GeluApproximation approximation = GeluApproximation::kNone);
Tensor SoftmaxUnfused(const Tensor& x, int64_t dim = -1);  // Softmax (activations.h) is fused
// LayerNormalize (transformers.h) is fused; this is mean, centre, variance, scale and shift.
Tensor LayerNormalizeUnfused(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             double eps = 1e-5);

}  // namespace tinytorch
