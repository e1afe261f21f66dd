// Winograd F(2×2, 3×3) for module 09's 3×3, stride-1 convolutions (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). Each 2×2 block of outputs (a tile) is
//   Y = Aᵀ [ Σ_c (G g_{o,c} Gᵀ) ⊙ (Bᵀ d_{c,tile} B) ] A
// with d the tile's 4×4 input patch: 16 multiplications per tile and channel pair instead of 36,
// so the work is 16 GEMMs M_ξ (O × tiles) = U_ξ (O × C) · V_ξ (C × tiles), one per position ξ of
// the 4×4 transformed tile, 2.25× fewer FMAs than the direct (im2col) GEMM. The transforms are
// additions only (G's halves are exact in binary), done across a row of tiles at a time so they
// vectorise: an input row is split into its even and odd elements once, after which every
// transform output is a contiguous sum of shifted rows.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "convolution_internal.h"
#include "kernels/gemm.h"
#include "kernels/lanes.h"

namespace tinytorch::internal {

namespace {

constexpr int64_t kTileBlock = 96;  // tiles per GEMM block: V and M stay in L2 (0.6 MB at 32→64)

// 16 tiles' worth of one transform value, as one vector (two or four on narrower ISAs).
using Lanes = float __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;

Lanes Load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void Store(float* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// Rows of tiles per GEMM block: about kTileBlock tiles, and no more rows than the image has (sized
// for a whole block, an 8x8 digit's 16 -> 32 layer zero-filled 200 KB of V and M per call for its
// 4 tiles, a third of the CNN's time).
int64_t BlockRows(const Geometry& g) {
  return std::min(std::max<int64_t>(1, kTileBlock / ((g.wo + 1) / 2)), (g.ho + 1) / 2);
}

}  // namespace

bool WinogradPays(const Geometry& g, int64_t out_channels) {
  // Below 16 channels either way the transforms cost more than the FMAs they save. Below 10
  // output columns (5 tiles a row) the 16-lane transforms run mostly empty: at batch 16 on a Zen 5,
  // 4 columns took 1.5-2.7× the packed GEMM's time and 8 columns 0.7-1.4×, 10 to 14 columns
  // 0.33-0.87× (16 → 64 channels).
  return g.kh == 3 && g.kw == 3 && g.stride == 1 && g.c >= 16 && out_channels >= 16 && g.ho >= 4 &&
         g.wo >= 10;
}

// A block of channels at a time, each of its 16 rows of U then written whole: written one value
// at a time, the 16 rows of U are 16 streams O·C floats apart, a multiple of 4 KB at 32 or more
// channels, so they share one L1 set, and each store missed (58% of a 32 → 64 layer on 8×8).
void WinogradWeights(float* u, const float* w, int64_t out_channels, int64_t channels) {
  constexpr int64_t kBlock = 16;
  float block[16][kBlock];
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t c0 = 0; c0 < channels; c0 += kBlock) {
      const int64_t width = std::min(kBlock, channels - c0);
      for (int64_t i = 0; i < width; ++i) {
        const float* g = w + (o * channels + c0 + i) * 9;
        float t[4][3];  // G g: rows g0, (g0 + g1 + g2) / 2, (g0 − g1 + g2) / 2, g2 of each column
        for (int j = 0; j < 3; ++j) {
          t[0][j] = g[j];
          t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
          t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
          t[3][j] = g[6 + j];
        }
        for (int p = 0; p < 4; ++p) {  // (G g) Gᵀ
          block[p * 4 + 0][i] = t[p][0];
          block[p * 4 + 1][i] = 0.5f * (t[p][0] + t[p][1] + t[p][2]);
          block[p * 4 + 2][i] = 0.5f * (t[p][0] - t[p][1] + t[p][2]);
          block[p * 4 + 3][i] = t[p][2];
        }
      }
      for (int xi = 0; xi < 16; ++xi) {
        float* row = u + (xi * out_channels + o) * channels + c0;
        if (width == kBlock) {
          std::memcpy(row, block[xi], sizeof block[xi]);  // a known size: no call
        } else {
          std::copy_n(block[xi], width, row);
        }
      }
    }
  }
}

// The tiles in a block as the scratch cuts them. Counted for a full kTileBlock, U for a 16×16
// image (64 tiles a block) was packed for 96, which picked the 8 × 48 tile and padded every GEMM
// to 96 columns.
int64_t WinogradBlockTiles(const Geometry& g) { return BlockRows(g) * ((g.wo + 1) / 2); }

// Rows of the padded planes and of V and M are padded by a vector, so a chunk of 16 tiles that
// runs past the last one reads zeros or other tiles' values and writes only into the padding or
// into values written later: no masked tail.
WinogradScratch::WinogradScratch(const Geometry& g, int64_t channels_out)
    : image(g),
      out_channels(channels_out),
      tiles_wide((g.wo + 1) / 2),
      tiles_high((g.ho + 1) / 2),
      rows_per_block(BlockRows(g)),
      half(kernels::RoundUp(tiles_wide, kLanes) + kLanes),
      even(static_cast<size_t>(g.c * (2 * tiles_high + 2) * half)),
      odd(even.size()),
      padded_row(static_cast<size_t>(2 * half), 0.f),
      v(static_cast<size_t>(16 * g.c * (rows_per_block * tiles_wide + kLanes))),
      m(static_cast<size_t>(16 * channels_out * rows_per_block * tiles_wide + kLanes)) {}

WinogradScratch& WinogradScratch::ForThisThread(const Geometry& g, int64_t out_channels) {
  // A pointer rather than std::optional, whose emplace GCC 12 warns may read uninitialized vectors.
  thread_local std::unique_ptr<WinogradScratch> scratch;
  Geometry image = g;
  image.n = 1;
  if (!scratch || scratch->image != image || scratch->out_channels != out_channels) {
    scratch.reset();  // before the new one is built: never both at once
    scratch = std::make_unique<WinogradScratch>(image, out_channels);
  }
  return *scratch;
}

void WinogradConvolve(float* y, const float* x, const kernels::PackedA* u, const float* bias,
                      const Geometry& g, int64_t out_channels, WinogradScratch& s) {
  const int64_t tw = s.tiles_wide, rows = 2 * s.tiles_high + 2, half = s.half;
  // The zero-padded image split by column parity: padded column 2t is even[t], 2t + 1 is odd[t].
  // Each image rewrites the same elements (rows and columns inside the input); the padding around
  // them is zero from the scratch's construction and never written.
  std::vector<float>& padded = s.padded_row;
  const int64_t copied = std::min(g.w, 2 * (tw + 1) - g.pad);  // columns of x the tiles read
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t r = g.pad; r < std::min(rows, g.h + g.pad); ++r) {
      const float* src = x + (c * g.h + r - g.pad) * g.w;
      std::copy(src, src + copied, padded.begin() + g.pad);
      float* e = s.even.data() + (c * rows + r) * half;
      float* o = s.odd.data() + (c * rows + r) * half;
      for (int64_t t = 0; t <= tw; ++t) {
        e[t] = padded[2 * t];
        o[t] = padded[2 * t + 1];
      }
    }
  }
  for (int64_t ty0 = 0; ty0 < s.tiles_high; ty0 += s.rows_per_block) {
    const int64_t block_rows = std::min(s.rows_per_block, s.tiles_high - ty0);
    const int64_t n = block_rows * tw, ldv = n + kLanes;  // tiles in this block; V's row stride
    // V_ξ[c][tile] = (Bᵀ d B)[ξ], with Bᵀ d = (d0 − d2, d1 + d2, d2 − d1, d1 − d3) on rows and
    // columns alike; across tiles, d0..d3 of a row are even[t], odd[t], even[t + 1], odd[t + 1].
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t b = 0; b < block_rows; ++b) {
        const int64_t r0 = 2 * (ty0 + b);
        for (int64_t t0 = 0; t0 < tw; t0 += kLanes) {
          Lanes h[4][4];  // h[i][q]: input row r0 + i, column transform q
          for (int i = 0; i < 4; ++i) {
            const float* e = s.even.data() + (c * rows + r0 + i) * half + t0;
            const float* o = s.odd.data() + (c * rows + r0 + i) * half + t0;
            const Lanes e0 = Load(e), e1 = Load(e + 1), o0 = Load(o), o1 = Load(o + 1);
            h[i][0] = e0 - e1;
            h[i][1] = o0 + e1;
            h[i][2] = e1 - o0;
            h[i][3] = o0 - o1;
          }
          for (int q = 0; q < 4; ++q) {
            const Lanes rows_of_q[4] = {h[0][q] - h[2][q], h[1][q] + h[2][q], h[2][q] - h[1][q],
                                        h[1][q] - h[3][q]};
            for (int p = 0; p < 4; ++p)
              Store(s.v.data() + ((p * 4 + q) * g.c + c) * ldv + b * tw + t0, rows_of_q[p]);
          }
        }
      }
    }
    for (int xi = 0; xi < 16; ++xi) {
      kernels::GemmSimdPackedA(s.m.data() + xi * out_channels * n, u[xi],
                               {s.v.data() + xi * g.c * ldv, ldv, 1}, n);
    }
    // Y = Aᵀ M A, with Aᵀ m = (m0 + m1 + m2, m1 − m2 − m3) on rows and columns alike: the four
    // outputs of 16 tiles at a time, interleaved into the two output rows.
    for (int64_t o = 0; o < out_channels; ++o) {
      const float add = bias != nullptr ? bias[o] : 0.f;
      for (int64_t b = 0; b < block_rows; ++b) {
        const int64_t oy = 2 * (ty0 + b);
        for (int64_t t0 = 0; t0 < tw; t0 += kLanes) {
          Lanes mm[16];
          for (int xi = 0; xi < 16; ++xi)
            mm[xi] = Load(s.m.data() + (xi * out_channels + o) * n + b * tw + t0);
          Lanes s0[4], s1[4];  // Aᵀ M down each column q
          for (int q = 0; q < 4; ++q) {
            s0[q] = mm[q] + mm[4 + q] + mm[8 + q];
            s1[q] = mm[4 + q] - mm[8 + q] - mm[12 + q];
          }
          const Lanes out[2][2] = {{s0[0] + s0[1] + s0[2] + add, s0[1] - s0[2] - s0[3] + add},
                                   {s1[0] + s1[1] + s1[2] + add, s1[1] - s1[2] - s1[3] + add}};
          // An odd height or width leaves the last tile's second row or column outside y.
          const int64_t width = std::min(2 * kLanes, g.wo - 2 * t0);
          for (int a = 0; a < 2 && oy + a < g.ho; ++a) {
            const Lanes lo = __builtin_shufflevector(out[a][0], out[a][1], 0, 16, 1, 17, 2, 18, 3,
                                                     19, 4, 20, 5, 21, 6, 22, 7, 23);
            const Lanes hi = __builtin_shufflevector(out[a][0], out[a][1], 8, 24, 9, 25, 10, 26, 11,
                                                     27, 12, 28, 13, 29, 14, 30, 15, 31);
            float* row = y + (o * g.ho + oy + a) * g.wo + 2 * t0;
            if (width == 2 * kLanes) {
              Store(row, lo);
              Store(row + kLanes, hi);
            } else {
              float pair[2 * kLanes];
              Store(pair, lo);
              Store(pair + kLanes, hi);
              std::copy(pair, pair + width, row);
            }
          }
        }
      }
    }
  }
}

}  // namespace tinytorch::internal
