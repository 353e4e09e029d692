//===- PlanArena.cpp - intermediate buffers at offsets of one arena -------===//
//
// The runtime allocates one arena per session and nothing during a run, so
// every intermediate buffer of the entry function needs a fixed offset in
// it. A buffer lives from its allocation to the last op that reads or writes
// it (or a view of it); two buffers may share bytes when their lifetimes do
// not overlap. Offsets are assigned greedily, largest buffer first, each into
// the smallest gap that fits (best fit), as TFLite's arena planner does.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace lathe {
#define GEN_PASS_DEF_PLANARENA
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  Operation *alloc;
  int64_t bytes;
  int64_t first, last; // positions in the function body
  int64_t offset = -1;
};

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

/// The position (in `body`) of the top-level op that contains `op`.
int64_t positionOf(Operation *op, Block &body, const DenseMap<Operation *, int64_t> &positions) {
  while (op->getBlock() != &body)
    op = op->getParentOp();
  return positions.lookup(op);
}

/// The last position at which `value`, or any view derived from it, is used.
int64_t lastUse(Value value, Block &body, const DenseMap<Operation *, int64_t> &positions) {
  int64_t last = -1;
  SmallVector<Value> work{value};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      last = std::max(last, positionOf(user, body, positions));
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          for (Value r : user->getResults())
            work.push_back(r);
    }
  }
  return last;
}

struct PlanArenaPass : public lathe::impl::PlanArenaBase<PlanArenaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t arenaBytes = 0, naiveBytes = 0, lowerBound = 0;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Deallocations end no lifetime here: the arena outlives the run.
      func.walk([](memref::DeallocOp dealloc) { dealloc.erase(); });
      Block &body = func.getBody().front();
      DenseMap<Operation *, int64_t> positions;
      int64_t index = 0;
      for (Operation &op : body)
        positions[&op] = index++;

      std::vector<Buffer> buffers;
      bool nestedAlloc = false;
      func.walk([&](Operation *op) {
        if (!isa<memref::AllocOp, memref::AllocaOp>(op))
          return;
        auto type = cast<MemRefType>(op->getResult(0).getType());
        if (op->getBlock() != &body || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
          op->emitError("lathe-plan-arena: buffer is not a static, top-level allocation");
          nestedAlloc = true;
          return;
        }
        int64_t bytes = type.getNumElements() *
                        std::max<int64_t>(1, (type.getElementTypeBitWidth() + 7) / 8);
        int64_t first = positions[op];
        int64_t last = std::max(first, lastUse(op->getResult(0), body, positions));
        buffers.push_back({op, alignUp(std::max<int64_t>(bytes, 1)), first, last});
      });
      if (nestedAlloc)
        return signalPassFailure();

      // Greedy by size, best fit among the gaps left by placed buffers whose
      // lifetimes overlap.
      std::vector<Buffer *> order;
      for (Buffer &b : buffers)
        order.push_back(&b);
      // Largest first; among equals, the earlier allocation first.
      std::sort(order.begin(), order.end(), [](Buffer *a, Buffer *b) {
        return a->bytes != b->bytes ? a->bytes > b->bytes : a->first < b->first;
      });
      std::vector<Buffer *> placed;
      int64_t size = 0;
      for (Buffer *buffer : order) {
        std::vector<Buffer *> overlapping;
        for (Buffer *other : placed)
          if (other->first <= buffer->last && buffer->first <= other->last)
            overlapping.push_back(other);
        std::sort(overlapping.begin(), overlapping.end(),
                  [](Buffer *a, Buffer *b) { return a->offset < b->offset; });
        int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
        for (Buffer *other : overlapping) {
          int64_t gap = other->offset - cursor;
          if (gap >= buffer->bytes && gap < bestGap) {
            best = cursor;
            bestGap = gap;
          }
          cursor = std::max(cursor, other->offset + other->bytes);
        }
        buffer->offset = best >= 0 ? best : cursor;
        size = std::max(size, buffer->offset + buffer->bytes);
        placed.push_back(buffer);
      }

      // Statistics: the sum of all buffers, and the most bytes live at once.
      for (Buffer &b : buffers)
        naiveBytes += b.bytes;
      for (int64_t step = 0; step < index; ++step) {
        int64_t live = 0;
        for (Buffer &b : buffers)
          if (b.first <= step && step <= b.last)
            live += b.bytes;
        lowerBound = std::max(lowerBound, live);
      }

      int64_t argBytes = std::max<int64_t>(size, 1);
      auto arenaType = MemRefType::get({argBytes}, IntegerType::get(&getContext(), 8));
      unsigned argIndex = func.getNumArguments();
      (void)func.insertArgument(
          argIndex, arenaType,
          DictionaryAttr::get(&getContext(),
                              {NamedAttribute(StringAttr::get(&getContext(), "lathe.arena"),
                                              UnitAttr::get(&getContext()))}),
          func.getLoc());
      Value arena = func.getArgument(argIndex);
      for (Buffer &b : buffers) {
        OpBuilder builder(b.alloc);
        Value offset = arith::ConstantIndexOp::create(builder, b.alloc->getLoc(), b.offset);
        Value view = memref::ViewOp::create(builder, b.alloc->getLoc(),
                                            b.alloc->getResult(0).getType(), arena, offset,
                                            ValueRange{});
        b.alloc->getResult(0).replaceAllUsesWith(view);
        b.alloc->erase();
      }
      arenaBytes = std::max(arenaBytes, size);
    }
    Builder b(&getContext());
    module->setAttr("lathe.arena_bytes", b.getI64IntegerAttr(arenaBytes));
    module->setAttr("lathe.naive_bytes", b.getI64IntegerAttr(naiveBytes));
    module->setAttr("lathe.arena_lower_bound_bytes", b.getI64IntegerAttr(lowerBound));
  }
};

} // namespace
