// Module 17: every rung of the matmul ladder and every SIMD level against the naive reference on
// awkward sizes and strided operands, the threaded kernel at several thread counts, the raw GEMM,
// fused operators against their unfused compositions (values and gradients), and the policies of
// the default GEMM: when the BLAS computes right, and that a measured default is measured once.
#include "tinytorch/acceleration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "perf_framework/blas.h"
#include "support/acceleration_testing.h"
#include "support/tensor_testing.h"
#include "tinytorch/transformers.h"

namespace tinytorch {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

using testing::ScopedSimdLevel;
using testing::ScopedThreads;
using testing::SupportedSimdLevels;

// (m, n, k) built from the awkward sizes 1, 7, 33, 257, 1000: every micro-kernel edge case
// (single row/column, partial strips, more than one k slice) with the naive oracle still cheap.
// c of 2 to 4 rows take the small-batch kernels, which read b's strips in place; 32 × 10 and
// 40 × 128 take AVX-512's 8 × 16 and 8 × 32 tiles.
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes = {
    {1, 1, 1},     {7, 7, 7},      {33, 33, 33},  {1, 1000, 7},    {1000, 1, 33},
    {7, 33, 1000}, {257, 33, 257}, {33, 257, 7},  {257, 257, 257}, {1000, 33, 33},
    {2, 300, 257}, {3, 129, 33},   {4, 64, 1000}, {32, 10, 64},    {40, 128, 64}};

void ExpectMatchesNaive(MatMulBackend backend, const char* context) {
  Generator gen(17);
  for (const auto& [m, n, k] : kShapes) {
    const Tensor a = Tensor::RandN({m, k}, gen), b = Tensor::RandN({k, n}, gen);
    const Tensor ref = MatMul(a, b, MatMulBackend::kNaive);
    // Float sums of k products of N(0,1) values: the rounding error grows like √k.
    const double atol = 2e-6 * static_cast<double>(k);
    SCOPED_TRACE(::testing::Message() << context << " " << MatMulBackendName(backend) << " m=" << m
                                      << " n=" << n << " k=" << k);
    EXPECT_TENSOR_CLOSE(MatMul(a, b, backend), ref, 1e-5, atol);
    // Transposed and sliced views reach the kernels as strided operands.
    const Tensor at = a.Transpose(0, 1).Contiguous().Transpose(0, 1);
    const Tensor bt = b.Transpose(0, 1).Contiguous().Transpose(0, 1);
    EXPECT_TENSOR_CLOSE(MatMul(at, bt, backend), ref, 1e-5, atol);
    // Rows of b further apart than its width: the columns of a wider matrix.
    std::vector<float> wide(static_cast<size_t>(k * (n + 5)), 1e30f);
    for (int64_t p = 0; p < k; ++p) {
      std::copy_n(b.data<float>() + p * n, n, wide.begin() + p * (n + 5));
    }
    const Tensor bs = Tensor::FromData(wide, {k, n + 5}).Slice(1, 0, n);
    EXPECT_TENSOR_CLOSE(MatMul(a, bs, backend), ref, 1e-5, atol);
  }
}

TEST(AccelerationTest, EveryBackendMatchesNaiveOnAwkwardSizes) {
  for (MatMulBackend backend : kAllMatMulBackends) ExpectMatchesNaive(backend, "default level");
}

TEST(AccelerationTest, EverySupportedSimdLevelMatchesNaive) {
  for (SimdLevel level : SupportedSimdLevels()) {
    const ScopedSimdLevel scoped(level);
    ExpectMatchesNaive(MatMulBackend::kSimd, SimdLevelName(level));
  }
}

TEST(AccelerationTest, ThreadedMatchesNaiveAtSeveralThreadCounts) {
  for (int threads : {1, 2, 3, 5}) {
    const ScopedThreads scoped(threads);
    ExpectMatchesNaive(MatMulBackend::kThreaded, ("threads=" + std::to_string(threads)).c_str());
  }
  // Wide and short (split by columns) as well as tall (split by rows), above the threading
  // threshold.
  const ScopedThreads scoped(3);
  Generator gen(3);
  const Tensor wide_a = Tensor::RandN({20, 300}, gen), wide_b = Tensor::RandN({300, 1000}, gen);
  EXPECT_TENSOR_CLOSE(MatMul(wide_a, wide_b, MatMulBackend::kThreaded),
                      MatMul(wide_a, wide_b, MatMulBackend::kNaive), 1e-5, 1e-3);
}

TEST(AccelerationTest, BatchedAndVectorOperandsWorkOnEveryBackend) {
  Generator gen(4);
  const Tensor a = Tensor::RandN({3, 5, 9}, gen), b = Tensor::RandN({9, 6}, gen);
  const Tensor v = Tensor::RandN({9}, gen);
  for (MatMulBackend backend : kAllMatMulBackends) {
    EXPECT_TENSOR_CLOSE(MatMul(a, b, backend), MatMul(a, b, MatMulBackend::kNaive), 1e-5, 1e-5);
    EXPECT_TENSOR_CLOSE(MatMul(a, v, backend), MatMul(a, v, MatMulBackend::kNaive), 1e-5, 1e-5);
    EXPECT_EQ(MatMul(Tensor::Zeros({4, 0}), Tensor::Zeros({0, 3}), backend).Sum().item(), 0.f);
  }
}

TEST(AccelerationTest, RawGemmEqualsTensorMatMul) {
  Generator gen(5);
  const Tensor a = Tensor::RandN({37, 41}, gen), b = Tensor::RandN({41, 29}, gen);
  for (MatMulBackend backend : kAllMatMulBackends) {
    Tensor c = Tensor::Full({37, 29}, 99.f);  // overwritten, not accumulated into
    Gemm(backend, c.data<float>(), a.data<float>(), b.data<float>(), 37, 29, 41);
    EXPECT_TENSOR_CLOSE(c, MatMul(a, b, backend), 0, 0) << MatMulBackendName(backend);
  }
  EXPECT_THAT([] { Gemm(MatMulBackend::kSimd, nullptr, nullptr, nullptr, -1, 2, 2); },
              ThrowsMessage<Error>(HasSubstr("Gemm: negative size (m=-1")));
}

// count floats whose last one ends a readable page, the next page unmapped: a kernel that reads
// or writes past the end of an operand faults here, where an over-read inside a heap block (a
// vector load of a partial strip) would go unseen.
class GuardedFloats {
 public:
  explicit GuardedFloats(int64_t count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = static_cast<size_t>(count) * sizeof(float);
    size_ = (bytes + page - 1) / page * page + page;
    base_ = static_cast<char*>(
        mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED || mprotect(base_ + size_ - page, page, PROT_NONE) != 0) {
      throw std::runtime_error("GuardedFloats: cannot map a guard page");
    }
    data_ = reinterpret_cast<float*>(base_ + size_ - page - bytes);
  }
  ~GuardedFloats() { munmap(base_, size_); }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  float* data() { return data_; }

 private:
  char* base_;
  size_t size_;
  float* data_;
};

TEST(AccelerationTest, GemmTouchesNothingPastItsOperands) {
  Generator gen(6);
  for (SimdLevel level : SupportedSimdLevels()) {
    const ScopedSimdLevel scoped(level);
    for (const auto& [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {1, 10, 64}, {3, 70, 9}, {7, 7, 7}, {32, 10, 64}, {40, 129, 33}, {200, 33, 17}}) {
      const Tensor a = Tensor::RandN({m, k}, gen), b = Tensor::RandN({k, n}, gen);
      GuardedFloats ga(m * k), gb(k * n), gc(m * n);
      std::copy_n(a.data<float>(), m * k, ga.data());
      std::copy_n(b.data<float>(), k * n, gb.data());
      for (MatMulBackend backend : kAllMatMulBackends) {
        SCOPED_TRACE(::testing::Message()
                     << SimdLevelName(level) << " " << MatMulBackendName(backend) << " m=" << m
                     << " n=" << n << " k=" << k);
        Gemm(backend, gc.data(), ga.data(), gb.data(), m, n, k);
        EXPECT_TENSOR_CLOSE(
            Tensor::FromData(std::vector<float>(gc.data(), gc.data() + m * n), {m, n}),
            MatMul(a, b, MatMulBackend::kNaive), 1e-5, 2e-6 * k);
      }
    }
  }
}

TEST(AccelerationTest, KnobsValidateTheirArguments) {
  EXPECT_EQ(ActiveSimdLevel(), DetectedSimdLevel());
  EXPECT_THAT([] { SetNumThreads(0); },
              ThrowsMessage<Error>(HasSubstr("SetNumThreads: threads 0 must be at least 1")));
  EXPECT_STREQ(SimdLevelName(SimdLevel::kAvx512), "avx512");
  EXPECT_STREQ(MatMulBackendName(MatMulBackend::kThreaded), "threaded");
  if (DetectedSimdLevel() != SimdLevel::kAvx512) {
    EXPECT_THAT([] { SetSimdLevel(SimdLevel::kAvx512); },
                ThrowsMessage<Error>(HasSubstr("this CPU does not support avx512")));
  }
}

// What `tinyperf env --verify-blas` calls a kernel that computes right: within 1e-4 of the naive
// GEMM, and never a NaN (which compares false with everything).
TEST(AccelerationTest, BlasComputesRightWithinItsTolerance) {
  EXPECT_TRUE(BlasComputesRight(0));
  EXPECT_TRUE(BlasComputesRight(1e-4));
  EXPECT_FALSE(BlasComputesRight(2e-4));
  EXPECT_FALSE(BlasComputesRight(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(BlasComputesRight(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(BlasComputesRight(BlasMaxRelativeError())) << "this process's OpenBLAS";
}

// CPU seconds this thread and the whole process spent in f.
struct CpuSeconds {
  double thread = 0, process = 0;
};
CpuSeconds CpuTimeOf(const std::function<void()>& f) {
  const auto now = [](clockid_t clock) {
    timespec t{};
    ::clock_gettime(clock, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const double thread = now(CLOCK_THREAD_CPUTIME_ID), process = now(CLOCK_PROCESS_CPUTIME_ID);
  f();
  return {now(CLOCK_THREAD_CPUTIME_ID) - thread, now(CLOCK_PROCESS_CPUTIME_ID) - process};
}

// Under the crossover OpenBLAS computes on the calling thread alone, so the process spends no
// more CPU than that thread; with its own rule, its threads share a 512³ product (the control
// that shows the measure sees them). OpenBLAS's thread count is put back afterwards.
TEST(AccelerationTest, OpenBlasRunsOnOneThreadUnderTheCrossover) {
  const int threads = perf::ProbeBlas({}).threads;
  if (threads < 2) GTEST_SKIP() << "OpenBLAS runs " << threads << " thread(s) here";
  Generator gen(9);
  const Tensor a = Tensor::RandN({512, 512}, gen), b = Tensor::RandN({512, 512}, gen);
  const auto products = [&] {
    for (int i = 0; i < 8; ++i) MatMul(a, b, MatMulBackend::kOpenBlas);
  };
  const int64_t before = SetOpenBlasSerialBelow(int64_t{1} << 40);
  // Idle OpenBLAS and pool threads spin at most 2^28 cycles (0.1 s) before they sleep.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const CpuSeconds one = CpuTimeOf(products);
  SetOpenBlasSerialBelow(0);
  const CpuSeconds own = CpuTimeOf(products);
  SetOpenBlasSerialBelow(before);
  EXPECT_LT(one.process, 1.1 * one.thread) << "thread " << one.thread << " s";
  EXPECT_GT(own.process, 1.2 * own.thread) << "thread " << own.thread << " s";
  EXPECT_EQ(perf::ProbeBlas({}).threads, threads);
  EXPECT_THAT(
      [] { SetOpenBlasSerialBelow(-1); },
      ThrowsMessage<Error>(HasSubstr("SetOpenBlasSerialBelow: work -1 must be at least 0")));
}

// `tinyperf env --tune`: a default that is a measurement already is not measured again.
TEST(AccelerationTest, TuneUnlessMeasuredMeasuresOnce) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tt-tune-test-" + std::to_string(::getpid()));
  ::setenv("TT_CACHE_DIR", dir.c_str(), 1);
  ::unsetenv("TT_MATMUL_BACKEND");  // an override keeps a tune out of the default
  const MatMulChoice first = TuneMatMulUnlessMeasured();
  EXPECT_FALSE(first.measurements_json.empty()) << first.source;
  EXPECT_EQ(first.source, DefaultMatMulChoice().source);
  std::filesystem::remove(MatMulCachePath());
  const MatMulChoice again = TuneMatMulUnlessMeasured();
  EXPECT_FALSE(std::filesystem::exists(MatMulCachePath())) << "measured a second time";
  EXPECT_EQ(again.source, first.source);
  std::filesystem::remove_all(dir);
}

TEST(AccelerationTest, FusedLinearGeluEqualsUnfusedComposition) {
  Generator gen(6);
  const Tensor x = Tensor::RandN({4, 7, 33}, gen), w = Tensor::RandN({33, 65}, gen, 0.f, 0.2f);
  const Tensor b = Tensor::RandN({65}, gen);
  for (GeluApproximation approx : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    // Same arithmetic in the same order: bit-identical.
    EXPECT_TENSOR_CLOSE(LinearGelu(x, w, b, approx), LinearGeluUnfused(x, w, b, approx), 0, 0);
  }
  EXPECT_THAT([&] { LinearGelu(x, w, Tensor::Zeros({64})); },
              ThrowsMessage<Error>(HasSubstr("LinearGelu: weight [33, 65] must be (in, out) and "
                                             "bias [64] (out)")));
}

TEST(AccelerationTest, FusedLinearGeluRecordsExactGradientsWhenTraining) {
  Generator gen(7);
  Tensor x = Tensor::RandN({5, 8}, gen).set_requires_grad(true);
  Tensor w = Tensor::RandN({8, 3}, gen).set_requires_grad(true);
  Tensor b = Tensor::RandN({3}, gen).set_requires_grad(true);
  LinearGelu(x, w, b).Sum().Backward();
  const Tensor gx = x.grad(), gw = w.grad(), gb = b.grad();
  x.ZeroGrad();
  w.ZeroGrad();
  b.ZeroGrad();
  LinearGeluUnfused(x, w, b).Sum().Backward();
  EXPECT_TENSOR_CLOSE(gx, x.grad(), 0, 0);
  EXPECT_TENSOR_CLOSE(gw, w.grad(), 0, 0);
  EXPECT_TENSOR_CLOSE(gb, b.grad(), 0, 0);
}

TEST(AccelerationTest, FusedSoftmaxAndLayerNormMatchUnfused) {
  Generator gen(8);
  const Tensor x = Tensor::RandN({6, 5, 40}, gen, 1.f, 3.f);
  for (int64_t dim : {-1, 1, 0}) {
    EXPECT_TENSOR_CLOSE(Softmax(x, dim), SoftmaxUnfused(x, dim), 1e-5, 1e-7);
  }
  const Tensor w = Tensor::RandN({40}, gen), b = Tensor::RandN({40}, gen);
  EXPECT_TENSOR_CLOSE(LayerNormalize(x, w, b), LayerNormalizeUnfused(x, w, b), 1e-4, 1e-5);
}

}  // namespace
}  // namespace tinytorch
