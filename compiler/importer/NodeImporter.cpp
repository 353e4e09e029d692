//===- NodeImporter.cpp - what an op converter sees of its node -----------===//
#include "compiler/importer/NodeImporter.h"
#include "dialects/lathe/SizeLimit.h"
#include "llvm/ADT/ScopeExit.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;
using namespace lathe;

std::vector<std::string> OpConverterTable::names() const {
  std::vector<std::string> result;
  for (const auto &entry : converters)
    result.push_back(entry.getKey().str());
  std::sort(result.begin(), result.end());
  return result;
}

std::string lathe::opTableKey(StringRef domain, StringRef opType) {
  if (domain.empty() || domain == "ai.onnx")
    return opType.str();
  return (domain + "." + opType).str();
}

const OpConverterTable &lathe::opConverters() {
  static const OpConverterTable table = [] {
    OpConverterTable t;
    registerElementwiseOps(t);
    registerReductionOps(t);
    registerNeuralNetOps(t);
    registerDataMovementOps(t);
    registerConstantOps(t);
    registerQuantizedOps(t);
    return t;
  }();
  return table;
}

bool NodeImporter::hasInput(size_t i) const {
  return (int)i < node.input_size() && !node.input(i).empty();
}

Value NodeImporter::input(size_t i) const {
  return hasInput(i) ? values.lookup(node.input(i)) : Value();
}

RankedTensorType NodeImporter::inputType(size_t i) const {
  Value v = input(i);
  return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

DenseElementsAttr NodeImporter::constantInput(size_t i) const {
  Value v = input(i);
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return {};
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense;
  // A resource blob: read it through the ElementsAttr interface.
  return {};
}

FailureOr<SmallVector<int64_t>> NodeImporter::intsInput(size_t i, StringRef what) {
  DenseElementsAttr attr = constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType())) {
    if (!attr)
      return error("input " + Twine(i) + " ('" + node.input(i) + "', the " + what +
                   ") must be a constant: lathe compiles static shapes");
    return error("the " + what + " must be an integer tensor");
  }
  SmallVector<int64_t> result;
  for (const APInt &v : attr.getValues<APInt>())
    result.push_back(attr.getElementType().isUnsignedInteger() ? (int64_t)v.getZExtValue()
                                                               : v.getSExtValue());
  return result;
}

FailureOr<SmallVector<double>> NodeImporter::floatsInput(size_t i, StringRef what) {
  DenseElementsAttr attr = constantInput(i);
  if (!attr)
    return error("input " + Twine(i) + " ('" + node.input(i) + "', the " + what +
                 ") must be a constant");
  SmallVector<double> result;
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &v : attr.getValues<APFloat>())
      result.push_back(v.convertToDouble() * 1.0);
  } else {
    for (const APInt &v : attr.getValues<APInt>())
      result.push_back((double)v.getSExtValue());
  }
  return result;
}

FailureOr<int64_t> NodeImporter::positionSlope(size_t i, StringRef what) {
  if (!cache || !cache->probe || !hasInput(i))
    return 0;
  DenseElementsAttr here = constantInput(i);
  DenseElementsAttr there = cache->probe->lookup(node.input(i));
  if (!here || !there || here == there)
    return 0;
  if (here.getNumElements() != 1 || there.getNumElements() != 1 ||
      !isa<IntegerType>(here.getElementType()) || here.getType() != there.getType())
    return error("the " + what + " depends on the key/value cache's position, which lathe "
                 "follows at run time in integer scalars only");
  int64_t a = here.getValues<APInt>()[0].getSExtValue();
  int64_t b = there.getValues<APInt>()[0].getSExtValue();
  int64_t steps = cache->length - cache->probeLength;
  if ((a - b) % steps != 0)
    return error("the " + what + " depends on the key/value cache's position other than "
                 "linearly");
  return (a - b) / steps;
}

FailureOr<Value> NodeImporter::atPosition(double value, int64_t slope, Type element) {
  Value position = cache->position;
  if (slope != 1) {
    auto scaled = build<MulOp>({position, scalarConstant(builder.getI64Type(), (double)slope)});
    if (failed(scaled))
      return failure();
    position = *scaled;
  }
  if (element != builder.getI64Type()) {
    auto cast = build<CastOp>(position, {attr("to", TypeAttr::get(element))});
    if (failed(cast))
      return failure();
    position = *cast;
  }
  return build<AddOp>({position, scalarConstant(element, value - (double)(slope * cache->length))});
}

const onnx::AttributeProto *NodeImporter::attribute(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::intAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->i() : defaultValue;
}

float NodeImporter::floatAttr(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->f() : defaultValue;
}

std::string NodeImporter::stringAttr(StringRef name, StringRef defaultValue) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->s() : defaultValue.str();
}

SmallVector<int64_t> NodeImporter::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? SmallVector<int64_t>(a->ints().begin(), a->ints().end()) : SmallVector<int64_t>();
}

SmallVector<float> NodeImporter::floatsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? SmallVector<float>(a->floats().begin(), a->floats().end()) : SmallVector<float>();
}

LogicalResult NodeImporter::setOutputs(ValueRange produced) {
  for (int i = produced.size(); i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return unsupported("output " + Twine(i) + " ('" + node.output(i) + "')");
  results.assign(produced.begin(), produced.end());
  return success();
}

Value NodeImporter::constant(ElementsAttr value) {
  return ConstantOp::create(builder, loc, value.getType(), value);
}

Value NodeImporter::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute scalar = isa<FloatType>(elementType)
                         ? (Attribute)builder.getFloatAttr(elementType, value)
                         : (Attribute)builder.getIntegerAttr(elementType, (int64_t)value);
  return constant(DenseElementsAttr::get(type, scalar));
}

LogicalResult NodeImporter::error(const Twine &message) const {
  return emitError(loc) << node.op_type() << ": " << message;
}

LogicalResult NodeImporter::unsupported(const Twine &feature) const {
  return emitError(loc) << "unsupported " << node.op_type() << " feature: " << feature;
}

LogicalResult NodeImporter::requireInputs(size_t count) const {
  for (size_t i = 0; i < count; ++i)
    if (!hasInput(i))
      return error("required input " + Twine(i) + " is missing");
  return success();
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) const {
  if (axis < -rank || axis >= rank)
    return error("axis " + Twine(axis) + " is out of range for rank " + Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<Value>> NodeImporter::buildOp(StringRef name, InferFn infer,
                                                    ValueRange operands,
                                                    ArrayRef<NamedAttribute> attributes) {
  for (Value v : operands)
    if (!v || !isa<RankedTensorType>(v.getType()))
      return error("an operand is missing");
  MLIRContext *ctx = context();
  // The op's inherent attributes are its properties: built here from the
  // attributes, for the type inference that runs before the op exists.
  OperationName opName(name, ctx);
  DictionaryAttr dictionary = DictionaryAttr::get(ctx, attributes);
  SmallVector<uint64_t> storage((opName.getOpPropertyByteSize() + 7) / 8);
  OpaqueProperties properties(storage.empty() ? nullptr : storage.data());
  if (properties)
    opName.initOpProperties(properties, OpaqueProperties(nullptr));
  llvm::scope_exit destroy([&] {
    if (properties)
      opName.destroyOpProperties(properties);
  });
  if (properties && failed(opName.setOpPropertiesFromAttribute(opName, properties, dictionary,
                                                               [&] { return emitError(loc); })))
    return failure();
  SmallVector<Type> types;
  if (failed(infer(ctx, loc, operands, dictionary, properties, RegionRange(), types)))
    return failure();
  for (Type type : types)
    if (auto tensor = dyn_cast<RankedTensorType>(type); tensor && !boundedTensorBytes(tensor))
      return error("its result " + shapeText(tensor.getShape()) +
                   " is beyond lathe's limit of " + Twine(LATHE_MAX_TENSOR_BYTES) +
                   " bytes a tensor");
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attributes);
  state.addTypes(types);
  Operation *op = builder.create(state);
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<Value> folded;
  if (succeeded(builder.tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded;
  }
  return SmallVector<Value>(op->getResults());
}
