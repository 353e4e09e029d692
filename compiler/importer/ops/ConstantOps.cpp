//===- ConstantOps.cpp - ops that are constants once shapes are static ----===//
//
// Constant, and the ops whose value a static-shape compile knows at import
// (Shape, Size, ConstantOfShape, EyeLike, Range of constants): each becomes a
// lathe.constant, so the shape computations around them fold away.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/NodeImporter.h"
#include "compiler/importer/TensorConversion.h"
#include "dialects/lathe/SizeLimit.h"

#include <cmath>

using namespace mlir;
using namespace lathe;

namespace {

LogicalResult setConstant(NodeImporter &n, Attribute value) {
  auto type = cast<RankedTensorType>(cast<ElementsAttr>(value).getType());
  if (!boundedTensorBytes(type))
    return n.error("its result " + shapeText(type.getShape()) + " is beyond lathe's limit of " +
                   Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");
  return n.setOutputs(n.constant(cast<ElementsAttr>(value)));
}

DenseElementsAttr i64Vector(NodeImporter &n, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, n.builder.getI64Type());
  return DenseElementsAttr::get(type, values);
}

LogicalResult convertConstant(NodeImporter &n) {
  if (n.node.attribute_size() != 1)
    return n.error("expects exactly one value attribute");
  const onnx::AttributeProto &a = n.node.attribute(0);
  Builder &b = n.builder;
  if (a.name() == "value") {
    auto value = convertTensor(a.t(), n.context(), *n.model);
    if (!value)
      return n.error(llvm::toString(value.takeError()));
    return setConstant(n, *value);
  }
  if (a.name() == "value_float")
    return setConstant(n, DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                                 a.f()));
  if (a.name() == "value_int")
    return setConstant(n, DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                                 (int64_t)a.i()));
  if (a.name() == "value_floats") {
    SmallVector<float> values(a.floats().begin(), a.floats().end());
    return setConstant(n, DenseElementsAttr::get(
                              RankedTensorType::get({(int64_t)values.size()}, b.getF32Type()),
                              ArrayRef<float>(values)));
  }
  if (a.name() == "value_ints") {
    SmallVector<int64_t> values(a.ints().begin(), a.ints().end());
    return setConstant(n, i64Vector(n, values));
  }
  return n.unsupported("constant given as '" + a.name() + "'");
}

LogicalResult convertConstantOfShape(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto shape = n.intsInput(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return n.error("shape has a negative dim " + Twine(d));
  Attribute element = n.builder.getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *a = n.attribute("value")) {
    auto value = convertTensor(a->t(), n.context(), *n.model);
    if (!value)
      return n.error(llvm::toString(value.takeError()));
    auto dense = dyn_cast<DenseElementsAttr>(*value);
    if (!dense || dense.getNumElements() != 1)
      return n.error("value must hold one element");
    element = *dense.getValues<Attribute>().begin();
  }
  Type elementType = cast<TypedAttr>(element).getType();
  return setConstant(n, DenseElementsAttr::get(RankedTensorType::get(*shape, elementType),
                                               element));
}

LogicalResult convertShape(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  ArrayRef<int64_t> shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t start = n.intAttr("start", 0), end = n.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  return setConstant(n, i64Vector(n, shape.slice(start, std::max<int64_t>(end - start, 0))));
}

LogicalResult convertSize(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  return setConstant(n, DenseElementsAttr::get(RankedTensorType::get({}, n.builder.getI64Type()),
                                               n.inputType(0).getNumElements()));
}

LogicalResult convertEyeLike(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() != 2)
    return n.error("input must be 2-D");
  Type element = type.getElementType();
  if (const onnx::AttributeProto *dtype = n.attribute("dtype")) {
    element = elementTypeFor((int32_t)dtype->i(), n.context());
    if (!element)
      return n.unsupported("dtype " + onnxTypeName((int32_t)dtype->i()));
  }
  int64_t k = n.intAttr("k", 0), rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (rows * cols > (1 << 24))
    return n.unsupported("EyeLike larger than 16M elements");
  SmallVector<Attribute> values;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double v = c - r == k ? 1.0 : 0.0;
      values.push_back(isa<FloatType>(element) ? (Attribute)n.builder.getFloatAttr(element, v)
                                               : n.builder.getIntegerAttr(element, (int64_t)v));
    }
  return setConstant(n, DenseElementsAttr::get(RankedTensorType::get({rows, cols}, element),
                                               values));
}

/// Range of constant scalars: ceil((limit - start) / delta) elements.
LogicalResult convertRange(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  SmallVector<double> bounds;
  for (size_t i = 0; i < 3; ++i) {
    auto v = n.floatsInput(i, i == 0 ? "start" : i == 1 ? "limit" : "delta");
    if (failed(v))
      return failure();
    if (v->size() != 1)
      return n.error("start, limit and delta must be scalars");
    bounds.push_back((*v)[0]);
  }
  double start = bounds[0], limit = bounds[1], delta = bounds[2];
  if (delta == 0)
    return n.error("delta must not be 0");
  double steps = std::ceil((limit - start) / delta);
  if (std::isnan(steps) || steps > (1 << 24))
    return n.unsupported("Range of more than 16M elements (or not a number of them)");
  int64_t count = std::max<int64_t>(0, (int64_t)steps);
  // Position ids of a decoder with its cache in the session: the range
  // starts where the session is, its length does not change.
  SmallVector<int64_t> slopes;
  for (size_t i = 0; i < 3; ++i) {
    auto slope = n.positionSlope(i, i == 0 ? "start" : i == 1 ? "limit" : "delta");
    if (failed(slope))
      return failure();
    slopes.push_back(*slope);
  }
  if (slopes[0] != slopes[1] || slopes[2] != 0)
    return n.error("its length depends on the key/value cache's position");
  double first = slopes[0] ? 0 : start;
  Type element = n.inputType(0).getElementType();
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    double v = first + i * delta;
    values.push_back(isa<FloatType>(element) ? (Attribute)n.builder.getFloatAttr(element, v)
                                             : n.builder.getIntegerAttr(element, (int64_t)v));
  }
  auto range = DenseElementsAttr::get(RankedTensorType::get({count}, element), values);
  if (!slopes[0])
    return setConstant(n, range);
  auto at = n.atPosition(start, slopes[0], element);
  if (failed(at))
    return failure();
  auto result = n.build<AddOp>({n.constant(range), *at});
  return failed(result) ? failure() : n.setOutputs(*result);
}

} // namespace

void lathe::registerConstantOps(OpConverterTable &table) {
  table.add("Constant", convertConstant);
  table.add("ConstantOfShape", convertConstantOfShape);
  table.add("Shape", convertShape);
  table.add("Size", convertSize);
  table.add("EyeLike", convertEyeLike);
  table.add("Range", convertRange);
}
