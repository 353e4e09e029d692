//===- LinalgBuilders.h - building blocks of the lathe lowering -*- C++ -*-===//
//
// Shared by the per-group lowering patterns: elementwise generics with numpy
// broadcasting, filled tensors, reshapes between static shapes, scalar
// constants of any element type.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_LATHETOLINALG_LINALGBUILDERS_H
#define LATHE_PASSES_LATHETOLINALG_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace lathe {

using ScalarBody =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// Map from the iteration space of a result of shape `resultShape` to an
/// operand of shape `operandShape` under numpy broadcasting: trailing dims
/// align, size-1 dims of the operand read index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *context, llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

/// A linalg.generic computing `resultType` elementwise from `operands`
/// (each broadcast to the result); `body` maps their scalars to the result's.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType, mlir::ValueRange operands,
                             ScalarBody body);

/// A scalar of `type` (float or integer) holding `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double value);

/// The smallest and largest value of a float or integer type (-inf/+inf for
/// floats): the identities of max and min reductions.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type);

/// A tensor of `type` with every element `value`.
mlir::Value buildFilled(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                        mlir::Value value);

/// The same elements under another static shape (collapse, then expand).
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                         llvm::ArrayRef<int64_t> shape);

/// Pads `input` by `low`/`high` elements per dim with `value`.
mlir::Value buildPad(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                     llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high, mlir::Value value);

/// An index read from data (any integer type, or index): a negative one
/// counts from the end, and the result is clamped into [0, extent), so bad
/// data cannot read or write outside a buffer.
mlir::Value clampedIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, int64_t extent);

/// max(x, y) and min(x, y) for the element type `type` carries (float:
/// NaN-propagating; integers: signed or unsigned as `type` says).
mlir::Value buildMax(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, mlir::Value x,
                     mlir::Value y);
mlir::Value buildMin(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, mlir::Value x,
                     mlir::Value y);

/// The sum of a float tensor over `axes`, kept as size-1 dims (the sum is
/// written without them, so the reduction stays tileable); `count` gets the
/// number of elements summed into each result.
mlir::Value buildKeptSum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         llvm::ArrayRef<int64_t> axes, int64_t &count);

bool isFloatLike(mlir::Type type);
bool isUnsignedInt(mlir::Type type);

} // namespace lathe

#endif // LATHE_PASSES_LATHETOLINALG_LINALGBUILDERS_H
