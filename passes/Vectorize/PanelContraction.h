//===- PanelContraction.h - matmuls that read a packed operand -*- C++ -*-===//
//
// lathe-pack-weights lays a constant matmul operand out in column
// panels and the lowering reads it at (n floordiv tile, k..., n mod tile).
// Kernel formation tiles such a contraction one panel wide and a block of
// rows high, and the vectorizer turns each tile into a register tile; both
// recognize it here.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_VECTORIZE_PANELCONTRACTION_H
#define LATHE_PASSES_VECTORIZE_PANELCONTRACTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace lathe {

/// out[..., m, n] += a[..., m, k...] * panels[n floordiv tile, k..., n mod tile]
/// on f32 (or with i8 panels converted to f32): the loop n is innermost and parallel; `rowLoop` is the innermost
/// parallel loop other than n, which the row tiles block.
struct PanelContraction {
  int64_t panelOperand; // the input read in panels (the other one is `a`)
  int64_t columnLoop;   // n
  int64_t rowLoop;      // m
  int64_t tile;         // columns per panel
  /// `a` is read along the columns too (a vector per row, not one element
  /// broadcast): the channelwise form below.
  bool vectorA = false;
  /// The panels hold i8, read as their values in float (weight-only
  /// quantization; the scales multiply the result after the reduction).
  bool integerPanel = false;
};

std::optional<PanelContraction> matchPanelContraction(mlir::linalg::LinalgOp op);

/// The rows of the register tile for `rows` rows of a contraction, at most
/// `maxRows` (what the vector registers hold): the count whose whole tiles
/// and rows left over (run one at a time, each reloading the panel row)
/// cost least; 56 output pixels take 7 tiles of 8 rather than 9 of 6 and 2
/// alone. Kernel formation blocks rows by it and the vectorizer tiles them.
int64_t registerRowsFor(int64_t rows, int64_t maxRows);

/// Whether the last dim of a memref is contiguous (the register tiles load
/// and store whole vectors along it).
bool unitInnerStride(mlir::Value memref);

/// out[..., m, c] += a[..., f(m, k...), c] * w[k..., c] on f32, c innermost
/// and parallel (a depthwise convolution: each channel its own filter): the
/// register tile of a panel contraction with c as its columns, `w` as the
/// panel (no packing needed: its rows are contiguous in c) and `a` read as a
/// vector per row. `tile` is left 0 for the vectorizer to choose.
std::optional<PanelContraction> matchChannelwiseContraction(mlir::linalg::LinalgOp op);

} // namespace lathe

#endif // LATHE_PASSES_VECTORIZE_PANELCONTRACTION_H
