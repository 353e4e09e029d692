//===- WinogradMatrices.h - Winograd's F(2x2, 3x3) and F(4x4, 3x3) -*- C++ -*-===//
//
// Lavin and Gray's minimal filtering: an m x m output tile of a 3x3
// convolution is A^T [(G g G^T) . (B^T d B)] A for the (m+2) x (m+2) input
// tile d and filter g. lathe-winograd-convolutions transforms the filters
// with G at compile time; the lowering of lathe.winograd_input and
// lathe.winograd_output applies B^T and A^T. F(4x4) (points 0, +-1, +-2,
// infinity) spends 36 multiplications per 16 outputs and channel pair, a
// quarter of the direct form's, and keeps fp32's error near 1e-5 of the
// output's range; F(2x2) spends 16 per 4 outputs, and its transformed
// filters are 16 per channel pair instead of 36. F(6x6) would need points
// 1/2 and 3 and lose about ten times more precision.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_WINOGRADMATRICES_H
#define LATHE_PASSES_WINOGRADMATRICES_H

#include <cstdint>

namespace lathe::winograd {

inline constexpr int kKernel = 3;

/// One F(m x m, 3 x 3): row-major B^T (tile x tile), G (tile x 3) and A^T
/// (m x tile), tile = m + 2.
struct Algorithm {
  int output;
  int tile;
  const double *bt;
  const double *g;
  const double *at;
};

inline constexpr double kBt2[] = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
inline constexpr double kG2[] = {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1};
inline constexpr double kAt2[] = {1, 1, 1, 0, 0, 1, -1, -1};

inline constexpr double kBt4[] = {4, 0, -5, 0, 1, 0,  0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
                                  0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1};
inline constexpr double kG4[] = {1.0 / 4,  0,         0,        -1.0 / 6, -1.0 / 6, -1.0 / 6,
                                 -1.0 / 6, 1.0 / 6,   -1.0 / 6, 1.0 / 24, 1.0 / 12, 1.0 / 6,
                                 1.0 / 24, -1.0 / 12, 1.0 / 6,  0,        0,        1};
inline constexpr double kAt4[] = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2,  -2, 0,
                                  0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1};

inline constexpr Algorithm kF2{2, 4, kBt2, kG2, kAt2};
inline constexpr Algorithm kF4{4, 6, kBt4, kG4, kAt4};

/// F(output x output, 3 x 3), or none for an output tile lathe has no
/// matrices for.
inline const Algorithm *algorithmFor(int64_t output) {
  return output == 2 ? &kF2 : output == 4 ? &kF4 : nullptr;
}

} // namespace lathe::winograd

#endif // LATHE_PASSES_WINOGRADMATRICES_H
