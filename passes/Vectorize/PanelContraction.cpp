//===- PanelContraction.cpp - matmuls that read a packed operand ----------===//
#include "passes/Vectorize/PanelContraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AffineExpr.h"

using namespace mlir;

namespace {

/// The tile of a map (n floordiv tile, ..., n mod tile) over the loop `n`,
/// whose middle results are loops other than n.
std::optional<int64_t> panelTile(AffineMap map, int64_t n) {
  if (map.getNumResults() < 2)
    return std::nullopt;
  auto first = dyn_cast<AffineBinaryOpExpr>(map.getResult(0));
  auto last = dyn_cast<AffineBinaryOpExpr>(map.getResults().back());
  if (!first || !last || first.getKind() != AffineExprKind::FloorDiv ||
      last.getKind() != AffineExprKind::Mod)
    return std::nullopt;
  auto firstDim = dyn_cast<AffineDimExpr>(first.getLHS());
  auto lastDim = dyn_cast<AffineDimExpr>(last.getLHS());
  auto firstTile = dyn_cast<AffineConstantExpr>(first.getRHS());
  auto lastTile = dyn_cast<AffineConstantExpr>(last.getRHS());
  if (!firstDim || !lastDim || !firstTile || !lastTile || firstDim.getPosition() != n ||
      lastDim.getPosition() != n || firstTile.getValue() != lastTile.getValue() ||
      firstTile.getValue() < 1)
    return std::nullopt;
  for (AffineExpr middle : map.getResults().drop_front().drop_back()) {
    auto dim = dyn_cast<AffineDimExpr>(middle);
    if (!dim || dim.getPosition() == n)
      return std::nullopt;
  }
  return firstTile.getValue();
}

/// Whether the body is `out + a * b` in f32, where b may be an i8 block
/// argument converted to float (int8 panels of weight-only quantization):
/// -1 if no input is converted, else the index of the one that is.
std::optional<int64_t> multiplyAccumulate(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3 || !body->getArgument(2).getType().isF32())
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value acc = add.getLhs(), product = add.getRhs();
  if (acc != body->getArgument(2))
    std::swap(acc, product);
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (acc != body->getArgument(2) || !mul)
    return std::nullopt;
  // A factor is a block argument, or an i8 one converted.
  int64_t converted = -1;
  auto argument = [&](Value v) -> Value {
    auto convert = v.getDefiningOp<arith::SIToFPOp>();
    if (!convert || !convert.getIn().getType().isInteger(8))
      return v;
    if (auto arg = dyn_cast<BlockArgument>(convert.getIn()))
      converted = arg.getArgNumber();
    return convert.getIn();
  };
  Value lhs = argument(mul.getLhs()), rhs = argument(mul.getRhs());
  size_t expected = converted < 0 ? 3 : 4;
  if (body->getOperations().size() != expected)
    return std::nullopt;
  if ((lhs == body->getArgument(0) && rhs == body->getArgument(1)) ||
      (lhs == body->getArgument(1) && rhs == body->getArgument(0)))
    return converted;
  return std::nullopt;
}

} // namespace

std::optional<lathe::PanelContraction> lathe::matchPanelContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  std::optional<int64_t> converted = multiplyAccumulate(op);
  if (!converted)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t loops = iterators.size(), n = loops - 1;
  if (loops < 3 || iterators[n] != utils::IteratorType::parallel)
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation() || outMap.getNumResults() == 0 ||
      outMap.getResults().back() != getAffineDimExpr(n, op.getContext()))
    return std::nullopt;
  for (int64_t panel = 0; panel < 2; ++panel) {
    std::optional<int64_t> tile =
        panelTile(op.getMatchingIndexingMap(op.getDpsInputOperand(panel)), n);
    if (!tile || (*converted >= 0 && *converted != panel))
      continue;
    AffineMap aMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1 - panel));
    if (aMap.isFunctionOfDim(n))
      return std::nullopt;
    for (int64_t m = n - 1; m >= 0; --m)
      if (iterators[m] == utils::IteratorType::parallel)
        return PanelContraction{panel, n, m, *tile, /*vectorA=*/false,
                                /*integerPanel=*/*converted == panel};
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<lathe::PanelContraction> lathe::matchChannelwiseContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || multiplyAccumulate(op) != -1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t loops = iterators.size(), c = loops - 1;
  if (loops < 3 || iterators[c] != utils::IteratorType::parallel)
    return std::nullopt;
  AffineExpr channel = getAffineDimExpr(c, op.getContext());
  auto endsWithChannel = [&](AffineMap map) {
    return map.getNumResults() > 0 && map.getResults().back() == channel &&
           llvm::count_if(map.getResults(), [&](AffineExpr e) { return e.isFunctionOfDim(c); }) == 1;
  };
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation() || !endsWithChannel(outMap))
    return std::nullopt;
  int64_t m = c - 1;
  while (m >= 0 && iterators[m] != utils::IteratorType::parallel)
    --m;
  if (m < 0)
    return std::nullopt;
  for (int64_t w = 0; w < 2; ++w) {
    AffineMap wMap = op.getMatchingIndexingMap(op.getDpsInputOperand(w));
    AffineMap aMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1 - w));
    if (endsWithChannel(wMap) && endsWithChannel(aMap) && !wMap.isFunctionOfDim(m) &&
        aMap.isFunctionOfDim(m))
      return PanelContraction{w, c, m, 0, /*vectorA=*/true};
  }
  return std::nullopt;
}

int64_t lathe::registerRowsFor(int64_t rows, int64_t maxRows) {
  if (rows <= maxRows)
    return std::max<int64_t>(rows, 1);
  // A tile of r rows costs r multiply-adds per step and 2 for the panel
  // row; a row alone costs 1 and 2.
  int64_t best = maxRows, bestCost = INT64_MAX;
  for (int64_t r = maxRows; r >= (maxRows + 1) / 2; --r) {
    int64_t cost = rows / r * (r + 2) + rows % r * 3;
    if (cost < bestCost) {
      best = r;
      bestCost = cost;
    }
  }
  return best;
}

bool lathe::unitInnerStride(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.getRank() > 0 && succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}
