//===- NeuralNetOps.cpp - convolutions, pools, norms, matmuls -------------===//
#include "compiler/importer/NodeImporter.h"

using namespace mlir;
using namespace lathe;

namespace {

/// Window attributes of a conv or pool, with auto_pad resolved into pads.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};

FailureOr<Window> readWindow(NodeImporter &n, ArrayRef<int64_t> kernel) {
  RankedTensorType x = n.inputType(0);
  if (x.getRank() < 3)
    return n.error("expects an input of rank >= 3 (N, C, spatial...)");
  size_t dims = x.getRank() - 2;
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = n.intsAttr("strides");
  w.dilations = n.intsAttr("dilations");
  w.pads = n.intsAttr("pads");
  if (w.strides.empty())
    w.strides.assign(dims, 1);
  if (w.dilations.empty())
    w.dilations.assign(dims, 1);
  if (w.pads.empty())
    w.pads.assign(2 * dims, 0);
  if (w.kernel.size() != dims || w.strides.size() != dims || w.dilations.size() != dims ||
      w.pads.size() != 2 * dims)
    return n.error("kernel_shape, strides, dilations and pads must match the " + Twine(dims) +
                   " spatial dims of the input");
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    w.pads.assign(2 * dims, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < dims; ++i) {
      if (w.strides[i] < 1)
        return n.error("strides must be >= 1");
      int64_t in = x.getDimSize(i + 2);
      int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + span - in);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
      w.pads[i + dims] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad != "NOTSET") {
    return n.error("unknown auto_pad '" + autoPad + "'");
  }
  return w;
}

LogicalResult convertConv(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  auto result = buildConv(n, operands);
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Input `i` widened to i32 less its zero point, input `zeroPoint` (a
/// scalar, or with `perChannel` one per output channel, dim 0).
FailureOr<Value> centered(NodeImporter &n, size_t i, size_t zeroPoint, bool perChannel) {
  auto i32 = n.attr("to", TypeAttr::get(IntegerType::get(n.context(), 32)));
  auto value = n.build<CastOp>(n.input(i), {i32});
  if (failed(value) || !n.hasInput(zeroPoint))
    return value;
  auto zp = n.build<CastOp>(n.input(zeroPoint), {i32});
  RankedTensorType zpType = n.inputType(zeroPoint);
  if (failed(zp))
    return failure();
  if (perChannel && zpType.getRank() == 1 && zpType.getDimSize(0) != 1) {
    SmallVector<int64_t> shape(n.inputType(i).getRank(), 1);
    shape[0] = zpType.getDimSize(0);
    zp = n.build<ReshapeOp>(*zp, {n.array("shape", shape)});
  } else if (zpType.getNumElements() != 1) {
    return n.error("the zero point of input " + Twine(i) + " must be a scalar" +
                   (perChannel ? " or one per output channel" : ""));
  }
  if (failed(zp))
    return failure();
  return n.build<SubOp>({*value, *zp});
}

/// ConvInteger as an i32 Conv of the operands less their zero points: the
/// padding, zeros after the subtraction, is the input's zero point before.
LogicalResult convertConvInteger(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  for (size_t i : {0, 1})
    if (!n.inputType(i).getElementType().isInteger(8))
      return n.error("ConvInteger takes 8-bit integer operands");
  auto x = centered(n, 0, 2, false), w = centered(n, 1, 3, true);
  if (failed(x) || failed(w))
    return failure();
  auto result = buildConv(n, {*x, *w});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertConvTranspose(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  RankedTensorType x = n.inputType(0), weight = n.inputType(1);
  if (weight.getRank() < 3 || x.getRank() != weight.getRank())
    return n.error("input and weight must have the same rank >= 3");
  size_t dims = x.getRank() - 2;
  SmallVector<int64_t> kernel = n.intsAttr("kernel_shape");
  if (kernel.empty())
    kernel.assign(weight.getShape().begin() + 2, weight.getShape().end());
  SmallVector<int64_t> strides = n.intsAttr("strides"), dilations = n.intsAttr("dilations"),
                       pads = n.intsAttr("pads"), outputPadding = n.intsAttr("output_padding"),
                       outputShape = n.intsAttr("output_shape");
  if (strides.empty())
    strides.assign(dims, 1);
  if (dilations.empty())
    dilations.assign(dims, 1);
  if (pads.empty())
    pads.assign(2 * dims, 0);
  if (outputPadding.empty())
    outputPadding.assign(dims, 0);
  if (kernel.size() != dims || strides.size() != dims || dilations.size() != dims ||
      pads.size() != 2 * dims || outputPadding.size() != dims)
    return n.error("kernel_shape, strides, dilations, pads and output_padding must match the " +
                   Twine(dims) + " spatial dims");
  if (outputShape.size() == dims + 2)
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (!outputShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    if (!outputShape.empty() && outputShape.size() != dims)
      return n.error("output_shape must give the " + Twine(dims) + " spatial dims");
    // Padding that makes the output the requested (or stride-times) size;
    // the odd pixel goes to the end, except with SAME_LOWER (as ONNX's
    // reference and test data do).
    for (size_t i = 0; i < dims; ++i) {
      int64_t in = x.getDimSize(i + 2);
      int64_t target = outputShape.empty() ? in * strides[i] : outputShape[i];
      int64_t total = strides[i] * (in - 1) + outputPadding[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - target;
      if (total < 0)
        return n.unsupported("output_shape larger than the full transposed convolution");
      int64_t half = total / 2;
      pads[i] = autoPad == "SAME_LOWER" ? total - half : half;
      pads[i + dims] = total - pads[i];
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * dims, 0);
  }
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  auto result = n.build<ConvTransposeOp>(
      operands, {n.array("strides", strides), n.array("dilations", dilations),
                 n.array("pads", pads), n.array("output_padding", outputPadding),
                 n.i64("group", n.intAttr("group", 1))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

template <typename OpTy>
LogicalResult convertPool(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<int64_t> kernel = n.intsAttr("kernel_shape");
  if (kernel.empty())
    return n.error("kernel_shape is required");
  auto w = readWindow(n, kernel);
  if (failed(w))
    return failure();
  SmallVector<NamedAttribute> attrs{
      n.array("kernel_shape", w->kernel), n.array("strides", w->strides),
      n.array("dilations", w->dilations), n.array("pads", w->pads),
      n.boolean("ceil_mode", n.intAttr("ceil_mode", 0) != 0)};
  if constexpr (std::is_same_v<OpTy, AveragePoolOp>)
    attrs.push_back(n.boolean("count_include_pad", n.intAttr("count_include_pad", 0) != 0));
  if constexpr (std::is_same_v<OpTy, LpPoolOp>)
    attrs.push_back(n.i64("p", n.intAttr("p", 2)));
  auto result = n.build<OpTy>(n.input(0), attrs);
  return failed(result) ? failure() : n.setOutputs(*result);
}

template <typename OpTy>
LogicalResult convertGlobalPool(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<NamedAttribute> attrs;
  if constexpr (std::is_same_v<OpTy, GlobalLpPoolOp>)
    attrs.push_back(n.i64("p", n.intAttr("p", 2)));
  auto result = n.build<OpTy>(n.input(0), attrs);
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertBatchNorm(NodeImporter &n) {
  if (failed(n.requireInputs(5)))
    return failure();
  if (n.intAttr("training_mode", 0))
    return n.unsupported("training mode");
  if (n.sinceVersion < 9 && n.intAttr("spatial", 1) == 0)
    return n.unsupported("spatial = 0");
  auto result = n.build<BatchNormOp>(
      {n.input(0), n.input(1), n.input(2), n.input(3), n.input(4)},
      {n.f32("epsilon", n.floatAttr("epsilon", 1e-5f))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertInstanceNorm(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  auto result = n.build<InstanceNormOp>({n.input(0), n.input(1), n.input(2)},
                                        {n.f32("epsilon", n.floatAttr("epsilon", 1e-5f))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// The normalized result is one op; the optional Mean and InvStdDev outputs
/// (statistics over the normalized dims, kept as size-1 dims) are computed
/// beside it from primitive ops.
LogicalResult convertLayerNorm(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  float epsilon = n.floatAttr("epsilon", 1e-5f);
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, type.getRank()));
  auto normalized = n.build<LayerNormOp>(operands, {n.array("axes", axes), n.f32("epsilon", epsilon)});
  if (failed(normalized))
    return failure();
  SmallVector<Value> results{*normalized};
  if (n.hasOutput(1) || n.hasOutput(2)) {
    auto reduceAttrs = {n.array("axes", axes), n.boolean("keepdims", true)};
    auto mean = n.build<ReduceMeanOp>(n.input(0), reduceAttrs);
    if (failed(mean))
      return failure();
    auto centered = n.build<SubOp>({n.input(0), *mean});
    auto squared = failed(centered) ? centered : n.build<MulOp>({*centered, *centered});
    auto variance = failed(squared) ? squared : n.build<ReduceMeanOp>(*squared, reduceAttrs);
    if (failed(variance))
      return failure();
    auto shifted =
        n.build<AddOp>({*variance, n.scalarConstant(type.getElementType(), epsilon)});
    auto deviation = failed(shifted) ? shifted : n.build<SqrtOp>(*shifted);
    auto inverse = failed(deviation) ? deviation : n.build<ReciprocalOp>(*deviation);
    if (failed(inverse))
      return failure();
    results.push_back(*mean);
    results.push_back(*inverse);
  }
  return n.setOutputs(results);
}

LogicalResult convertLpNorm(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<LpNormOp>(n.input(0), {n.i64("axis", *axis), n.i64("p", n.intAttr("p", 2))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertLrn(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  if (!n.hasAttr("size"))
    return n.error("attribute 'size' is required");
  auto result = n.build<LrnOp>(
      n.input(0), {n.f32("alpha", n.floatAttr("alpha", 1e-4f)),
                   n.f32("beta", n.floatAttr("beta", 0.75f)),
                   n.f32("bias", n.floatAttr("bias", 1.0f)), n.i64("size", n.intAttr("size", 1))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertMatMul(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  auto result = n.build<MatMulOp>({n.input(0), n.input(1)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Absent zero points are zeros of their operand's type.
LogicalResult convertMatMulInteger(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  SmallVector<Value> operands{n.input(0), n.input(1)};
  for (size_t i : {2, 3})
    operands.push_back(n.hasInput(i) ? n.input(i)
                                     : n.scalarConstant(n.inputType(i - 2).getElementType(), 0));
  auto result = n.build<MatMulIntegerOp>(operands);
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertGemm(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (n.hasInput(2))
    operands.push_back(n.input(2));
  auto result = n.build<GemmOp>(
      operands, {n.f32("alpha", n.floatAttr("alpha", 1.0f)),
                 n.f32("beta", n.floatAttr("beta", 1.0f)),
                 n.boolean("trans_a", n.intAttr("transA", 0) != 0),
                 n.boolean("trans_b", n.intAttr("transB", 0) != 0)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

} // namespace

/// A Conv of `operands` (input, weight[, bias]) with the node's window.
FailureOr<Value> lathe::buildConv(NodeImporter &n, ValueRange operands) {
  RankedTensorType weight = cast<RankedTensorType>(operands[1].getType());
  if (weight.getRank() < 3)
    return n.error("weight must have rank >= 3");
  SmallVector<int64_t> kernel = n.intsAttr("kernel_shape");
  if (kernel.empty())
    kernel.assign(weight.getShape().begin() + 2, weight.getShape().end());
  auto w = readWindow(n, kernel);
  if (failed(w))
    return failure();
  auto result = n.build<ConvOp>(operands, {n.array("strides", w->strides),
                                           n.array("dilations", w->dilations),
                                           n.array("pads", w->pads),
                                           n.i64("group", n.intAttr("group", 1))});
  return result;
}

void lathe::registerNeuralNetOps(OpConverterTable &table) {
  table.add("Conv", convertConv);
  table.add("ConvInteger", convertConvInteger);
  table.add("ConvTranspose", convertConvTranspose);
  table.add("MaxPool", convertPool<MaxPoolOp>);
  table.add("AveragePool", convertPool<AveragePoolOp>);
  table.add("LpPool", convertPool<LpPoolOp>);
  table.add("GlobalAveragePool", convertGlobalPool<GlobalAveragePoolOp>);
  table.add("GlobalMaxPool", convertGlobalPool<GlobalMaxPoolOp>);
  table.add("GlobalLpPool", convertGlobalPool<GlobalLpPoolOp>);
  table.add("BatchNormalization", convertBatchNorm);
  table.add("InstanceNormalization", convertInstanceNorm);
  table.add("LayerNormalization", convertLayerNorm);
  table.add("LpNormalization", convertLpNorm);
  table.add("LRN", convertLrn);
  table.add("MatMul", convertMatMul);
  table.add("MatMulInteger", convertMatMulInteger);
  table.add("Gemm", convertGemm);
}
