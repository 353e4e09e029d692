//===- ReductionOps.cpp - reductions, arg-reductions, softmax -------------===//
#include "compiler/importer/NodeImporter.h"

#include <numeric>

using namespace mlir;
using namespace lathe;

namespace {

/// Sorted unique non-negative axes; empty means "all axes" unless the node
/// asks for a no-op (noop_with_empty_axes).
FailureOr<SmallVector<int64_t>> normalizeAxes(NodeImporter &n, ArrayRef<int64_t> axes,
                                              int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t a : axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    result.push_back(*axis);
  }
  llvm::sort(result);
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

template <typename OpTy>
LogicalResult convertReduce(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> axes = n.intsAttr("axes");
  // ReduceSum takes axes as an input from opset 13 on.
  if (n.hasInput(1)) {
    auto given = n.intsInput(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  if (axes.empty()) {
    if (n.intAttr("noop_with_empty_axes", 0))
      return n.setOutputs(n.input(0));
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  auto normalized = normalizeAxes(n, axes, rank);
  if (failed(normalized))
    return failure();
  auto result = n.build<OpTy>(n.input(0), {n.array("axes", *normalized),
                                           n.boolean("keepdims", n.intAttr("keepdims", 1) != 0)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

template <typename OpTy>
LogicalResult convertArgReduce(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<OpTy>(
      n.input(0), {n.i64("axis", *axis), n.boolean("keepdims", n.intAttr("keepdims", 1) != 0),
                   n.boolean("select_last_index", n.intAttr("select_last_index", 0) != 0)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

/// Before opset 13, Softmax, LogSoftmax and Hardmax flatten the input to 2-D
/// at `axis` (default 1) and normalize each row; from 13 on they normalize
/// along one axis (default -1). The old form becomes reshape, op, reshape.
template <typename OpTy>
LogicalResult convertAxisNormalize(NodeImporter &n) {
  if (failed(n.requireInputs(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  bool coerced = n.sinceVersion < 13;
  FailureOr<int64_t> axis = n.normalizeAxis(n.intAttr("axis", coerced ? 1 : -1),
                                            std::max<int64_t>(rank, 1));
  if (failed(axis))
    return failure();
  if (!coerced || *axis == rank - 1) {
    auto result = n.build<OpTy>(n.input(0), {n.i64("axis", *axis)});
    return failed(result) ? failure() : n.setOutputs(*result);
  }
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? rows : cols) *= type.getDimSize(d);
  auto flat = n.build<ReshapeOp>(n.input(0), {n.array("shape", {rows, cols})});
  if (failed(flat))
    return failure();
  auto normalized = n.build<OpTy>(*flat, {n.i64("axis", 1)});
  if (failed(normalized))
    return failure();
  auto result = n.build<ReshapeOp>(*normalized, {n.array("shape", type.getShape())});
  return failed(result) ? failure() : n.setOutputs(*result);
}

LogicalResult convertCumSum(NodeImporter &n) {
  if (failed(n.requireInputs(2)))
    return failure();
  auto axisInput = n.intsInput(1, "axis");
  if (failed(axisInput))
    return failure();
  if (axisInput->size() != 1)
    return n.error("axis must be a scalar");
  FailureOr<int64_t> axis = n.normalizeAxis((*axisInput)[0], n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto result = n.build<CumSumOp>(
      n.input(0), {n.i64("axis", *axis), n.boolean("exclusive", n.intAttr("exclusive", 0) != 0),
                   n.boolean("reverse", n.intAttr("reverse", 0) != 0)});
  return failed(result) ? failure() : n.setOutputs(*result);
}

} // namespace

void lathe::registerReductionOps(OpConverterTable &table) {
  table.add("ReduceSum", convertReduce<ReduceSumOp>);
  table.add("ReduceMean", convertReduce<ReduceMeanOp>);
  table.add("ReduceMax", convertReduce<ReduceMaxOp>);
  table.add("ReduceMin", convertReduce<ReduceMinOp>);
  table.add("ReduceProd", convertReduce<ReduceProdOp>);
  table.add("ReduceL1", convertReduce<ReduceL1Op>);
  table.add("ReduceL2", convertReduce<ReduceL2Op>);
  table.add("ReduceLogSum", convertReduce<ReduceLogSumOp>);
  table.add("ReduceLogSumExp", convertReduce<ReduceLogSumExpOp>);
  table.add("ReduceSumSquare", convertReduce<ReduceSumSquareOp>);
  table.add("ArgMax", convertArgReduce<ArgMaxOp>);
  table.add("ArgMin", convertArgReduce<ArgMinOp>);
  table.add("Softmax", convertAxisNormalize<SoftmaxOp>);
  table.add("LogSoftmax", convertAxisNormalize<LogSoftmaxOp>);
  table.add("Hardmax", convertAxisNormalize<HardmaxOp>);
  table.add("CumSum", convertCumSum);
}
