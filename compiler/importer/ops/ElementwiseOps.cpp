//===- ElementwiseOps.cpp - elementwise ONNX ops --------------------------===//
#include "compiler/importer/NodeImporter.h"
#include "compiler/importer/TensorConversion.h"

#include <limits>

using namespace mlir;
using namespace lathe;

namespace {

template <typename OpTy>
LogicalResult convertUnary(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto result = n.build<OpTy>(n.input(0));
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Before opset 7, binary ops broadcast only when `broadcast` = 1, aligning
/// the second operand at `axis` of the first. Reshaping it with trailing 1s
/// turns that into numpy broadcasting.
FailureOr<Value> legacyBroadcastOperand(NodeImporter &n, Value lhs, Value rhs) {
  if (n.sinceVersion >= 7 || !n.intAttr("broadcast", 0) || !n.hasAttr("axis"))
    return rhs;
  auto a = cast<RankedTensorType>(lhs.getType()), b = cast<RankedTensorType>(rhs.getType());
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 0), a.getRank());
  if (failed(axis))
    return failure();
  if (*axis + b.getRank() > a.getRank())
    return n.error("operand 1 does not fit in operand 0 at axis " + Twine(*axis));
  SmallVector<int64_t> shape(b.getShape());
  shape.append(a.getRank() - *axis - b.getRank(), 1);
  return n.build<ReshapeOp>(rhs, {n.array("shape", shape)});
}

template <typename OpTy>
LogicalResult convertBinary(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  FailureOr<Value> rhs = legacyBroadcastOperand(n, n.input(0), n.input(1));
  if (failed(rhs))
    return failure();
  auto result = n.build<OpTy>({n.input(0), *rhs});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Sum, Max, Min, Mean: a left fold over any number of operands.
template <typename OpTy>
FailureOr<Value> foldVariadic(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  Value acc = n.input(0);
  for (size_t i = 1; i < n.numInputs(); ++i) {
    auto next = n.build<OpTy>({acc, n.input(i)});
    if (failed(next))
      return failure();
    acc = *next;
  }
  return acc;
}

template <typename OpTy>
LogicalResult convertVariadic(NodeImporter &n) {
  auto result = foldVariadic<OpTy>(n);
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertMean(NodeImporter &n) {
  auto sum = foldVariadic<AddOp>(n);
  if (failed(sum))
    return failure();
  Type element = cast<RankedTensorType>(sum->getType()).getElementType();
  auto result = n.build<DivOp>({*sum, n.scalarConstant(element, (double)n.numInputs())});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertIdentity(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  return n.setOutputs(n.input(0));
}

/// Inference Dropout is the identity; its mask, when asked for, is all true.
LogicalResult convertDropout(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  if (n.intAttr("is_test", 1) == 0 && n.sinceVersion < 7)
    return n.unsupported("training mode (is_test = 0)");
  if (n.sinceVersion >= 12 && n.hasInput(2)) {
    DenseElementsAttr training = n.constantInput(2);
    if (!training || training.getSplatValue<bool>())
      return n.unsupported("training mode");
  }
  SmallVector<Value> results{n.input(0)};
  if (n.hasOutput(1)) {
    auto maskType = RankedTensorType::get(n.inputType(0).getShape(), n.builder.getI1Type());
    results.push_back(n.constant(DenseElementsAttr::get(maskType, true)));
  }
  return n.setOutputs(results);
}

template <typename OpTy>
LogicalResult convertWithAttrs(NodeImporter &n, ArrayRef<NamedAttribute> attrs) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto result = n.build<OpTy>(n.input(0), attrs);
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertClip(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<NamedAttribute> attrs;
  if (n.sinceVersion < 11) {
    if (n.hasAttr("min"))
      attrs.push_back(n.f64("min", n.floatAttr("min", 0)));
    if (n.hasAttr("max"))
      attrs.push_back(n.f64("max", n.floatAttr("max", 0)));
    return convertWithAttrs<ClipOp>(n, attrs);
  }
  // Bounds are inputs: constant ones become attributes; others clamp with
  // Max/Min against the runtime value.
  Value x = n.input(0);
  for (auto [index, name] : {std::pair<size_t, StringRef>{1, "min"}, {2, "max"}}) {
    if (!n.hasInput(index))
      continue;
    if (DenseElementsAttr bound = n.constantInput(index)) {
      if (bound.getNumElements() != 1)
        return n.error(Twine("the ") + name + " bound must be a scalar");
      Attribute v = *bound.getValues<Attribute>().begin();
      double d = isa<FloatAttr>(v) ? cast<FloatAttr>(v).getValueAsDouble()
                 : bound.getElementType().isUnsignedInteger()
                     ? (double)cast<IntegerAttr>(v).getValue().getZExtValue()
                     : (double)cast<IntegerAttr>(v).getValue().getSExtValue();
      attrs.push_back(n.f64(name, d));
      continue;
    }
    auto clamped = index == 1 ? n.build<MaxOp>({x, n.input(index)})
                              : n.build<MinOp>({x, n.input(index)});
    if (failed(clamped))
      return failure();
    x = *clamped;
  }
  if (attrs.empty())
    return n.setOutputs(x);
  auto result = n.build<ClipOp>(x, attrs);
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertWhere(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  auto result = n.build<WhereOp>({n.input(0), n.input(1), n.input(2)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertPRelu(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  Value slope = n.input(1);
  // Before opset 7 a vector slope holds one value per channel (dim 1).
  RankedTensorType x = n.inputType(0), s = n.inputType(1);
  if (n.sinceVersion < 7 && s.getRank() == 1 && x.getRank() > 2 &&
      s.getDimSize(0) == x.getDimSize(1) && s.getDimSize(0) != 1) {
    SmallVector<int64_t> shape(x.getRank() - 1, 1);
    shape[0] = s.getDimSize(0);
    auto reshaped = n.build<ReshapeOp>(slope, {n.array("shape", shape)});
    if (failed(reshaped))
      return failure();
    slope = *reshaped;
  }
  auto result = n.build<PReluOp>({n.input(0), slope});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertMod(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  bool fmod = n.intAttr("fmod", 0) != 0;
  if (!fmod && isa<FloatType>(n.inputType(0).getElementType()))
    return n.error("fmod must be 1 for floating-point inputs");
  auto result = n.build<ModOp>({n.input(0), n.input(1)}, {n.boolean("fmod", fmod)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertBitShift(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  std::string direction = n.stringAttr("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return n.error("direction must be LEFT or RIGHT");
  auto result = n.build<BitShiftOp>({n.input(0), n.input(1)},
                                    {n.boolean("left", direction == "LEFT")});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Cast-1 named the target type as a string; later versions by number.
FailureOr<Type> castTarget(NodeImporter &n) {
  const onnx::AttributeProto *to = n.attribute("to");
  if (!to)
    return n.error("attribute 'to' is missing");
  int32_t code = (int32_t)to->i();
  if (to->type() == onnx::AttributeProto::STRING) {
    onnx::TensorProto::DataType parsed;
    if (!onnx::TensorProto::DataType_Parse(to->s(), &parsed))
      return n.error("unknown type '" + to->s() + "'");
    code = parsed;
  }
  Type element = elementTypeFor(code, n.context());
  if (!element)
    return n.unsupported("cast to " + onnxTypeName(code));
  return element;
}

LogicalResult convertCastTo(NodeImporter &n, Type element) {
  auto result = n.build<CastOp>(n.input(0), {n.attr("to", TypeAttr::get(element))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertCast(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  FailureOr<Type> to = castTarget(n);
  return failed(to) ? failure() : convertCastTo(n, *to);
}

LogicalResult convertCastLike(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  return convertCastTo(n, n.inputType(1).getElementType());
}

} // namespace

#define UNARY(NAME, OP) table.add(NAME, convertUnary<OP>)
#define BINARY(NAME, OP) table.add(NAME, convertBinary<OP>)

void lathe::registerElementwiseOps(OpConverterTable &table) {
  UNARY("Abs", AbsOp); UNARY("Neg", NegOp); UNARY("Sign", SignOp); UNARY("Relu", ReluOp);
  UNARY("Exp", ExpOp); UNARY("Log", LogOp); UNARY("Sqrt", SqrtOp);
  UNARY("Reciprocal", ReciprocalOp); UNARY("Floor", FloorOp); UNARY("Ceil", CeilOp);
  UNARY("Round", RoundOp); UNARY("Sin", SinOp); UNARY("Cos", CosOp); UNARY("Tan", TanOp);
  UNARY("Asin", AsinOp); UNARY("Acos", AcosOp); UNARY("Atan", AtanOp);
  UNARY("Sinh", SinhOp); UNARY("Cosh", CoshOp); UNARY("Asinh", AsinhOp);
  UNARY("Acosh", AcoshOp); UNARY("Atanh", AtanhOp); UNARY("Sigmoid", SigmoidOp);
  UNARY("Tanh", TanhOp); UNARY("Softplus", SoftplusOp); UNARY("Softsign", SoftsignOp);
  UNARY("Erf", ErfOp); UNARY("HardSwish", HardSwishOp);
  UNARY("Not", NotOp); UNARY("IsNaN", IsNaNOp);

  BINARY("Add", AddOp); BINARY("Sub", SubOp); BINARY("Mul", MulOp); BINARY("Div", DivOp);
  BINARY("Pow", PowOp); BINARY("And", AndOp); BINARY("Or", OrOp); BINARY("Xor", XorOp);
  BINARY("Equal", EqualOp); BINARY("Less", LessOp); BINARY("Greater", GreaterOp);
  BINARY("LessOrEqual", LessOrEqualOp); BINARY("GreaterOrEqual", GreaterOrEqualOp);

  table.add("Sum", convertVariadic<AddOp>);
  table.add("Max", convertVariadic<MaxOp>);
  table.add("Min", convertVariadic<MinOp>);
  table.add("Mean", convertMean);
  table.add("Identity", convertIdentity);
  table.add("Dropout", convertDropout);
  table.add("Clip", convertClip);
  table.add("Where", convertWhere);
  table.add("PRelu", convertPRelu);
  table.add("Mod", convertMod);
  table.add("BitShift", convertBitShift);
  table.add("Cast", convertCast);
  table.add("CastLike", convertCastLike);

  table.add("LeakyRelu", [](NodeImporter &n) {
    return convertWithAttrs<LeakyReluOp>(n, {n.f32("alpha", n.floatAttr("alpha", 0.01f))});
  });
  table.add("Elu", [](NodeImporter &n) {
    return convertWithAttrs<EluOp>(n, {n.f32("alpha", n.floatAttr("alpha", 1.0f))});
  });
  table.add("Celu", [](NodeImporter &n) {
    return convertWithAttrs<CeluOp>(n, {n.f32("alpha", n.floatAttr("alpha", 1.0f))});
  });
  table.add("Selu", [](NodeImporter &n) {
    return convertWithAttrs<SeluOp>(
        n, {n.f32("alpha", n.floatAttr("alpha", 1.67326319217681884765625f)),
            n.f32("gamma", n.floatAttr("gamma", 1.05070102214813232421875f))});
  });
  table.add("ThresholdedRelu", [](NodeImporter &n) {
    return convertWithAttrs<ThresholdedReluOp>(n, {n.f32("alpha", n.floatAttr("alpha", 1.0f))});
  });
  table.add("HardSigmoid", [](NodeImporter &n) {
    return convertWithAttrs<HardSigmoidOp>(n, {n.f32("alpha", n.floatAttr("alpha", 0.2f)),
                                               n.f32("beta", n.floatAttr("beta", 0.5f))});
  });
  table.add("Shrink", [](NodeImporter &n) {
    return convertWithAttrs<ShrinkOp>(n, {n.f32("bias", n.floatAttr("bias", 0.0f)),
                                          n.f32("lambd", n.floatAttr("lambd", 0.5f))});
  });
  table.add("IsInf", [](NodeImporter &n) {
    return convertWithAttrs<IsInfOp>(
        n, {n.boolean("detect_negative", n.intAttr("detect_negative", 1) != 0),
            n.boolean("detect_positive", n.intAttr("detect_positive", 1) != 0)});
  });
}
