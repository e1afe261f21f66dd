// Single-precision GEMM kernels: c = a @ b. The naive kernel is the oracle for every fast one.
// Module 17's ladder climbs from it: loop reordering, cache tiling, packed SIMD micro-kernels,
// threads. Every kernel takes the same arguments, so the tests sweep them all the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/cpu.h"
#include "tinytorch/tensor.h"

namespace tinytorch::kernels {

// A read-only matrix operand: element (i, j) is at data[i * row_stride + j * col_stride], so
// transposed and sliced views are passed without copying.
struct MatrixRef {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

// c is (m, n) row-major packed; a is (m, k); b is (k, n). c is overwritten.
void GemmNaive(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
void GemmReordered(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
void GemmBlocked(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
// Packed panels and a register-blocked micro-kernel for ActiveSimdLevel() (kScalar is the
// reference).
void GemmSimd(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
void GemmSimdIsa(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                 SimdLevel isa);
// The packed layout of b the micro-kernels read: rows [p0, p0 + kc) and columns [j0, j0 + cols)
// of b as ceil(cols / nr) strips, strip s holding kc groups of the nr values b[p, j0 + s·nr + j],
// zero beyond the last column.
void PackB(float* out, MatrixRef b, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr);
// Fills one panel of an implicit b in PackB's layout, with PackB's arguments after out.
using PanelFn =
    std::function<void(float* out, int64_t p0, int64_t kc, int64_t j0, int64_t cols, int64_t nr)>;
// GemmSimdIsa on a b that is never stored: pack_b writes each panel straight from its source (a
// convolution packs its input image, skipping the im2col matrix and one pass over it).
void GemmSimdPanels(float* c, MatrixRef a, const PanelFn& pack_b, int64_t m, int64_t n, int64_t k,
                    SimdLevel isa);
// a packed once for GemmSimdIsa products with many b of up to n columns (n picks the
// micro-kernel): Winograd's 16 transformed weights meet every block of tiles of every image.
struct PackedA {
  int64_t m = 0, k = 0, n = 0;
  SimdLevel isa = SimdLevel::kScalar;
  std::vector<float> data;
};
PackedA PackGemmA(MatrixRef a, int64_t m, int64_t k, int64_t n, SimdLevel isa);
// c (a.m, n) = a @ b; n may be smaller than the n a was packed for.
void GemmSimdPackedA(float* c, const PackedA& a, MatrixRef b, int64_t n);
// GemmSimd on row bands of c, one per thread.
void GemmThreaded(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
void GemmOpenBlas(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k);
// GemmOpenBlas on one thread, or with OpenBLAS's own rule (threads above a size compiled in),
// whatever the size: the two sides of TuneMatMul's crossover race.
void GemmOpenBlasOn(float* c, MatrixRef a, MatrixRef b, int64_t m, int64_t n, int64_t k,
                    bool one_thread);
// GemmOpenBlas runs products of fewer than `work` multiply-adds (m·n·k) on one thread; 0 leaves
// every size to OpenBLAS's own rule. Set from MatMulChoice::openblas_serial_below.
void SetOpenBlasSerialBelow(int64_t work);
int64_t OpenBlasSerialBelow();
int OpenBlasThreads();  // OpenBLAS's configured thread count (OPENBLAS_NUM_THREADS, else the CPUs)

using GemmFn = void (*)(float*, MatrixRef, MatrixRef, int64_t, int64_t, int64_t);
GemmFn GemmFor(MatMulBackend backend);  // throws on an unknown backend

}  // namespace tinytorch::kernels
