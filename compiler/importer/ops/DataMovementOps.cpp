//===- DataMovementOps.cpp - reshapes, slices, gathers, resizes -----------===//
//
// Shape arguments (Reshape's shape, Slice's starts, Pad's pads...) must be
// constants once the model's shape computations have folded: they become
// attributes, and every result shape is static.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/NodeImporter.h"
#include "dialects/lathe/SizeLimit.h"

#include <cmath>

using namespace mlir;
using namespace lathe;

namespace {

LogicalResult reshapeTo(NodeImporter &n, Value input, ArrayRef<int64_t> shape) {
  auto result = n.build<ReshapeOp>(input, {n.array("shape", shape)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Reshape's target: 0 copies the input dim (unless allowzero), one -1 is
/// inferred from the element count.
LogicalResult convertReshape(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<int64_t> shape;
  if (n.sinceVersion < 5) {
    shape = n.intsAttr("shape");
  } else {
    if (failed(n.requireInputs(2)))
      return failure();
    auto given = n.intsInput(1, "shape");
    if (failed(given))
      return failure();
    shape = *given;
  }
  RankedTensorType type = n.inputType(0);
  bool allowZero = n.intAttr("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == 0 && !allowZero) {
      if ((int64_t)i >= type.getRank())
        return n.error("shape entry " + Twine(i) + " is 0 but the input has rank " +
                       Twine(type.getRank()));
      d = type.getDimSize(i);
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.error("shape has more than one -1");
      inferred = i;
      continue;
    }
    if (d < 0)
      return n.error("shape entry " + Twine(d) + " is invalid");
    if (d > kMaxExtent || (d && known > kMaxExtent / d))
      return n.error("shape " + shapeText(shape) + " is beyond lathe's limit of " +
                     Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");
    known *= d;
  }
  if (inferred >= 0) {
    if (known == 0 || type.getNumElements() % known)
      return n.error("cannot infer the -1 dim: " + Twine(type.getNumElements()) +
                     " elements do not divide by " + Twine(known));
    shape[inferred] = type.getNumElements() / known;
  }
  return reshapeTo(n, n.input(0), shape);
}

LogicalResult convertFlatten(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank(), axis = n.intAttr("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.error("axis " + Twine(n.intAttr("axis", 1)) + " is out of range for rank " +
                   Twine(rank));
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? rows : cols) *= type.getDimSize(d);
  return reshapeTo(n, n.input(0), {rows, cols});
}

/// Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after.
FailureOr<SmallVector<int64_t>> axesOf(NodeImporter &n) {
  if (n.sinceVersion >= 13) {
    if (!n.hasInput(1))
      return SmallVector<int64_t>();
    return n.intsInput(1, "axes");
  }
  return n.intsAttr("axes");
}

LogicalResult convertSqueeze(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto axes = axesOf(n);
  if (failed(axes))
    return failure();
  RankedTensorType type = n.inputType(0);
  SmallVector<bool> drop(type.getRank(), false);
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, type.getRank());
    if (failed(axis))
      return failure();
    if (type.getDimSize(*axis) != 1)
      return n.error("cannot squeeze dim " + Twine(*axis) + " of size " +
                     Twine(type.getDimSize(*axis)));
    drop[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!(axes->empty() ? type.getDimSize(d) == 1 : drop[d]))
      shape.push_back(type.getDimSize(d));
  return reshapeTo(n, n.input(0), shape);
}

LogicalResult convertUnsqueeze(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto axes = axesOf(n);
  if (failed(axes))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return n.error("axis " + Twine(a) + " appears twice");
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : type.getDimSize(next++));
  return reshapeTo(n, n.input(0), shape);
}

LogicalResult convertTranspose(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<int64_t> perm = n.intsAttr("perm");
  if (!n.hasAttr("perm"))
    for (int64_t d = n.inputType(0).getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  auto result = n.build<TransposeOp>(n.input(0), {n.array("perm", perm)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertConcat(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  SmallVector<Value> inputs;
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      inputs.push_back(n.input(i));
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<ConcatOp>(inputs, {n.i64("axis", *axis)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertSplit(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> sizes = n.intsAttr("split");
  if (n.sinceVersion >= 13 && n.hasInput(1)) {
    auto given = n.intsInput(1, "split");
    if (failed(given))
      return failure();
    sizes = *given;
  } else if (n.sinceVersion < 13 && n.sinceVersion >= 2 && sizes.empty() && n.hasInput(1)) {
    return n.unsupported("split sizes as an input before opset 13");
  }
  if (sizes.empty()) {
    int64_t parts = n.numOutputs(), dim = type.getDimSize(*axis);
    if (parts < 1 || dim % parts)
      return n.error("dim " + Twine(dim) + " does not split evenly into " + Twine(parts));
    sizes.assign(parts, dim / parts);
  }
  auto results = n.buildAll<SplitOp>(n.input(0), {n.i64("axis", *axis), n.array("sizes", sizes)});
  return failed(results) ? failure() : n.setOutputs(*results);
}

/// Slice bounds become one (start, end, step) per dim, clamped the way
/// ONNX defines: negative indices count from the end, then clamp to
/// [0, dim] (step > 0) or [-1, dim - 1] (step < 0).
LogicalResult convertSlice(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (n.sinceVersion < 10) {
    starts = n.intsAttr("starts");
    ends = n.intsAttr("ends");
    axes = n.intsAttr("axes");
  } else {
    if (failed(n.requireInputs(3)))
      return failure();
    auto s = n.intsInput(1, "starts"), e = failed(s) ? s : n.intsInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s, ends = *e;
    if (n.hasInput(3)) {
      auto a = n.intsInput(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (n.hasInput(4)) {
      auto st = n.intsInput(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return n.error("starts, ends, axes and steps differ in length");
  SmallVector<int64_t> outStarts(rank, 0), outEnds(type.getShape()), outSteps(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    FailureOr<int64_t> axis = n.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = type.getDimSize(*axis), step = steps[i];
    if (step == 0)
      return n.error("slice step must not be 0");
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    // Large sentinels (INT64_MAX / INT64_MIN) mean "to the end".
    outStarts[*axis] = clampIndex(std::clamp<int64_t>(starts[i], -dim - 1, dim + 1));
    outEnds[*axis] = clampIndex(std::clamp<int64_t>(ends[i], -dim - 1, dim + 1));
    // A step past the dim takes one element, as a step of the dim does; so
    // no step reaches INT64_MIN, MLIR's marker of a dynamic stride.
    outSteps[*axis] = std::clamp<int64_t>(step, -std::max<int64_t>(dim, 1), std::max<int64_t>(dim, 1));
  }
  auto result = n.build<SliceOp>(n.input(0), {n.array("starts", outStarts),
                                              n.array("ends", outEnds),
                                              n.array("steps", outSteps)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

template <typename OpTy>
LogicalResult convertGatherLike(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<OpTy>({n.input(0), n.input(1)}, {n.i64("axis", *axis)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertGatherND(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  auto result = n.build<GatherNDOp>({n.input(0), n.input(1)},
                                    {n.i64("batch_dims", n.intAttr("batch_dims", 0))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertScatterElements(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<ScatterElementsOp>(
      {n.input(0), n.input(1), n.input(2)},
      {n.i64("axis", *axis), n.str("reduction", n.stringAttr("reduction", "none"))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertScatterND(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  auto result = n.build<ScatterNDOp>({n.input(0), n.input(1), n.input(2)},
                                     {n.str("reduction", n.stringAttr("reduction", "none"))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertExpand(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  auto shape = n.intsInput(1, "shape");
  if (failed(shape))
    return failure();
  auto result = n.build<ExpandOp>(n.input(0), {n.array("shape", *shape)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertTile(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  if (n.sinceVersion < 6)
    return n.unsupported("Tile before opset 6 (tiles/axis inputs)");
  auto repeats = n.intsInput(1, "repeats");
  if (failed(repeats))
    return failure();
  auto result = n.build<TileOp>(n.input(0), {n.array("repeats", *repeats)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertPad(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> pads;
  double value = 0;
  if (n.sinceVersion < 11) {
    pads = n.intsAttr(n.sinceVersion < 2 ? "paddings" : "pads");
    value = n.floatAttr("value", 0.0f);
  } else {
    auto given = n.intsInput(1, "pads");
    if (failed(given))
      return failure();
    pads = *given;
    if (n.hasInput(2)) {
      auto v = n.floatsInput(2, "constant value");
      if (failed(v))
        return failure();
      if (v->size() != 1)
        return n.error("constant_value must be a scalar");
      value = (*v)[0];
    }
  }
  SmallVector<int64_t> full(2 * rank, 0);
  if (n.hasInput(3)) { // axes (opset 18)
    auto axes = n.intsInput(3, "axes");
    if (failed(axes))
      return failure();
    if (pads.size() != 2 * axes->size())
      return n.error("pads must hold two entries per axis");
    for (auto [i, a] : llvm::enumerate(*axes)) {
      FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
      if (failed(axis))
        return failure();
      full[*axis] = pads[i];
      full[*axis + rank] = pads[i + axes->size()];
    }
  } else {
    if ((int64_t)pads.size() != 2 * rank)
      return n.error("pads must hold " + Twine(2 * rank) + " entries, got " +
                     Twine(pads.size()));
    full = pads;
  }
  auto result = n.build<PadOp>(n.input(0), {n.array("pads", full),
                                            n.str("mode", n.stringAttr("mode", "constant")),
                                            n.f64("value", value)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertDepthToSpace(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto result = n.build<DepthToSpaceOp>(
      n.input(0), {n.i64("blocksize", n.intAttr("blocksize", 0)),
                   n.str("mode", n.stringAttr("mode", "DCR"))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertSpaceToDepth(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  auto result =
      n.build<SpaceToDepthOp>(n.input(0), {n.i64("blocksize", n.intAttr("blocksize", 0))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Resize (10: scales; 11+: roi, scales, sizes) and Upsample (7: scales
/// attribute; 9: scales input). Output sizes are resolved here; scales keep
/// what the coordinate transformation uses.
LogicalResult convertResize(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  bool upsample = n.opType() == "Upsample";
  bool modern = !upsample && n.sinceVersion >= 11;
  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  if (upsample && n.sinceVersion < 9) {
    for (float s : n.floatsAttr("scales"))
      scales.push_back(s);
  } else {
    size_t scalesInput = modern ? 2 : 1;
    if (n.hasInput(scalesInput)) {
      auto given = n.floatsInput(scalesInput, "scales");
      if (failed(given))
        return failure();
      scales = *given;
    }
    if (modern && n.hasInput(3)) {
      auto given = n.intsInput(3, "sizes");
      if (failed(given))
        return failure();
      sizes = *given;
    }
  }
  if (modern && n.hasInput(1) && n.stringAttr("coordinate_transformation_mode", "") ==
                                     "tf_crop_and_resize")
    return n.unsupported("tf_crop_and_resize");
  if (!sizes.empty()) {
    if ((int64_t)sizes.size() != rank)
      return n.error("sizes must hold one entry per dim");
    scales.clear();
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(type.getDimSize(d) ? (double)sizes[d] / type.getDimSize(d) : 1.0);
  } else {
    if ((int64_t)scales.size() != rank)
      return n.error("scales must hold one entry per dim (or give sizes)");
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0))
        return n.error("scales must be positive");
      sizes.push_back((int64_t)std::floor(type.getDimSize(d) * scales[d]));
    }
  }
  std::string mode = n.stringAttr("mode", "nearest");
  if (mode == "bilinear" || mode == "trilinear")
    mode = "linear";
  SmallVector<float> floatScales(scales.begin(), scales.end());
  auto result = n.build<ResizeOp>(
      n.input(0),
      {n.array("sizes", sizes), n.attr("scales", n.builder.getDenseF32ArrayAttr(floatScales)),
       n.str("mode", mode),
       n.str("coordinate_transformation_mode",
             modern ? n.stringAttr("coordinate_transformation_mode", "half_pixel")
                    : "asymmetric"),
       n.str("nearest_mode", modern ? n.stringAttr("nearest_mode", "round_prefer_floor")
                                    : "floor"),
       n.f32("cubic_coeff_a", n.floatAttr("cubic_coeff_a", -0.75f)),
       n.boolean("exclude_outside", n.intAttr("exclude_outside", 0) != 0),
       n.f32("extrapolation_value", n.floatAttr("extrapolation_value", 0.0f))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertTrilu(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  int64_t k = 0;
  if (n.hasInput(1)) {
    auto given = n.intsInput(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.error("k must be a scalar");
    k = (*given)[0];
  }
  bool upper = n.intAttr("upper", 1) != 0;
  FailureOr<int64_t> slope = n.positionSlope(1, "k");
  if (failed(slope))
    return failure();
  if (*slope == 0) {
    auto result = n.build<TriluOp>(n.input(0), {n.boolean("upper", upper), n.i64("k", k)});
    return failed(result) ? failure() : n.setOutputs(*result);
  }
  // A causal mask of a decoder with its cache in the session: its diagonal
  // follows the position at run time. Element (i, j) is kept where j - i is
  // at least k (upper) or at most k (lower).
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 2)
    return n.error("the input must have rank 2 or more");
  int64_t rows = type.getDimSize(type.getRank() - 2), cols = type.getShape().back();
  SmallVector<int64_t> offsets;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      offsets.push_back(j - i);
  auto i64 = n.builder.getI64Type();
  Value diagonals = n.constant(DenseElementsAttr::get(RankedTensorType::get({rows, cols}, i64),
                                                      ArrayRef<int64_t>(offsets)));
  auto kAt = n.atPosition((double)k, *slope, i64);
  if (failed(kAt))
    return failure();
  auto keep = upper ? n.build<GreaterOrEqualOp>({diagonals, *kAt})
                    : n.build<LessOrEqualOp>({diagonals, *kAt});
  if (failed(keep))
    return failure();
  auto result =
      n.build<WhereOp>({*keep, n.input(0), n.scalarConstant(type.getElementType(), 0)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertOneHot(NodeImporter &n) {
  if (failed(n.requireInputs(3)))
    return failure();
  auto depth = n.floatsInput(1, "depth");
  if (failed(depth))
    return failure();
  if (depth->size() != 1)
    return n.error("depth must be a scalar");
  int64_t rank = n.inputType(0).getRank() + 1;
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  auto result = n.build<OneHotOp>({n.input(0), n.input(2)},
                                  {n.i64("depth", (int64_t)(*depth)[0]), n.i64("axis", *axis)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertTopK(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  int64_t k = n.intAttr("k", 0);
  if (n.sinceVersion >= 10) {
    if (failed(n.requireInputs(2)))
      return failure();
    auto given = n.intsInput(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.error("K must hold one value");
    k = (*given)[0];
  }
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto results = n.buildAll<TopKOp>(
      n.input(0), {n.i64("k", k), n.i64("axis", *axis),
                   n.boolean("largest", n.intAttr("largest", 1) != 0),
                   n.boolean("sorted", n.intAttr("sorted", 1) != 0)});
  return failed(results) ? failure() : n.setOutputs(*results);
}

LogicalResult convertReverseSequence(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  auto result = n.build<ReverseSequenceOp>(
      {n.input(0), n.input(1)},
      {n.i64("batch_axis", n.intAttr("batch_axis", 1)), n.i64("time_axis", n.intAttr("time_axis", 0))});
  return failed(result) ? failure() : n.setOutputs(*result);
}

} // namespace

void lathe::registerDataMovementOps(OpConverterTable &table) {
  table.add("Reshape", convertReshape);
  table.add("Flatten", convertFlatten);
  table.add("Squeeze", convertSqueeze);
  table.add("Unsqueeze", convertUnsqueeze);
  table.add("Transpose", convertTranspose);
  table.add("Concat", convertConcat);
  table.add("Split", convertSplit);
  table.add("Slice", convertSlice);
  table.add("Gather", convertGatherLike<GatherOp>);
  table.add("GatherElements", convertGatherLike<GatherElementsOp>);
  table.add("GatherND", convertGatherND);
  table.add("ScatterElements", convertScatterElements);
  table.add("Scatter", convertScatterElements);
  table.add("ScatterND", convertScatterND);
  table.add("Expand", convertExpand);
  table.add("Tile", convertTile);
  table.add("Pad", convertPad);
  table.add("DepthToSpace", convertDepthToSpace);
  table.add("SpaceToDepth", convertSpaceToDepth);
  table.add("Resize", convertResize);
  table.add("Upsample", convertResize);
  table.add("Trilu", convertTrilu);
  table.add("OneHot", convertOneHot);
  table.add("TopK", convertTopK);
  table.add("ReverseSequence", convertReverseSequence);
}
