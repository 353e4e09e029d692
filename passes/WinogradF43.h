//===- WinogradF43.h - the matrices of Winograd's F(4x4, 3x3) ----*- C++ -*-===//
//
// Lavin and Gray's minimal filtering with interpolation points 0, +-1, +-2
// and infinity: a 4x4 output tile of a 3x3 convolution is
// A^T [(G g G^T) . (B^T d B)] A for the 6x6 input tile d and filter g.
// lathe-winograd-convolutions transforms the filters with G at compile time;
// the lowering of lathe.winograd_input and lathe.winograd_output applies B^T
// and A^T. These points keep fp32's error near 1e-5 of the output's range
// (F(6x6, 3x3) needs points of 1/2 and 3, and loses about ten times more).
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_WINOGRADF43_H
#define LATHE_PASSES_WINOGRADF43_H

namespace lathe::winograd {

inline constexpr int kTile = 6;   // input tile (and transformed tile) side
inline constexpr int kOutput = 4; // output tile side
inline constexpr int kKernel = 3;

inline constexpr double kBt[kTile][kTile] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};

inline constexpr double kG[kTile][kKernel] = {
    {1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

inline constexpr double kAt[kOutput][kTile] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

} // namespace lathe::winograd

#endif // LATHE_PASSES_WINOGRADF43_H
