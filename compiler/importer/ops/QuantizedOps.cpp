//===- QuantizedOps.cpp - ONNX's quantization ops and ONNX Runtime's contrib ones ===//
//
// QuantizeLinear and DequantizeLinear import as themselves; every other
// quantized op imports as its QDQ group: DequantizeLinear of each
// 8-bit operand, the float op, QuantizeLinear of the result. That is the
// form exporters and ONNX Runtime's quantizer write by default, so one pass
// (lathe-integer-qdq-groups) decides for both forms what runs in integers,
// and a group it leaves in float computes what ONNX defines.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/NodeImporter.h"

using namespace mlir;
using namespace lathe;

namespace {

/// A scale known at compile time is positive: a zero or negative one is a
/// broken model, not a number to divide by.
LogicalResult checkScale(NodeImporter &n, size_t scale) {
  DenseElementsAttr values = n.constantInput(scale);
  if (!values || !isa<FloatType>(values.getElementType()))
    return success();
  for (auto [i, v] : llvm::enumerate(values.getValues<APFloat>())) {
    double value = v.convertToDouble();
    if (!(value > 0))
      return n.error("input " + Twine(scale) + " (a scale) has " +
                     (value == 0 ? std::string("zero") : "value " + std::to_string(value)) +
                     " at element " + Twine(i) + "; scales must be positive");
  }
  return success();
}

/// Quantize/dequantize: a missing zero point is a uint8 (quantize) or
/// input-typed (dequantize) zero.
template <typename OpTy>
LogicalResult convertQuantization(NodeImporter &n) {
  if (failed(n.requireInputs(2)) || failed(checkScale(n, 1)))
    return failure();
  Value zeroPoint = n.input(2);
  if (!zeroPoint) {
    Type element = std::is_same_v<OpTy, QuantizeLinearOp>
                       ? n.builder.getIntegerType(8, /*isSigned=*/false)
                       : n.inputType(0).getElementType();
    auto type = RankedTensorType::get(n.inputType(1).getShape(), element);
    zeroPoint = n.constant(DenseElementsAttr::get(type, n.builder.getIntegerAttr(element, 0)));
  }
  auto result =
      n.build<OpTy>({n.input(0), n.input(1), zeroPoint}, {n.i64("axis", n.intAttr("axis", 1))});
  if (failed(result))
    return failure();
  return n.setOutputs(*result);
}

/// Zero point input `i`, or (absent) a zero of `element` shaped like the
/// scale input `scale`.
Value zeroPointOr(NodeImporter &n, size_t i, size_t scale, Type element) {
  if (n.hasInput(i))
    return n.input(i);
  auto type = RankedTensorType::get(n.inputType(scale).getShape(), element);
  return n.constant(DenseElementsAttr::get(type, n.builder.getIntegerAttr(element, 0)));
}

/// Checks that the inputs at `indices` are present (the zero points between
/// them may not be).
LogicalResult requireInputsAt(NodeImporter &n, std::initializer_list<size_t> indices) {
  for (size_t i : indices)
    if (!n.hasInput(i))
      return n.error("required input " + Twine(i) + " is missing");
  return success();
}

/// DequantizeLinear of input `x` with inputs `scale` and `zeroPoint` (the
/// latter optional) along `axis`.
FailureOr<Value> dequantize(NodeImporter &n, size_t x, size_t scale, size_t zeroPoint,
                            int64_t axis = 1) {
  if (!n.inputType(x).getElementType().isInteger(8))
    return n.error("input " + Twine(x) + " must be an 8-bit integer tensor");
  if (!isa<FloatType>(n.inputType(scale).getElementType()))
    return n.error("input " + Twine(scale) + " (a scale) must be a float tensor");
  if (failed(checkScale(n, scale)))
    return failure();
  Value zp = zeroPointOr(n, zeroPoint, scale, n.inputType(x).getElementType());
  return n.build<DequantizeLinearOp>({n.input(x), n.input(scale), zp}, {n.i64("axis", axis)});
}

/// QuantizeLinear of `y` to inputs `scale` and `zeroPoint`; an absent zero
/// point quantizes to the element type of input `like`.
LogicalResult quantizeOutput(NodeImporter &n, FailureOr<Value> y, size_t scale,
                             size_t zeroPoint, size_t like) {
  if (failed(y))
    return failure();
  if (!isa<FloatType>(n.inputType(scale).getElementType()))
    return n.error("input " + Twine(scale) + " (a scale) must be a float tensor");
  if (failed(checkScale(n, scale)))
    return failure();
  Value zp = zeroPointOr(n, zeroPoint, scale, n.inputType(like).getElementType());
  auto result = n.build<QuantizeLinearOp>({*y, n.input(scale), zp}, {n.i64("axis", 1)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// The axis a matmul operand's per-row (lhs) or per-column (rhs) scale runs
/// along.
int64_t matmulScaleAxis(NodeImporter &n, size_t scale, size_t operand, bool rhs) {
  int64_t rank = n.inputType(operand).getRank();
  if (n.inputType(scale).getNumElements() == 1 || rank < 2)
    return 1;
  return rhs ? rank - 1 : rank - 2;
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp).
LogicalResult convertQLinearMatMul(NodeImporter &n) {
  if (failed(n.requireInputs(8)))
    return failure();
  auto a = dequantize(n, 0, 1, 2, matmulScaleAxis(n, 1, 0, false));
  if (failed(a))
    return failure();
  auto b = dequantize(n, 3, 4, 5, matmulScaleAxis(n, 4, 3, true));
  if (failed(b))
    return failure();
  return quantizeOutput(n, n.build<MatMulOp>({*a, *b}), 6, 7, 0);
}

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B): the
// int32 bias is dequantized with x_scale * w_scale, as ONNX defines it.
LogicalResult convertQLinearConv(NodeImporter &n) {
  if (failed(n.requireInputs(8)))
    return failure();
  auto x = dequantize(n, 0, 1, 2, 1);
  if (failed(x))
    return failure();
  auto w = dequantize(n, 3, 4, 5, 0);
  if (failed(w))
    return failure();
  SmallVector<Value> operands{*x, *w};
  if (n.hasInput(8)) {
    if (!n.inputType(8).getElementType().isInteger(32))
      return n.error("the bias (input 8) must be an int32 tensor");
    auto scale = n.build<MulOp>({n.input(1), n.input(4)});
    if (failed(scale))
      return failure();
    auto scaleType = cast<RankedTensorType>(scale->getType());
    Type i32 = n.builder.getI32Type();
    Value zero = n.constant(DenseElementsAttr::get(RankedTensorType::get(scaleType.getShape(), i32),
                                                   n.builder.getIntegerAttr(i32, 0)));
    auto bias = n.build<DequantizeLinearOp>({n.input(8), *scale, zero}, {n.i64("axis", 0)});
    if (failed(bias))
      return failure();
    operands.push_back(*bias);
  }
  return quantizeOutput(n, buildConv(n, operands), 6, 7, 0);
}

// com.microsoft QLinearAdd / QLinearMul(A, A_scale, A_zp, B, B_scale, B_zp,
// C_scale, C_zp), zero points optional.
template <typename OpTy>
LogicalResult convertQLinearBinary(NodeImporter &n) {
  if (failed(requireInputsAt(n, {0, 1, 3, 4, 6})))
    return failure();
  auto a = dequantize(n, 0, 1, 2);
  if (failed(a))
    return failure();
  auto b = dequantize(n, 3, 4, 5);
  if (failed(b))
    return failure();
  return quantizeOutput(n, n.build<OpTy>({*a, *b}), 6, 7, 0);
}

// com.microsoft QLinearSigmoid / QLinearLeakyRelu(X, X_scale, X_zp,
// Y_scale, Y_zp), zero points optional.
template <typename OpTy>
LogicalResult convertQLinearUnary(NodeImporter &n) {
  if (failed(requireInputsAt(n, {0, 1, 3})))
    return failure();
  auto x = dequantize(n, 0, 1, 2);
  if (failed(x))
    return failure();
  SmallVector<NamedAttribute> attrs;
  if constexpr (std::is_same_v<OpTy, LeakyReluOp>)
    attrs.push_back(n.f32("alpha", n.floatAttr("alpha", 0.01f)));
  return quantizeOutput(n, n.build<OpTy>(*x, attrs), 3, 4, 0);
}

// com.microsoft QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp),
// channels first, or last with `channels_last`.
LogicalResult convertQLinearGlobalAveragePool(NodeImporter &n) {
  if (failed(requireInputsAt(n, {0, 1, 3})))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.error("the input must have a batch, a channel and spatial dims");
  auto x = dequantize(n, 0, 1, 2);
  if (failed(x))
    return failure();
  if (n.intAttr("channels_last", 0) == 0)
    return quantizeOutput(n, n.build<GlobalAveragePoolOp>(*x), 3, 4, 0);
  // (N, spatial..., C) -> (N, C, spatial...) and back.
  SmallVector<int64_t> toFirst{0, rank - 1}, toLast{0};
  for (int64_t d = 1; d + 1 < rank; ++d) {
    toFirst.push_back(d);
    toLast.push_back(d + 1);
  }
  toLast.push_back(1);
  auto first = n.build<TransposeOp>(*x, {n.array("perm", toFirst)});
  if (failed(first))
    return failure();
  auto pooled = n.build<GlobalAveragePoolOp>(*first);
  if (failed(pooled))
    return failure();
  return quantizeOutput(n, n.build<TransposeOp>(*pooled, {n.array("perm", toLast)}), 3, 4, 0);
}

} // namespace

void lathe::registerQuantizedOps(OpConverterTable &table) {
  table.add("QuantizeLinear", convertQuantization<QuantizeLinearOp>);
  table.add("DequantizeLinear", convertQuantization<DequantizeLinearOp>);
  table.add("QLinearConv", convertQLinearConv);
  table.add("QLinearMatMul", convertQLinearMatMul);
  table.add("com.microsoft.QLinearAdd", convertQLinearBinary<AddOp>);
  table.add("com.microsoft.QLinearMul", convertQLinearBinary<MulOp>);
  table.add("com.microsoft.QLinearSigmoid", convertQLinearUnary<SigmoidOp>);
  table.add("com.microsoft.QLinearLeakyRelu", convertQLinearUnary<LeakyReluOp>);
  table.add("com.microsoft.QLinearGlobalAveragePool", convertQLinearGlobalAveragePool);
}
