//===- UnrollShortLoops.cpp - innermost loops of a few trips, unrolled ----===//
//
// A kernel whose innermost loops are a short sum (a Winograd transform: six
// terms for each of six outputs) leaves LLVM a loop it neither vectorizes
// (its trips run across the vector) nor reliably unrolls once it has been
// rotated and strength-reduced. Unrolled here, its trips become straight-line
// code inside the loop around it, which LLVM vectorizes, and its
// coefficients constant indices into a table LLVM can read.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"

namespace lathe {
#define GEN_PASS_DEF_UNROLLSHORTLOOPS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Ops in `loop`'s body, nested ones included.
int64_t bodySize(scf::ForOp loop) {
  int64_t ops = 0;
  loop.getBody()->walk([&](Operation *) { ++ops; });
  return ops;
}

struct UnrollShortLoopsPass : public lathe::impl::UnrollShortLoopsBase<UnrollShortLoopsPass> {
  using UnrollShortLoopsBase::UnrollShortLoopsBase;
  void runOnOperation() override {
    // Innermost first (post-order): a short nest unrolls from the inside out
    // for as long as it stays small.
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops) {
      bool holdsLoop = false;
      loop.getBody()->walk([&](Operation *op) {
        if (isa<LoopLikeOpInterface>(op))
          holdsLoop = true;
      });
      std::optional<APInt> trips = loop.getStaticTripCount();
      if (holdsLoop || !trips || trips->getSExtValue() < 1 || trips->getSExtValue() > maxTrips ||
          trips->getSExtValue() * bodySize(loop) > maxOps)
        continue;
      (void)loopUnrollFull(loop);
    }
  }
};

} // namespace
