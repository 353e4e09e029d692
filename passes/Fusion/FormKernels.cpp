//===- FormKernels.cpp - reductions with their epilogues, one loop nest ---===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SmallBitVector.h"

namespace lathe {
#define GEN_PASS_DEF_FORMKERNELS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

bool hasReduction(linalg::LinalgOp op) { return op.getNumReductionLoops() > 0; }

bool isElementwise(linalg::GenericOp op) {
  return op.getNumReductionLoops() == 0 && op.getNumDpsInits() == 1 &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

/// The reduction `op` reads element for element (identity map: a broadcast
/// read would recompute it for every tile) that nothing else uses, if any.
linalg::LinalgOp singleUseReductionOperand(linalg::GenericOp op) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto producer = input->get().getDefiningOp<linalg::LinalgOp>();
    if (producer && hasReduction(producer) && producer->getNumResults() == 1 &&
        producer->getResult(0).hasOneUse() && op.getMatchingIndexingMap(input).isIdentity())
      return producer;
  }
  return nullptr;
}

/// The loops of a reduction that stay whole in a tile: the parallel loops
/// after its last reduction loop (a convolution's output row, a matmul's
/// columns), or its innermost loop if that is parallel. They run innermost
/// and contiguous, so they vectorize and amortize the loop overhead.
llvm::SmallBitVector wholeLoops(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t loops = iterators.size(), lastReduction = -1;
  for (int64_t i = 0; i < loops; ++i)
    if (iterators[i] == utils::IteratorType::reduction)
      lastReduction = i;
  llvm::SmallBitVector whole(loops);
  if (lastReduction < 0) {
    if (loops > 0)
      whole.set(loops - 1);
  } else {
    for (int64_t i = lastReduction + 1; i < loops; ++i)
      whole.set(i);
  }
  return whole;
}

/// Tiles `op` with size 1 along its parallel loops but those that stay whole
/// (see wholeLoops; for an epilogue, those of the reduction it claims),
/// unless that leaves no loop at all; fuses into the tile the fills that
/// initialize it and `claimed`, the one reduction it reads element for
/// element.
LogicalResult tileAndFuse(RewriterBase &rewriter, TilingInterface op, Operation *claimed) {
  auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
  // Tiling computes result slices from the result maps: each must be a
  // projected permutation (not, e.g., a constant index for a kept dim).
  for (OpOperand &init : linalgOp.getDpsInitsMutable())
    if (!linalgOp.getMatchingIndexingMap(&init).isProjectedPermutation())
      return failure();
  if (claimed)
    for (OpOperand &init : cast<linalg::LinalgOp>(claimed).getDpsInitsMutable())
      if (!cast<linalg::LinalgOp>(claimed).getMatchingIndexingMap(&init).isProjectedPermutation())
        return failure();
  SmallVector<utils::IteratorType> iterators = linalgOp.getIteratorTypesArray();
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  int64_t loops = iterators.size();
  if (loops == 0)
    return failure();
  llvm::SmallBitVector whole = wholeLoops(linalgOp);
  if (claimed) {
    // An epilogue's loops are the result dims of the reduction it claims.
    auto reduction = cast<linalg::LinalgOp>(claimed);
    llvm::SmallBitVector reductionWhole = wholeLoops(reduction);
    AffineMap resultMap = reduction.getMatchingIndexingMap(reduction.getDpsInitOperand(0));
    whole = llvm::SmallBitVector(loops);
    for (auto [dim, expr] : llvm::enumerate(resultMap.getResults()))
      if (reductionWhole.test(cast<AffineDimExpr>(expr).getPosition()) && (int64_t)dim < loops)
        whole.set(dim);
  }
  auto tiledTrips = [&](bool tileAll) {
    int64_t trips = 1;
    for (int64_t i = 0; i < loops; ++i)
      if (iterators[i] == utils::IteratorType::parallel && (tileAll || !whole.test(i)))
        trips *= ranges[i];
    return trips;
  };
  bool tileAll = tiledTrips(false) == 1;
  if (tiledTrips(tileAll) <= 1)
    return failure();
  SmallVector<OpFoldResult> tileSizes;
  for (int64_t i = 0; i < loops; ++i) {
    bool tile = iterators[i] == utils::IteratorType::parallel && (tileAll || !whole.test(i));
    tileSizes.push_back(rewriter.getIndexAttr(tile ? 1 : 0));
  }
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(tileSizes);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // Fills cost nothing to recompute per tile; anything else would be
  // recomputed for every tile, so only the claimed reduction is fused.
  options.setFusionControlFn([claimed](tensor::ExtractSliceOp, OpResult producer, bool)
                                 -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
    Operation *owner = producer.getOwner();
    if (isa<linalg::FillOp>(owner) || owner == claimed)
      return scf::SCFTileAndFuseOptions::ControlFnResult{};
    return std::nullopt;
  });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, op, options);
  if (failed(result))
    return failure();
  for (OpResult r : op->getResults())
    if (Value replacement = result->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, replacement);
  return success();
}

struct FormKernelsPass : public lathe::impl::FormKernelsBase<FormKernelsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    // Epilogues first: each claims its reduction.
    SmallVector<linalg::GenericOp> epilogues;
    func.walk([&](linalg::GenericOp op) {
      if (op->getParentOp() == func && isElementwise(op) && singleUseReductionOperand(op))
        epilogues.push_back(op);
    });
    for (linalg::GenericOp op : epilogues)
      (void)tileAndFuse(rewriter, cast<TilingInterface>(op.getOperation()),
                        singleUseReductionOperand(op));
    eraseDead(rewriter, func);
    // Then reductions still on their own, with their fill.
    SmallVector<linalg::LinalgOp> reductions;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOp() != func || !hasReduction(op) || op.getNumDpsInits() != 1)
        return;
      auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
      if (fill && fill->getResult(0).hasOneUse())
        reductions.push_back(op);
    });
    for (linalg::LinalgOp op : reductions)
      (void)tileAndFuse(rewriter, cast<TilingInterface>(op.getOperation()), nullptr);
    eraseDead(rewriter, func);
  }

  /// Erases what tiling left unused (users before producers).
  static void eraseDead(RewriterBase &rewriter, func::FuncOp func) {
    Block &body = func.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isa<linalg::LinalgOp, tensor::EmptyOp>(op) && op.use_empty())
        rewriter.eraseOp(&op);
  }
};

} // namespace
