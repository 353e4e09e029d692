//===- FuseElementwise.cpp - elementwise chains without recomputation -----===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Whether recomputing `producer` per element costs little: arithmetic
/// without divisions and math functions (exp, sqrt, pow, ...).
bool isCheap(Operation *producer) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(producer);
  if (!generic)
    return false;
  WalkResult expensive = generic.getRegion().walk([](Operation *op) {
    bool slow = (op->getDialect() && op->getDialect()->getNamespace() == "math") ||
                isa<arith::DivFOp, arith::DivSIOp, arith::DivUIOp, arith::RemFOp,
                    arith::RemSIOp, arith::RemUIOp>(op);
    return slow ? WalkResult::interrupt() : WalkResult::advance();
  });
  return !expensive.wasInterrupted();
}

struct FuseElementwisePass : public lathe::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *operand) {
      auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
      if (!consumer)
        return false;
      // A permutation reads each produced element once. A broadcast read
      // recomputes the producer per use: fine for cheap producers feeding an
      // elementwise consumer, never inside a reduction (a matmul would redo
      // it for every row of the other operand).
      // A producer that stays for its other users is computed twice when
      // fused: only cheap ones (attention's exponentials feed both their sum
      // and the weighted sum of v).
      Operation *producer = operand->get().getDefiningOp();
      if (!operand->get().hasOneUse() && !isCheap(producer))
        return false;
      return consumer.getMatchingIndexingMap(operand).isPermutation() ||
             (consumer.getNumReductionLoops() == 0 && isCheap(producer));
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
