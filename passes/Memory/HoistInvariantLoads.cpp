//===- HoistInvariantLoads.cpp - loads out of loops that cannot change them ===//
//
// In a channels-last convolution the innermost loop runs over filters and
// reads one input element per iteration at the same address. Input and
// output both live in the arena, so LLVM cannot prove that the loop's stores
// leave that element alone: it reloads it every iteration and does not
// vectorize. The arena plan knows better: two views of the arena whose byte
// ranges are disjoint never alias, nor do distinct buffers (the graph's
// inputs and outputs, the constants, the arena). With that, a load whose
// address does not change in a loop, from a buffer the loop does not store
// to, moves before the loop.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace lathe {
#define GEN_PASS_DEF_HOISTINVARIANTLOADS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Where a memref's elements lie: a root buffer and, for a view of it at a
/// constant offset, the byte range the view covers (the whole buffer else).
struct Extent {
  Value root;
  std::optional<std::pair<int64_t, int64_t>> bytes; // [begin, end)
};

Extent extentOf(Value memref) {
  std::optional<std::pair<int64_t, int64_t>> bytes;
  while (Operation *def = memref.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(def)) {
      auto type = view.getType();
      llvm::APInt offset;
      if (!bytes && type.hasStaticShape() &&
          matchPattern(view.getByteShift(), m_ConstantInt(&offset))) {
        int64_t size = type.getNumElements() * (type.getElementTypeBitWidth() / 8);
        bytes = std::make_pair(offset.getSExtValue(), offset.getSExtValue() + size);
      }
      memref = view.getSource();
    } else if (auto viewLike = dyn_cast<ViewLikeOpInterface>(def)) {
      // A subview, cast or reshape stays inside its source's range.
      memref = viewLike.getViewSource();
    } else {
      break;
    }
  }
  return {memref, bytes};
}

bool mayAlias(const Extent &a, const Extent &b) {
  if (a.root != b.root)
    // Distinct function arguments are distinct buffers; anything else
    // (an allocation, a value of unknown origin) may be shared.
    return !(isa<BlockArgument>(a.root) && isa<BlockArgument>(b.root));
  if (a.bytes && b.bytes)
    return a.bytes->first < b.bytes->second && b.bytes->first < a.bytes->second;
  return true;
}

bool definedOutside(Value v, scf::ForOp loop) {
  return !loop->isAncestor(v.getParentRegion()->getParentOp()) &&
         v.getParentRegion()->getParentOp() != loop.getOperation();
}

/// Moves out of `loop` the loads of its body whose memref and indices are
/// defined outside it and that no store inside it may overwrite.
void hoistFrom(scf::ForOp loop) {
  SmallVector<Extent> stored;
  bool opaqueWrite = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto store = dyn_cast<memref::StoreOp>(op))
      stored.push_back(extentOf(store.getMemRef()));
    else if (!isa<memref::LoadOp>(op) && !isMemoryEffectFree(op) &&
             !isa<scf::ForOp, scf::YieldOp>(op))
      opaqueWrite = true;
  });
  if (opaqueWrite)
    return;
  for (Operation &op : llvm::make_early_inc_range(*loop.getBody())) {
    auto load = dyn_cast<memref::LoadOp>(op);
    if (!load || !definedOutside(load.getMemRef(), loop) ||
        !llvm::all_of(load.getIndices(), [&](Value i) { return definedOutside(i, loop); }))
      continue;
    Extent read = extentOf(load.getMemRef());
    if (llvm::any_of(stored, [&](const Extent &w) { return mayAlias(read, w); }))
      continue;
    load->moveBefore(loop);
  }
}

struct HoistInvariantLoadsPass
    : public lathe::impl::HoistInvariantLoadsBase<HoistInvariantLoadsPass> {
  void runOnOperation() override {
    // Post-order: inner loops first, so a load can climb several levels.
    getOperation().walk([](scf::ForOp loop) { hoistFrom(loop); });
  }
};

} // namespace
