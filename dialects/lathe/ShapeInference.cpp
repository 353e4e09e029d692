//===- ShapeInference.cpp - result types of lathe ops ---------------------===//
//
// Every lathe op computes its result types from operands and attributes. The
// same functions serve three callers: the importer (which infers before it
// creates an op, so bad input never reaches a builder), the verifier (stored
// types must equal inferred ones), and passes that rewrite and re-infer.
// Each rule checks what it relies on and reports the first violation.
//
//===----------------------------------------------------------------------===//
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/SizeLimit.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace lathe;

namespace {

using Types = SmallVectorImpl<Type>;
using OptLoc = std::optional<Location>;

RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

LogicalResult push(Types &types, ArrayRef<int64_t> shape, Type elementType) {
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult checkAxis(OptLoc loc, int64_t axis, int64_t rank, StringRef what = "axis") {
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, what, " ", axis, " is out of range for rank ", rank);
  return success();
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Checks the per-spatial-dim attributes of a convolution or pool over `input`
// (N, C, D1..Dn).
LogicalResult checkSpatialAttrs(OptLoc loc, RankedTensorType input, size_t kernelRank,
                                ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                                ArrayRef<int64_t> pads) {
  if (input.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank >= 3 (N, C, spatial...), got ",
                             input.getRank());
  size_t n = input.getRank() - 2;
  if (kernelRank != n)
    return emitOptionalError(loc, "kernel has ", kernelRank, " spatial dims, input has ", n);
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n)
    return emitOptionalError(loc, "expects ", n, " strides, ", n, " dilations and ", 2 * n,
                             " pads");
  for (size_t i = 0; i < n; ++i) {
    if (strides[i] < 1 || dilations[i] < 1)
      return emitOptionalError(loc, "strides and dilations must be >= 1");
    if (pads[i] < 0 || pads[i + n] < 0)
      return emitOptionalError(loc, "pads must be >= 0");
    if (strides[i] > kMaxExtent || dilations[i] > kMaxExtent || pads[i] > kMaxExtent ||
        pads[i + n] > kMaxExtent)
      return emitOptionalError(loc, "strides, dilations and pads must be at most ", kMaxExtent);
  }
  return success();
}

// Output extent of a window sweep; ceil mode drops a last window that would
// start in the right padding (the rule ONNX Runtime and PyTorch follow).
FailureOr<int64_t> windowOutput(OptLoc loc, int64_t in, int64_t kernel, int64_t stride,
                                int64_t dilation, int64_t padBegin, int64_t padEnd,
                                bool ceilMode) {
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t room = in + padBegin + padEnd - span;
  if (room < 0)
    return emitOptionalError(loc, "window of extent ", span, " does not fit in ", in,
                             " plus padding");
  int64_t out = (ceilMode ? ceilDiv(room, stride) : room / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

LogicalResult inferPoolShape(OptLoc loc, RankedTensorType input, ArrayRef<int64_t> kernel,
                             ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                             ArrayRef<int64_t> pads, bool ceilMode, Types &types) {
  if (failed(checkSpatialAttrs(loc, input, kernel.size(), strides, dilations, pads)))
    return failure();
  size_t n = kernel.size();
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  for (size_t i = 0; i < n; ++i) {
    if (kernel[i] < 1 || kernel[i] > kMaxExtent)
      return emitOptionalError(loc, "kernel_shape entries must be from 1 to ", kMaxExtent);
    FailureOr<int64_t> out = windowOutput(loc, input.getDimSize(i + 2), kernel[i], strides[i],
                                          dilations[i], pads[i], pads[i + n], ceilMode);
    if (failed(out))
      return failure();
    shape.push_back(*out);
  }
  return push(types, shape, input.getElementType());
}

LogicalResult checkSameElementType(OptLoc loc, ValueRange values) {
  Type first = tensorOf(values.front()).getElementType();
  for (Value v : values.drop_front())
    if (tensorOf(v).getElementType() != first)
      return emitOptionalError(loc, "operands must share one element type, got ", first,
                               " and ", tensorOf(v).getElementType());
  return success();
}

LogicalResult checkVector(OptLoc loc, Value v, int64_t size, StringRef name) {
  RankedTensorType t = tensorOf(v);
  if (t.getRank() != 1 || t.getDimSize(0) != size)
    return emitOptionalError(loc, name, " must be a vector of ", size, " elements, got ",
                             shapeString(t.getShape()));
  return success();
}

} // namespace

LogicalResult lathe::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                     SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    result[i] = da == 1 ? db : da;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Class-wide rules
//===----------------------------------------------------------------------===//

LogicalResult lathe::detail::inferWithElementType(Value input, Type elementType, Types &types) {
  return push(types, tensorOf(input).getShape(), elementType);
}

LogicalResult lathe::detail::inferBroadcast(OptLoc loc, ValueRange operands, bool boolResult,
                                     Types &types) {
  SmallVector<int64_t> shape(tensorOf(operands[0]).getShape());
  for (Value v : operands.drop_front()) {
    SmallVector<int64_t> next;
    if (failed(broadcastShapes(shape, tensorOf(v).getShape(), next)))
      return emitOptionalError(loc, "operand shapes ", shapeString(shape), " and ",
                               shapeString(tensorOf(v).getShape()),
                               " are not broadcast-compatible");
    shape = std::move(next);
  }
  Type element = tensorOf(operands[0]).getElementType();
  if (boolResult)
    element = IntegerType::get(element.getContext(), 1);
  return push(types, shape, element);
}

LogicalResult lathe::detail::inferReduce(OptLoc loc, Value input, ArrayRef<int64_t> axes,
                                  bool keepdims, Types &types) {
  RankedTensorType type = tensorOf(input);
  SmallVector<int64_t> shape;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (failed(checkAxis(loc, axis, type.getRank())))
      return failure();
    if (i > 0 && axes[i - 1] >= axis)
      return emitOptionalError(loc, "axes must be sorted and unique");
  }
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(type.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  return push(types, shape, type.getElementType());
}

LogicalResult lathe::detail::inferArgReduce(OptLoc loc, Value input, int64_t axis, bool keepdims,
                                     Types &types) {
  RankedTensorType type = tensorOf(input);
  if (failed(checkAxis(loc, axis, type.getRank())))
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  if (keepdims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  return push(types, shape, IntegerType::get(type.getContext(), 64));
}

LogicalResult lathe::detail::inferSameWithAxis(OptLoc loc, Value input, int64_t axis, Types &types) {
  if (failed(checkAxis(loc, axis, tensorOf(input).getRank())))
    return failure();
  types.push_back(input.getType());
  return success();
}

LogicalResult lathe::detail::inferGlobalPool(OptLoc loc, Value input, Types &types) {
  RankedTensorType type = tensorOf(input);
  if (type.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank >= 3 (N, C, spatial...)");
  SmallVector<int64_t> shape(type.getRank(), 1);
  shape[0] = type.getDimSize(0);
  shape[1] = type.getDimSize(1);
  return push(types, shape, type.getElementType());
}

//===----------------------------------------------------------------------===//
// Op-specific rules
//===----------------------------------------------------------------------===//

#define LATHE_INFER(OP)                                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *context, OptLoc loc, ValueRange operands, \
                                     DictionaryAttr attributes, OpaqueProperties properties, \
                                     RegionRange regions, Types &types)
#define LATHE_ADAPTOR(OP) OP::Adaptor adaptor(operands, attributes, properties, regions)

LATHE_INFER(ConstantOp) {
  LATHE_ADAPTOR(ConstantOp);
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return emitOptionalError(loc, "constant value must be a ranked tensor");
  types.push_back(type);
  return success();
}

LATHE_INFER(CastOp) {
  LATHE_ADAPTOR(CastOp);
  return lathe::detail::inferWithElementType(operands[0], adaptor.getTo(), types);
}

LATHE_INFER(PReluOp) {
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> x = tensorOf(operands[0]).getShape();
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (failed(broadcastShapes(x, tensorOf(operands[1]).getShape(), shape)) ||
      ArrayRef<int64_t>(shape) != x)
    return emitOptionalError(loc, "slope ", shapeString(tensorOf(operands[1]).getShape()),
                             " does not broadcast to the input ", shapeString(x));
  types.push_back(operands[0].getType());
  return success();
}

LATHE_INFER(WhereOp) {
  if (failed(checkSameElementType(loc, operands.drop_front())))
    return failure();
  SmallVector<Type> broadcast;
  if (failed(lathe::detail::inferBroadcast(loc, operands, /*boolResult=*/false, broadcast)))
    return failure();
  return push(types, cast<RankedTensorType>(broadcast[0]).getShape(),
              tensorOf(operands[1]).getElementType());
}

LATHE_INFER(CumSumOp) {
  LATHE_ADAPTOR(CumSumOp);
  return lathe::detail::inferSameWithAxis(loc, operands[0], adaptor.getAxis(), types);
}

/// The numpy matmul shape of a x b: batch dims broadcast, a 1-D operand
/// promoted to a matrix and its dim dropped from the result.
static FailureOr<SmallVector<int64_t>> matmulShape(OptLoc loc, ArrayRef<int64_t> aShape,
                                                   ArrayRef<int64_t> bShape) {
  SmallVector<int64_t> a(aShape), b(bShape);
  if (a.empty() || b.empty())
    return emitOptionalError(loc, "matmul operands must have rank >= 1");
  bool promoteA = a.size() == 1, promoteB = b.size() == 1;
  if (promoteA)
    a.insert(a.begin(), 1);
  if (promoteB)
    b.push_back(1);
  if (a.back() != b[b.size() - 2])
    return emitOptionalError(loc, "contracting dims differ: ", shapeString(a), " x ",
                             shapeString(b));
  SmallVector<int64_t> batch;
  if (failed(broadcastShapes(ArrayRef<int64_t>(a).drop_back(2),
                             ArrayRef<int64_t>(b).drop_back(2), batch)))
    return emitOptionalError(loc, "batch dims of ", shapeString(a), " and ", shapeString(b),
                             " are not broadcast-compatible");
  if (!promoteA)
    batch.push_back(a[a.size() - 2]);
  if (!promoteB)
    batch.push_back(b.back());
  return batch;
}

LATHE_INFER(MatMulOp) {
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  auto shape = matmulShape(loc, tensorOf(operands[0]).getShape(), tensorOf(operands[1]).getShape());
  if (failed(shape))
    return failure();
  return push(types, *shape, tensorOf(operands[0]).getElementType());
}

static bool isByte(Type t) { return t.isInteger(8); }

LATHE_INFER(MatMulIntegerOp) {
  LATHE_ADAPTOR(MatMulIntegerOp);
  RankedTensorType a = tensorOf(adaptor.getLhs()), b = tensorOf(adaptor.getRhs());
  RankedTensorType az = tensorOf(adaptor.getLhsZeroPoint()), bz = tensorOf(adaptor.getRhsZeroPoint());
  if (!isByte(a.getElementType()) || !isByte(b.getElementType()))
    return emitOptionalError(loc, "matmul_integer takes 8-bit integer operands, not ",
                             a.getElementType(), " and ", b.getElementType());
  if (az.getElementType() != a.getElementType() || bz.getElementType() != b.getElementType())
    return emitOptionalError(loc, "zero points must have their operand's element type");
  auto shape = matmulShape(loc, a.getShape(), b.getShape());
  if (failed(shape))
    return failure();
  // lhs_zero_point: a scalar or one per row.
  int64_t rows = a.getRank() == 1 ? 1 : a.getDimSize(a.getRank() - 2);
  if (az.getRank() > 1 || (az.getRank() == 1 && az.getDimSize(0) != 1 && az.getDimSize(0) != rows))
    return emitOptionalError(loc, "lhs zero point ", shapeString(az.getShape()),
                             " is neither a scalar nor one per row of ", shapeString(a.getShape()));
  // rhs_zero_point: a scalar, one per column, or rhs's shape with K 1.
  int64_t columns = b.getRank() == 1 ? 1 : b.getDimSize(b.getRank() - 1);
  bool fits = bz.getRank() == 0 ||
              (bz.getRank() == 1 && (bz.getDimSize(0) == 1 || bz.getDimSize(0) == columns));
  if (bz.getRank() >= 2 && bz.getRank() == b.getRank()) {
    fits = bz.getDimSize(bz.getRank() - 2) == 1;
    for (int64_t i = 0; i < bz.getRank(); ++i)
      if (i != bz.getRank() - 2)
        fits &= bz.getDimSize(i) == 1 || bz.getDimSize(i) == b.getDimSize(i);
  }
  if (!fits)
    return emitOptionalError(loc, "rhs zero point ", shapeString(bz.getShape()),
                             " is neither a scalar nor one per column of ",
                             shapeString(b.getShape()));
  return push(types, *shape, IntegerType::get(context, 32));
}

LATHE_INFER(MatMulIntegerPackedOp) {
  LATHE_ADAPTOR(MatMulIntegerPackedOp);
  RankedTensorType a = tensorOf(adaptor.getLhs()), panels = tensorOf(adaptor.getPackedRhs());
  int64_t columns = adaptor.getColumns();
  if (!isByte(a.getElementType()) || !isByte(panels.getElementType()))
    return emitOptionalError(loc, "matmul_integer_packed takes 8-bit integer operands");
  if (a.getRank() < 2 || panels.getRank() != 4)
    return emitOptionalError(loc,
                             "matmul_integer_packed takes (batch..., M, K) and (panels, K / depth, "
                             "tile, depth), not ",
                             shapeString(a.getShape()), " and ", shapeString(panels.getShape()));
  int64_t tile = panels.getDimSize(2), depth = panels.getDimSize(3);
  if (columns <= 0 || tile <= 0 || depth <= 0 ||
      panels.getDimSize(0) != ceilDiv(columns, tile) ||
      panels.getDimSize(1) != ceilDiv(a.getShape().back(), depth))
    return emitOptionalError(loc, "panels ", shapeString(panels.getShape()), " do not hold ",
                             columns, " columns of ", a.getShape().back(), " rows for ",
                             shapeString(a.getShape()));
  SmallVector<int64_t> shape(a.getShape());
  shape.back() = columns;
  return push(types, shape, IntegerType::get(context, 32));
}

LATHE_INFER(MatMulPackedOp) {
  LATHE_ADAPTOR(MatMulPackedOp);
  RankedTensorType a = tensorOf(adaptor.getLhs()), panels = tensorOf(adaptor.getPackedRhs());
  // i8 panels hold weight-only quantized values, read as floats.
  if (!panels.getElementType().isInteger(8) && failed(checkSameElementType(loc, operands)))
    return failure();
  int64_t columns = adaptor.getColumns();
  // One matrix for all of a's batch, or (panels, B, K, tile): one per
  // matrix of a (B, M, K).
  bool batched = panels.getRank() == 4;
  if (a.getRank() < 2 || (panels.getRank() != 3 && !batched) ||
      (batched && (a.getRank() != 3 || a.getDimSize(0) != panels.getDimSize(1))))
    return emitOptionalError(loc,
                             "matmul_packed takes (batch..., M, K) and (panels, K, tile), or "
                             "(B, M, K) and (panels, B, K, tile), not ",
                             shapeString(a.getShape()), " and ", shapeString(panels.getShape()));
  int64_t tile = panels.getShape().back();
  if (a.getShape().back() != panels.getShape().drop_back().back() || columns <= 0 || tile <= 0 ||
      panels.getDimSize(0) != (columns + tile - 1) / tile)
    return emitOptionalError(loc, "panels ", shapeString(panels.getShape()),
                             " do not hold ", columns, " columns of ", a.getShape().back(),
                             " rows for ", shapeString(a.getShape()));
  SmallVector<int64_t> shape(a.getShape());
  shape.back() = columns;
  return push(types, shape, a.getElementType());
}

LATHE_INFER(WinogradInputOp) {
  LATHE_ADAPTOR(WinogradInputOp);
  RankedTensorType x = tensorOf(adaptor.getInput());
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t m = adaptor.getOutputTile();
  if (m != 2 && m != 4)
    return emitOptionalError(loc, "winograd_input: output tile ", m, " is not 2 or 4");
  if (x.getRank() != 4 || pads.size() != 4 || llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, "winograd_input takes an image (N, H, W, C) and pads (top, left, "
                                  "bottom, right) >= 0, not ",
                             shapeString(x.getShape()), " and ", pads.size(), " pads");
  int64_t outH = x.getDimSize(1) + pads[0] + pads[2] - 2;
  int64_t outW = x.getDimSize(2) + pads[1] + pads[3] - 2;
  if (outH < 1 || outW < 1)
    return emitOptionalError(loc, "winograd_input: a 3x3 window does not fit ",
                             shapeString(x.getShape()), " padded");
  int64_t tiles = x.getDimSize(0) * ceilDiv(outH, m) * ceilDiv(outW, m);
  return push(types, {(m + 2) * (m + 2), tiles, x.getDimSize(3)}, x.getElementType());
}

LATHE_INFER(WinogradOutputOp) {
  LATHE_ADAPTOR(WinogradOutputOp);
  RankedTensorType p = tensorOf(adaptor.getProducts());
  ArrayRef<int64_t> size = adaptor.getSize();
  int64_t m = adaptor.getOutputTile();
  if (m != 2 && m != 4)
    return emitOptionalError(loc, "winograd_output: output tile ", m, " is not 2 or 4");
  if (p.getRank() != 3 || p.getDimSize(0) != (m + 2) * (m + 2) || size.size() != 2 ||
      size[0] < 1 || size[1] < 1)
    return emitOptionalError(loc, "winograd_output takes products (", (m + 2) * (m + 2),
                             ", tiles, M) and a size (OH, OW), not ", shapeString(p.getShape()),
                             " and ", size.size(), " sizes");
  int64_t perImage = ceilDiv(size[0], m) * ceilDiv(size[1], m);
  if (p.getDimSize(1) % perImage != 0)
    return emitOptionalError(loc, "winograd_output: ", p.getDimSize(1),
                             " tiles are no whole number of ", size[0], "x", size[1], " images");
  if (Value bias = adaptor.getBias())
    if (tensorOf(bias).getShape() != ArrayRef<int64_t>{p.getDimSize(2)})
      return emitOptionalError(loc, "winograd_output: bias ", shapeString(tensorOf(bias).getShape()),
                               " is not one per filter (", p.getDimSize(2), ")");
  return push(types, {p.getDimSize(1) / perImage, size[0], size[1], p.getDimSize(2)},
              p.getElementType());
}

LATHE_INFER(AttentionOp) {
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  RankedTensorType q = tensorOf(operands[0]), k = tensorOf(operands[1]), v = tensorOf(operands[2]);
  int64_t rank = q.getRank();
  if (rank < 2 || k.getRank() != rank || v.getRank() != rank)
    return emitOptionalError(loc, "attention operands must have one rank >= 2");
  // Batch dims equal, except that k and v may have fewer heads (dim
  // rank - 3) than q, dividing q's: grouped-query attention.
  auto batchFits = [&](RankedTensorType kv) {
    for (int64_t i = 0; i + 2 < rank; ++i) {
      int64_t a = q.getDimSize(i), b = kv.getDimSize(i);
      if (a != b && !(i == rank - 3 && b > 0 && a % b == 0))
        return false;
    }
    return true;
  };
  if (!batchFits(k) || k.getShape().drop_back(2) != v.getShape().drop_back(2) ||
      q.getDimSize(rank - 1) != k.getDimSize(rank - 1) ||
      k.getDimSize(rank - 2) != v.getDimSize(rank - 2))
    return emitOptionalError(loc, "attention shapes do not fit: q ", shapeString(q.getShape()),
                             ", k ", shapeString(k.getShape()), ", v ", shapeString(v.getShape()));
  if (operands.size() > 3) {
    SmallVector<int64_t> scores(q.getShape()), out;
    scores.back() = k.getDimSize(rank - 2);
    ArrayRef<int64_t> mask = tensorOf(operands[3]).getShape();
    if ((int64_t)mask.size() > rank || failed(broadcastShapes(scores, mask, out)) ||
        ArrayRef<int64_t>(out) != ArrayRef<int64_t>(scores))
      return emitOptionalError(loc, "attention mask ", shapeString(mask),
                               " does not broadcast to the scores ", shapeString(scores));
  }
  SmallVector<int64_t> shape(q.getShape());
  shape.back() = v.getDimSize(rank - 1);
  return push(types, shape, q.getElementType());
}

LATHE_INFER(CacheWriteOp) {
  LATHE_ADAPTOR(CacheWriteOp);
  RankedTensorType cache = tensorOf(operands[0]), update = tensorOf(operands[1]);
  int64_t axis = adaptor.getAxis(), rank = cache.getRank();
  if (cache.getElementType() != update.getElementType())
    return emitOptionalError(loc, "cache_write: the update's element type is not the cache's");
  if (tensorOf(operands[2]).getNumElements() != 1)
    return emitOptionalError(loc, "cache_write: the position is one element, not ",
                             shapeString(tensorOf(operands[2]).getShape()));
  bool fits = axis >= 0 && axis < rank && update.getRank() == rank;
  for (int64_t d = 0; fits && d < rank; ++d)
    fits = d == axis ? update.getDimSize(d) <= cache.getDimSize(d) : update.getDimSize(d) == cache.getDimSize(d);
  if (!fits)
    return emitOptionalError(loc, "cache_write: an update ", shapeString(update.getShape()),
                             " does not fit the cache ", shapeString(cache.getShape()), " along axis ",
                             axis);
  types.push_back(cache);
  return success();
}

LATHE_INFER(GemmOp) {
  LATHE_ADAPTOR(GemmOp);
  RankedTensorType a = tensorOf(adaptor.getA()), b = tensorOf(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "gemm operands must be matrices");
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  int64_t m = a.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t k = a.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t kb = b.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (k != kb)
    return emitOptionalError(loc, "contracting dims differ: ", k, " and ", kb);
  SmallVector<int64_t> shape{m, n};
  if (Value c = adaptor.getC()) {
    SmallVector<int64_t> out;
    if (failed(broadcastShapes(shape, tensorOf(c).getShape(), out)) ||
        ArrayRef<int64_t>(out) != ArrayRef<int64_t>(shape))
      return emitOptionalError(loc, "c ", shapeString(tensorOf(c).getShape()),
                               " does not broadcast to ", shapeString(shape));
  }
  return push(types, shape, a.getElementType());
}

namespace {
/// The convolution rule on channels-first shapes: x is (N, C, spatial...),
/// w is (M, C/group, kernel...).
LogicalResult inferConvolution(OptLoc loc, ValueRange operands, RankedTensorType x,
                               RankedTensorType w, Value bias, ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads, int64_t group,
                               SmallVectorImpl<int64_t> &shape) {
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (w.getRank() != x.getRank())
    return emitOptionalError(loc, "weight rank ", w.getRank(), " differs from input rank ",
                             x.getRank());
  if (failed(checkSpatialAttrs(loc, x, w.getRank() - 2, strides, dilations, pads)))
    return failure();
  int64_t channels = x.getDimSize(1), filters = w.getDimSize(0);
  if (group < 1 || channels % group || filters % group || w.getDimSize(1) * group != channels)
    return emitOptionalError(loc, "input channels ", channels, " do not match weight ",
                             shapeString(w.getShape()), " with group ", group);
  if (bias && failed(checkVector(loc, bias, filters, "bias")))
    return failure();
  size_t n = x.getRank() - 2;
  shape.assign({x.getDimSize(0), filters});
  for (size_t i = 0; i < n; ++i) {
    FailureOr<int64_t> out =
        windowOutput(loc, x.getDimSize(i + 2), w.getDimSize(i + 2), strides[i], dilations[i],
                     pads[i], pads[i + n], /*ceilMode=*/false);
    if (failed(out))
      return failure();
    shape.push_back(*out);
  }
  return success();
}

RankedTensorType permuted(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return RankedTensorType::get(shape, type.getElementType());
}
} // namespace

LATHE_INFER(ConvOp) {
  LATHE_ADAPTOR(ConvOp);
  SmallVector<int64_t> shape;
  if (failed(inferConvolution(loc, operands, tensorOf(adaptor.getInput()),
                              tensorOf(adaptor.getWeight()), adaptor.getBias(),
                              adaptor.getStrides(), adaptor.getDilations(), adaptor.getPads(),
                              adaptor.getGroup(), shape)))
    return failure();
  return push(types, shape, tensorOf(adaptor.getInput()).getElementType());
}

LATHE_INFER(ConvNhwcOp) {
  LATHE_ADAPTOR(ConvNhwcOp);
  RankedTensorType x = tensorOf(adaptor.getInput()), w = tensorOf(adaptor.getWeight());
  if (std::optional<int64_t> filters = adaptor.getFilters()) {
    // Packed: (panels, K..., C, tile) holds what (K..., C, filters) would.
    int64_t tile = w.getRank() > 0 ? w.getShape().back() : 0;
    if (w.getRank() != x.getRank() + 1 || adaptor.getGroup() != 1 || *filters < 1 || tile < 1 ||
        w.getDimSize(0) != (*filters + tile - 1) / tile)
      return emitOptionalError(loc, "packed weight ", shapeString(w.getShape()),
                               " does not hold ", *filters,
                               " filters in panels (panels, kernel..., channels, tile), group 1");
    SmallVector<int64_t> unpacked(w.getShape().drop_front().drop_back());
    unpacked.push_back(*filters);
    w = RankedTensorType::get(unpacked, w.getElementType());
  }
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return emitOptionalError(loc, "expects input and weight of the same rank >= 3");
  // Channels-last to channels-first: x (N, S..., C) -> (N, C, S...);
  // w (K..., C/g, M) -> (M, C/g, K...).
  int64_t rank = x.getRank(), group = adaptor.getGroup();
  if (group < 1 || w.getDimSize(rank - 2) * group != x.getDimSize(rank - 1))
    return emitOptionalError(loc, "input channels ", x.getDimSize(rank - 1),
                             " do not match channels-last weight ", shapeString(w.getShape()),
                             " with group ", group);
  SmallVector<int64_t> xPerm{0, rank - 1}, wPerm{rank - 1, rank - 2};
  for (int64_t i = 1; i < rank - 1; ++i)
    xPerm.push_back(i);
  for (int64_t i = 0; i < rank - 2; ++i)
    wPerm.push_back(i);
  SmallVector<int64_t> shape;
  if (failed(inferConvolution(loc, operands, permuted(x, xPerm), permuted(w, wPerm),
                              adaptor.getBias(), adaptor.getStrides(), adaptor.getDilations(),
                              adaptor.getPads(), adaptor.getGroup(), shape)))
    return failure();
  SmallVector<int64_t> nhwc{shape[0]};
  nhwc.append(shape.begin() + 2, shape.end());
  nhwc.push_back(shape[1]);
  return push(types, nhwc, x.getElementType());
}

LATHE_INFER(ConvTransposeOp) {
  LATHE_ADAPTOR(ConvTransposeOp);
  RankedTensorType x = tensorOf(adaptor.getInput()), w = tensorOf(adaptor.getWeight());
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (w.getRank() != x.getRank())
    return emitOptionalError(loc, "weight rank ", w.getRank(), " differs from input rank ",
                             x.getRank());
  if (failed(checkSpatialAttrs(loc, x, w.getRank() - 2, adaptor.getStrides(),
                               adaptor.getDilations(), adaptor.getPads())))
    return failure();
  size_t n = x.getRank() - 2;
  int64_t group = adaptor.getGroup();
  if (group < 1 || x.getDimSize(1) != w.getDimSize(0) || x.getDimSize(1) % group)
    return emitOptionalError(loc, "input channels ", x.getDimSize(1),
                             " do not match weight ", shapeString(w.getShape()),
                             " with group ", group);
  ArrayRef<int64_t> outputPadding = adaptor.getOutputPadding();
  if (outputPadding.size() != n)
    return emitOptionalError(loc, "expects ", n, " output_padding entries");
  int64_t filters = w.getDimSize(1) * group;
  if (Value bias = adaptor.getBias())
    if (failed(checkVector(loc, bias, filters, "bias")))
      return failure();
  SmallVector<int64_t> shape{x.getDimSize(0), filters};
  for (size_t i = 0; i < n; ++i) {
    int64_t out = adaptor.getStrides()[i] * (x.getDimSize(i + 2) - 1) + outputPadding[i] +
                  (w.getDimSize(i + 2) - 1) * adaptor.getDilations()[i] + 1 -
                  adaptor.getPads()[i] - adaptor.getPads()[i + n];
    if (out < 1)
      return emitOptionalError(loc, "transposed convolution output dim ", i, " is empty");
    shape.push_back(out);
  }
  return push(types, shape, x.getElementType());
}

/// A pool's result: on (N, C, spatial...), or on (N, spatial..., C) read as
/// its channels-first transpose and written back channels last.
template <typename Adaptor>
LogicalResult inferPoolOf(OptLoc loc, Value input, Adaptor adaptor, Types &types) {
  RankedTensorType x = tensorOf(input);
  if (!adaptor.getChannelsLast())
    return inferPoolShape(loc, x, adaptor.getKernelShape(), adaptor.getStrides(),
                          adaptor.getDilations(), adaptor.getPads(), adaptor.getCeilMode(), types);
  if (x.getRank() < 3)
    return emitOptionalError(loc, "expects a channels-last input of rank >= 3 (N, spatial..., C)");
  SmallVector<int64_t> first{x.getDimSize(0), x.getShape().back()};
  first.append(x.getShape().begin() + 1, x.getShape().end() - 1);
  SmallVector<Type> inferred;
  if (failed(inferPoolShape(loc, RankedTensorType::get(first, x.getElementType()),
                            adaptor.getKernelShape(), adaptor.getStrides(), adaptor.getDilations(),
                            adaptor.getPads(), adaptor.getCeilMode(), inferred)))
    return failure();
  ArrayRef<int64_t> out = cast<RankedTensorType>(inferred[0]).getShape();
  SmallVector<int64_t> last{out[0]};
  last.append(out.begin() + 2, out.end());
  last.push_back(out[1]);
  return push(types, last, x.getElementType());
}

LATHE_INFER(MaxPoolOp) {
  LATHE_ADAPTOR(MaxPoolOp);
  return inferPoolOf(loc, operands[0], adaptor, types);
}

LATHE_INFER(AveragePoolOp) {
  LATHE_ADAPTOR(AveragePoolOp);
  return inferPoolOf(loc, operands[0], adaptor, types);
}

LATHE_INFER(LpPoolOp) {
  LATHE_ADAPTOR(LpPoolOp);
  return inferPoolShape(loc, tensorOf(operands[0]), adaptor.getKernelShape(), adaptor.getStrides(),
                   adaptor.getDilations(), adaptor.getPads(), adaptor.getCeilMode(), types);
}

LATHE_INFER(BatchNormOp) {
  RankedTensorType x = tensorOf(operands[0]);
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (x.getRank() < 2)
    return emitOptionalError(loc, "expects an input of rank >= 2 (N, C, ...)");
  for (Value v : operands.drop_front())
    if (failed(checkVector(loc, v, x.getDimSize(1), "scale, bias, mean and variance")))
      return failure();
  types.push_back(x);
  return success();
}

LATHE_INFER(InstanceNormOp) {
  RankedTensorType x = tensorOf(operands[0]);
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (x.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank >= 3 (N, C, spatial...)");
  for (Value v : operands.drop_front())
    if (failed(checkVector(loc, v, x.getDimSize(1), "scale and bias")))
      return failure();
  types.push_back(x);
  return success();
}

/// RMS normalization: the result is the input's type; scale broadcasts to
/// the normalized dims.
static LogicalResult inferTrailingNorm(OptLoc loc, ValueRange operands, int64_t axis,
                                       Types &types) {
  RankedTensorType x = tensorOf(operands[0]);
  if (failed(checkSameElementType(loc, operands)) || failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = x.getShape().drop_front(axis);
  for (Value v : operands.drop_front()) {
    SmallVector<int64_t> out;
    if (failed(broadcastShapes(normalized, tensorOf(v).getShape(), out)) ||
        ArrayRef<int64_t>(out) != normalized)
      return emitOptionalError(loc, "scale/bias ", shapeString(tensorOf(v).getShape()),
                               " does not broadcast to the normalized dims ",
                               shapeString(normalized));
  }
  types.push_back(x);
  return success();
}

LATHE_INFER(LayerNormOp) {
  LATHE_ADAPTOR(LayerNormOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> axes = adaptor.getAxes();
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  if (axes.empty() || !llvm::is_sorted(axes) ||
      std::adjacent_find(axes.begin(), axes.end()) != axes.end() || axes.front() < 0 ||
      axes.back() >= x.getRank())
    return emitOptionalError(loc, "layer_norm axes ", shapeString(axes),
                             " are not distinct ascending dims of a rank-", x.getRank(), " input");
  for (Value v : operands.drop_front()) {
    ArrayRef<int64_t> shape = tensorOf(v).getShape();
    SmallVector<int64_t> out;
    bool alongAxes = (int64_t)shape.size() <= x.getRank();
    for (auto [i, size] : llvm::enumerate(shape))
      alongAxes &= size == 1 || llvm::is_contained(axes, x.getRank() - (int64_t)shape.size() + (int64_t)i);
    if (failed(broadcastShapes(x.getShape(), shape, out)) || ArrayRef<int64_t>(out) != x.getShape() ||
        !alongAxes)
      return emitOptionalError(loc, "scale/bias ", shapeString(shape),
                               " does not broadcast to the input ", shapeString(x.getShape()),
                               " along the normalized dims ", shapeString(axes));
  }
  types.push_back(x);
  return success();
}

LATHE_INFER(RmsNormOp) {
  LATHE_ADAPTOR(RmsNormOp);
  return inferTrailingNorm(loc, operands, adaptor.getAxis(), types);
}

LATHE_INFER(RotaryEmbeddingOp) {
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  RankedTensorType x = tensorOf(operands[0]);
  if (x.getRank() < 1 || x.getShape().back() % 2)
    return emitOptionalError(loc, "rotary_embedding takes an input whose last dim is even, not ",
                             shapeString(x.getShape()));
  for (Value v : operands.drop_front()) {
    SmallVector<int64_t> out;
    ArrayRef<int64_t> shape = tensorOf(v).getShape();
    if (failed(broadcastShapes(x.getShape(), shape, out)) || ArrayRef<int64_t>(out) != x.getShape())
      return emitOptionalError(loc, "cos/sin ", shapeString(shape),
                               " does not broadcast to the input ", shapeString(x.getShape()));
  }
  types.push_back(x);
  return success();
}

LATHE_INFER(LpNormOp) {
  LATHE_ADAPTOR(LpNormOp);
  if (adaptor.getP() != 1 && adaptor.getP() != 2)
    return emitOptionalError(loc, "p must be 1 or 2");
  return lathe::detail::inferSameWithAxis(loc, operands[0], adaptor.getAxis(), types);
}

LATHE_INFER(LrnOp) {
  LATHE_ADAPTOR(LrnOp);
  if ((int64_t)adaptor.getSize() < 1 || tensorOf(operands[0]).getRank() < 3)
    return emitOptionalError(loc, "expects size >= 1 and an input of rank >= 3");
  types.push_back(operands[0].getType());
  return success();
}

LATHE_INFER(ReshapeOp) {
  LATHE_ADAPTOR(ReshapeOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> shape = adaptor.getShape();
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return emitOptionalError(loc, "reshape target ", shapeString(shape),
                             " has a negative dim");
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  if (count != x.getNumElements())
    return emitOptionalError(loc, "cannot reshape ", shapeString(x.getShape()), " (",
                             x.getNumElements(), " elements) to ", shapeString(shape));
  return push(types, shape, x.getElementType());
}

LATHE_INFER(TransposeOp) {
  LATHE_ADAPTOR(TransposeOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> perm = adaptor.getPerm();
  SmallVector<bool> seen(x.getRank(), false);
  if ((int64_t)perm.size() != x.getRank())
    return emitOptionalError(loc, "perm has ", perm.size(), " entries for rank ",
                             x.getRank());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return emitOptionalError(loc, "perm is not a permutation");
    seen[p] = true;
    shape.push_back(x.getDimSize(p));
  }
  return push(types, shape, x.getElementType());
}

LATHE_INFER(ConcatOp) {
  LATHE_ADAPTOR(ConcatOp);
  if (operands.empty())
    return emitOptionalError(loc, "concat needs at least one operand");
  if (failed(checkSameElementType(loc, operands)))
    return failure();
  RankedTensorType first = tensorOf(operands[0]);
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : operands.drop_front()) {
    RankedTensorType t = tensorOf(v);
    if (t.getRank() != first.getRank())
      return emitOptionalError(loc, "concat operands differ in rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != shape[d])
        return emitOptionalError(loc, "concat operands differ in dim ", d, ": ",
                                 shapeString(first.getShape()), " vs ",
                                 shapeString(t.getShape()));
    shape[axis] += t.getDimSize(axis);
  }
  return push(types, shape, first.getElementType());
}

LATHE_INFER(SplitOp) {
  LATHE_ADAPTOR(SplitOp);
  RankedTensorType x = tensorOf(operands[0]);
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  int64_t total = 0;
  for (int64_t size : adaptor.getSizes()) {
    if (size < 0)
      return emitOptionalError(loc, "split sizes must be >= 0");
    total += size;
  }
  if (total != x.getDimSize(axis))
    return emitOptionalError(loc, "split sizes sum to ", total, ", dim ", axis, " is ",
                             x.getDimSize(axis));
  for (int64_t size : adaptor.getSizes()) {
    SmallVector<int64_t> shape(x.getShape());
    shape[axis] = size;
    types.push_back(RankedTensorType::get(shape, x.getElementType()));
  }
  return success();
}

LATHE_INFER(SliceOp) {
  LATHE_ADAPTOR(SliceOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = x.getRank();
  if ((int64_t)starts.size() != rank || (int64_t)ends.size() != rank ||
      (int64_t)steps.size() != rank)
    return emitOptionalError(loc, "slice needs one start, end and step per dim");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = x.getDimSize(d), start = starts[d], end = ends[d], step = steps[d];
    if (step == 0)
      return emitOptionalError(loc, "slice step must not be 0");
    bool ok = step > 0 ? (start >= 0 && start <= dim && end >= 0 && end <= dim)
                       : (start >= -1 && start < dim && end >= -1 && end < dim);
    if (!ok)
      return emitOptionalError(loc, "slice bounds of dim ", d, " are not normalized");
    int64_t size = step > 0 ? ceilDiv(std::max<int64_t>(end - start, 0), step)
                            : ceilDiv(std::max<int64_t>(start - end, 0), -step);
    shape.push_back(size);
  }
  return push(types, shape, x.getElementType());
}

/// Constant indices along a dim of `extent` must lie in [-extent, extent):
/// ONNX defines no result for others (a runtime index is the kernel's to
/// bound).
LogicalResult checkConstantIndices(OptLoc loc, Value indices, int64_t extent) {
  DenseIntElementsAttr values;
  if (!matchPattern(indices, m_Constant(&values)))
    return success();
  for (const APInt &v : values) {
    int64_t index = v.getSExtValue();
    if (index < -extent || index >= extent)
      return emitOptionalError(loc, "index ", index, " is out of range for a dim of ", extent);
  }
  return success();
}

LATHE_INFER(GatherOp) {
  LATHE_ADAPTOR(GatherOp);
  RankedTensorType x = tensorOf(operands[0]), indices = tensorOf(operands[1]);
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  if (failed(checkConstantIndices(loc, operands[1], x.getDimSize(axis))))
    return failure();
  SmallVector<int64_t> shape(x.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, x.getShape().drop_front(axis + 1));
  return push(types, shape, x.getElementType());
}

LATHE_INFER(GatherElementsOp) {
  LATHE_ADAPTOR(GatherElementsOp);
  RankedTensorType x = tensorOf(operands[0]), indices = tensorOf(operands[1]);
  if (indices.getRank() != x.getRank())
    return emitOptionalError(loc, "indices rank must equal the input rank");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())) ||
      failed(checkConstantIndices(loc, operands[1], x.getDimSize(axis))))
    return failure();
  return push(types, indices.getShape(), x.getElementType());
}

LATHE_INFER(GatherNDOp) {
  LATHE_ADAPTOR(GatherNDOp);
  RankedTensorType x = tensorOf(operands[0]), indices = tensorOf(operands[1]);
  int64_t b = adaptor.getBatchDims();
  if (indices.getRank() < 1 || b < 0 || b >= std::min(x.getRank(), indices.getRank()))
    return emitOptionalError(loc, "batch_dims ", b, " is out of range");
  int64_t depth = indices.getShape().back();
  if (depth < 1 || depth > x.getRank() - b)
    return emitOptionalError(loc, "index depth ", depth, " exceeds the input rank");
  for (int64_t d = 0; d < b; ++d)
    if (x.getDimSize(d) != indices.getDimSize(d))
      return emitOptionalError(loc, "batch dims of input and indices differ");
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, x.getShape().drop_front(b + depth));
  return push(types, shape, x.getElementType());
}

static bool isReduction(StringRef r) {
  return llvm::is_contained({"none", "add", "mul", "max", "min"}, r);
}

LATHE_INFER(ScatterElementsOp) {
  LATHE_ADAPTOR(ScatterElementsOp);
  RankedTensorType x = tensorOf(operands[0]);
  if (!isReduction(adaptor.getReduction()))
    return emitOptionalError(loc, "unknown reduction '", adaptor.getReduction(), "'");
  if (tensorOf(operands[1]).getShape() != tensorOf(operands[2]).getShape() ||
      tensorOf(operands[1]).getRank() != x.getRank())
    return emitOptionalError(loc, "indices and updates must have one shape of the input rank");
  if (failed(checkAxis(loc, adaptor.getAxis(), x.getRank())))
    return failure();
  types.push_back(x);
  return success();
}

LATHE_INFER(ScatterNDOp) {
  LATHE_ADAPTOR(ScatterNDOp);
  RankedTensorType x = tensorOf(operands[0]), indices = tensorOf(operands[1]),
                   updates = tensorOf(operands[2]);
  if (!isReduction(adaptor.getReduction()))
    return emitOptionalError(loc, "unknown reduction '", adaptor.getReduction(), "'");
  if (indices.getRank() < 1 || indices.getShape().back() > x.getRank())
    return emitOptionalError(loc, "index depth exceeds the input rank");
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, x.getShape().drop_front(indices.getShape().back()));
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return emitOptionalError(loc, "updates shape must be ", shapeString(expected));
  types.push_back(x);
  return success();
}

LATHE_INFER(ExpandOp) {
  LATHE_ADAPTOR(ExpandOp);
  RankedTensorType x = tensorOf(operands[0]);
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(x.getShape(), adaptor.getShape(), shape)))
    return emitOptionalError(loc, "cannot expand ", shapeString(x.getShape()), " to ",
                             shapeString(adaptor.getShape()));
  return push(types, shape, x.getElementType());
}

LATHE_INFER(TileOp) {
  LATHE_ADAPTOR(TileOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> repeats = adaptor.getRepeats();
  if ((int64_t)repeats.size() != x.getRank())
    return emitOptionalError(loc, "tile needs one repeat per dim");
  SmallVector<int64_t> shape;
  for (auto [d, r] : llvm::zip(x.getShape(), repeats)) {
    if (r < 0)
      return emitOptionalError(loc, "repeats must be >= 0");
    shape.push_back(d * r);
  }
  return push(types, shape, x.getElementType());
}

LATHE_INFER(PadOp) {
  LATHE_ADAPTOR(PadOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = x.getRank();
  if ((int64_t)pads.size() != 2 * rank)
    return emitOptionalError(loc, "pad needs ", 2 * rank, " pads");
  if (!llvm::is_contained({"constant", "reflect", "edge", "wrap"}, adaptor.getMode()))
    return emitOptionalError(loc, "unknown pad mode '", adaptor.getMode(), "'");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t out = x.getDimSize(d) + pads[d] + pads[d + rank];
    if (out < 0)
      return emitOptionalError(loc, "pads remove more than dim ", d, " holds");
    if (adaptor.getMode() == "reflect" && (pads[d] >= x.getDimSize(d) ||
                                           pads[d + rank] >= x.getDimSize(d)) &&
        (pads[d] > 0 || pads[d + rank] > 0))
      return emitOptionalError(loc, "reflect pads must be smaller than dim ", d);
    shape.push_back(out);
  }
  return push(types, shape, x.getElementType());
}

LATHE_INFER(DepthToSpaceOp) {
  LATHE_ADAPTOR(DepthToSpaceOp);
  RankedTensorType x = tensorOf(operands[0]);
  int64_t b = adaptor.getBlocksize();
  if (x.getRank() != 4 || b < 1 || x.getDimSize(1) % (b * b))
    return emitOptionalError(loc, "expects NCHW input with C divisible by blocksize^2");
  if (adaptor.getMode() != "DCR" && adaptor.getMode() != "CRD")
    return emitOptionalError(loc, "mode must be DCR or CRD");
  return push(types,
              {x.getDimSize(0), x.getDimSize(1) / (b * b), x.getDimSize(2) * b,
               x.getDimSize(3) * b},
              x.getElementType());
}

LATHE_INFER(SpaceToDepthOp) {
  LATHE_ADAPTOR(SpaceToDepthOp);
  RankedTensorType x = tensorOf(operands[0]);
  int64_t b = adaptor.getBlocksize();
  if (x.getRank() != 4 || b < 1 || x.getDimSize(2) % b || x.getDimSize(3) % b)
    return emitOptionalError(loc, "expects NCHW input with H and W divisible by blocksize");
  return push(types,
              {x.getDimSize(0), x.getDimSize(1) * b * b, x.getDimSize(2) / b,
               x.getDimSize(3) / b},
              x.getElementType());
}

LATHE_INFER(ResizeOp) {
  LATHE_ADAPTOR(ResizeOp);
  RankedTensorType x = tensorOf(operands[0]);
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  if ((int64_t)sizes.size() != x.getRank() ||
      (int64_t)adaptor.getScales().size() != x.getRank())
    return emitOptionalError(loc, "resize needs one size and one scale per dim");
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, adaptor.getMode()))
    return emitOptionalError(loc, "unknown resize mode '", adaptor.getMode(), "'");
  if (llvm::any_of(sizes, [](int64_t d) { return d < 0; }))
    return emitOptionalError(loc, "resize sizes must be >= 0");
  return push(types, sizes, x.getElementType());
}

LATHE_INFER(TriluOp) {
  if (tensorOf(operands[0]).getRank() < 2)
    return emitOptionalError(loc, "trilu expects rank >= 2");
  types.push_back(operands[0].getType());
  return success();
}

LATHE_INFER(OneHotOp) {
  LATHE_ADAPTOR(OneHotOp);
  RankedTensorType indices = tensorOf(operands[0]), values = tensorOf(operands[1]);
  if (values.getNumElements() != 2)
    return emitOptionalError(loc, "values must hold two elements (off, on)");
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis > indices.getRank())
    return emitOptionalError(loc, "axis ", axis, " is out of range");
  if ((int64_t)adaptor.getDepth() < 1)
    return emitOptionalError(loc, "depth must be >= 1");
  SmallVector<int64_t> shape(indices.getShape());
  shape.insert(shape.begin() + axis, (int64_t)adaptor.getDepth());
  return push(types, shape, values.getElementType());
}

LATHE_INFER(TopKOp) {
  LATHE_ADAPTOR(TopKOp);
  RankedTensorType x = tensorOf(operands[0]);
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  if ((int64_t)adaptor.getK() < 0 || (int64_t)adaptor.getK() > x.getDimSize(axis))
    return emitOptionalError(loc, "k ", adaptor.getK(), " exceeds dim ", axis, " (",
                             x.getDimSize(axis), ")");
  SmallVector<int64_t> shape(x.getShape());
  shape[axis] = adaptor.getK();
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return push(types, shape, IntegerType::get(context, 64));
}

LATHE_INFER(ReverseSequenceOp) {
  LATHE_ADAPTOR(ReverseSequenceOp);
  RankedTensorType x = tensorOf(operands[0]);
  int64_t batch = adaptor.getBatchAxis(), time = adaptor.getTimeAxis();
  // One error for every wrong pair (not one per axis as well).
  if (x.getRank() < 2 || std::min(batch, time) != 0 || std::max(batch, time) != 1)
    return emitOptionalError(loc, "batch_axis (", batch, ") and time_axis (", time,
                             ") must be 0 and 1 in some order");
  if (failed(checkVector(loc, operands[1], x.getDimSize(batch), "sequence_lens")))
    return failure();
  types.push_back(x);
  return success();
}

// Scale and zero point are scalars, or vectors along `axis`.
static LogicalResult checkQuantParams(OptLoc loc, RankedTensorType x, Value scale,
                                      Value zeroPoint, int64_t axis) {
  RankedTensorType s = tensorOf(scale), z = tensorOf(zeroPoint);
  if (s.getShape() != z.getShape())
    return emitOptionalError(loc, "scale and zero point differ in shape");
  if (s.getRank() == 0 || (s.getRank() == 1 && s.getDimSize(0) == 1))
    return success();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  return checkVector(loc, scale, x.getDimSize(axis), "per-axis scale");
}

LATHE_INFER(QuantizeLinearOp) {
  LATHE_ADAPTOR(QuantizeLinearOp);
  RankedTensorType x = tensorOf(operands[0]);
  if (failed(checkQuantParams(loc, x, adaptor.getScale(), adaptor.getZeroPoint(),
                              adaptor.getAxis())))
    return failure();
  return push(types, x.getShape(), tensorOf(adaptor.getZeroPoint()).getElementType());
}

LATHE_INFER(RequantizeOp) {
  LATHE_ADAPTOR(RequantizeOp);
  RankedTensorType x = tensorOf(operands[0]);
  if (tensorOf(adaptor.getZeroPoint()).getNumElements() != 1)
    return emitOptionalError(loc, "the zero point must be a scalar");
  RankedTensorType m = tensorOf(adaptor.getMultiplier());
  if (m.getNumElements() != 1) {
    if (failed(checkAxis(loc, adaptor.getAxis(), x.getRank())) ||
        failed(checkVector(loc, adaptor.getMultiplier(), x.getDimSize(adaptor.getAxis()),
                           "per-axis multiplier")))
      return failure();
  }
  return push(types, x.getShape(), tensorOf(adaptor.getZeroPoint()).getElementType());
}

LATHE_INFER(DequantizeLinearOp) {
  LATHE_ADAPTOR(DequantizeLinearOp);
  RankedTensorType x = tensorOf(operands[0]);
  if (tensorOf(adaptor.getZeroPoint()).getElementType() != x.getElementType())
    return emitOptionalError(loc, "zero point must have the input's element type");
  if (failed(checkQuantParams(loc, x, adaptor.getScale(), adaptor.getZeroPoint(),
                              adaptor.getAxis())))
    return failure();
  return push(types, x.getShape(), tensorOf(adaptor.getScale()).getElementType());
}
