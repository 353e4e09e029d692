//===- PlanArena.cpp - intermediate buffers at offsets of one arena -------===//
//
// The runtime allocates one arena per session and nothing during a run, so
// every intermediate buffer of the entry function needs a fixed offset in
// it. A buffer lives from its allocation to the last op that reads or writes
// it (or a view of it); two buffers may share bytes when their lifetimes do
// not overlap, and an elementwise op reading a buffer for the last time may
// write its result in place of it. Offsets are assigned greedily, each buffer
// into the smallest gap that fits (best fit), as TFLite's arena planner does,
// under a few orders; the smallest arena is kept.
//
// The plan is made for the entry (the public function): a kernel's tiles
// that run on several threads were outlined into private functions before
// (lathe-outline-parallel-loops), and what stays in the entry runs on one
// thread, so a buffer a loop allocates per iteration is allocated once,
// before the loop.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Memory/TileBuffers.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <functional>

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
  /// The buffer whose bytes this one takes over in place, or -1.
  int64_t reuses = -1;
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

/// Places `buffers` in the order `before` gives (ties: earlier first), each at
/// the lowest-waste gap among placed buffers whose lifetimes overlap it;
/// fills `offsets` (by buffer index) and returns the arena size.
int64_t placeBuffers(const std::vector<Buffer> &buffers,
                     const std::function<bool(const Buffer *, const Buffer *)> &before,
                     std::vector<int64_t> &offsets) {
  std::vector<const Buffer *> order;
  for (const Buffer &b : buffers)
    order.push_back(&b);
  std::sort(order.begin(), order.end(), [&](const Buffer *a, const Buffer *b) {
    if (before(a, b))
      return true;
    if (before(b, a))
      return false;
    return a->first < b->first;
  });
  offsets.assign(buffers.size(), 0);
  std::vector<std::pair<const Buffer *, int64_t>> placed;
  int64_t size = 0;
  for (const Buffer *buffer : order) {
    std::vector<std::pair<int64_t, int64_t>> taken; // [offset, end)
    for (const auto &[other, offset] : placed)
      if (other->first <= buffer->last && buffer->first <= other->last)
        taken.push_back({offset, offset + other->bytes});
    std::sort(taken.begin(), taken.end());
    int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
    for (const auto &[offset, end] : taken) {
      int64_t gap = offset - cursor;
      if (gap >= buffer->bytes && gap < bestGap) {
        best = cursor;
        bestGap = gap;
      }
      cursor = std::max(cursor, end);
    }
    int64_t offset = best >= 0 ? best : cursor;
    offsets[buffer - buffers.data()] = offset;
    placed.push_back({buffer, offset});
    size = std::max(size, offset + buffer->bytes);
  }
  return size;
}

/// The smallest arena the greedy placement finds for `buffers` over `steps`
/// positions, each buffer into the best-fitting gap among placed buffers
/// whose lifetimes overlap it, under a few orders (largest first, as TFLite
/// does; longest-lived; their product; most crowded step first).
int64_t planOffsets(const std::vector<Buffer> &buffers, int64_t steps,
                    std::vector<int64_t> &offsets) {
  if (buffers.empty())
    return 0;
  std::vector<int64_t> liveAt(steps, 0);
  for (const Buffer &b : buffers)
    for (int64_t step = b.first; step <= b.last; ++step)
      liveAt[step] += b.bytes;
  // Lifetimes measured in the steps where some buffer begins or ends, so
  // that ops which begin or end none (a fill, a view) do not lengthen the
  // lifetimes around them and reorder the placement.
  std::vector<int64_t> events;
  for (const Buffer &b : buffers)
    events.insert(events.end(), {b.first, b.last});
  llvm::sort(events);
  events.erase(std::unique(events.begin(), events.end()), events.end());
  auto event = [&](int64_t position) {
    return std::lower_bound(events.begin(), events.end(), position) - events.begin();
  };
  auto span = [&](const Buffer *b) { return event(b->last) - event(b->first) + 1; };
  auto crowd = [&](const Buffer *b) {
    return *std::max_element(liveAt.begin() + b->first, liveAt.begin() + b->last + 1);
  };
  using Order = std::function<bool(const Buffer *, const Buffer *)>;
  Order orders[] = {
      [](const Buffer *a, const Buffer *b) { return a->bytes > b->bytes; },
      [&](const Buffer *a, const Buffer *b) {
        return span(a) != span(b) ? span(a) > span(b) : a->bytes > b->bytes;
      },
      [&](const Buffer *a, const Buffer *b) {
        return (double)a->bytes * span(a) > (double)b->bytes * span(b);
      },
      [&](const Buffer *a, const Buffer *b) {
        return crowd(a) != crowd(b) ? crowd(a) > crowd(b) : a->bytes > b->bytes;
      },
  };
  int64_t size = INT64_MAX;
  for (const Order &order : orders) {
    std::vector<int64_t> candidate;
    int64_t candidateSize = placeBuffers(buffers, order, candidate);
    if (candidateSize < size) {
      size = candidateSize;
      offsets = std::move(candidate);
    }
  }
  return size;
}

/// The allocation a memref value is a view of, if any.
Operation *rootAllocation(Value v) {
  while (v) {
    if (Operation *def = v.getDefiningOp()) {
      if (isa<memref::AllocOp, memref::AllocaOp>(def))
        return def;
      if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
        v = view.getViewSource();
        continue;
      }
    }
    return nullptr;
  }
  return nullptr;
}

bool isContiguous(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getLayout().isIdentity();
}

/// If `op` is an elementwise generic that writes buffer `out` while reading,
/// element for element, a buffer of the same size that dies at `op`, that
/// buffer: `out` may take over its bytes (in place). Every operand must use
/// an identity map on a contiguous view, so element k is read and written at
/// the same offset, and the dying buffer may be read through one operand
/// only.
int64_t inPlaceSource(Operation *op, int64_t out, const std::vector<Buffer> &buffers,
                      const DenseMap<Operation *, int64_t> &bufferOf, int64_t position) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInits() != 1 ||
      llvm::any_of(generic.getIteratorTypesArray(),
                   [](utils::IteratorType t) { return t != utils::IteratorType::parallel; }))
    return -1;
  OpOperand *init = generic.getDpsInitOperand(0);
  if (bufferOf.lookup(rootAllocation(init->get())) != out + 1 || !isContiguous(init->get()) ||
      !generic.getMatchingIndexingMap(init).isIdentity())
    return -1;
  int64_t source = -1;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    int64_t index = (int64_t)bufferOf.lookup(rootAllocation(input->get())) - 1;
    if (index < 0)
      continue;
    const Buffer &candidate = buffers[index];
    bool fits = candidate.bytes == buffers[out].bytes && candidate.last == position &&
                isContiguous(input->get()) && generic.getMatchingIndexingMap(input).isIdentity() &&
                cast<MemRefType>(input->get().getType()).getElementTypeBitWidth() ==
                    cast<MemRefType>(init->get().getType()).getElementTypeBitWidth();
    if (source >= 0 && index == source)
      return -1; // read twice: maybe at different elements
    if (fits && source < 0)
      source = index;
    else if (index == source)
      return -1;
  }
  return source;
}

/// Moves the allocations inside loops of `func` (a tile's intermediate) to
/// the top level, before the loop nest, at their largest size.
void hoistLoopBuffers(func::FuncOp func) {
  Block &body = func.getBody().front();
  SmallVector<memref::AllocOp> nested;
  func.walk([&](memref::AllocOp alloc) {
    if (alloc->getBlock() != &body)
      nested.push_back(alloc);
  });
  for (memref::AllocOp alloc : nested) {
    Operation *top = alloc;
    while (top->getBlock() != &body)
      top = top->getParentOp();
    if (FailureOr<int64_t> bytes = lathe::largestBytes(alloc); succeeded(bytes))
      lathe::allocateTileBufferBefore(alloc, *bytes, top, /*onStack=*/false);
  }
}

struct PlanArenaPass : public lathe::impl::PlanArenaBase<PlanArenaPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t arenaBytes = 0, naiveBytes = 0, lowerBound = 0;
    SmallVector<Attribute> plan;
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      // Deallocations end no lifetime here: the arena outlives the run.
      func.walk([](memref::DeallocOp dealloc) { dealloc.erase(); });
      hoistLoopBuffers(func);
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

      // In-place reuse: a buffer first written by an elementwise op that
      // reads a same-sized buffer dying there takes that buffer's bytes; the
      // two become one slot with the union of their lifetimes.
      DenseMap<Operation *, int64_t> bufferOf; // alloc -> index + 1
      for (auto [i, b] : llvm::enumerate(buffers))
        bufferOf[b.alloc] = i + 1;
      for (auto [i, b] : llvm::enumerate(buffers)) {
        Operation *writer = nullptr;
        int64_t writerPosition = INT64_MAX;
        for (Operation *user : b.alloc->getResult(0).getUsers()) {
          int64_t p = positionOf(user, body, positions);
          if (p < writerPosition) {
            writerPosition = p;
            writer = user;
          }
        }
        // Inside a loop nest, positions do not order the nested ops: a
        // buffer read again later in the same step is not "dying" there.
        if (writer && writer->getBlock() == &body)
          b.reuses = inPlaceSource(writer, i, buffers, bufferOf, writerPosition);
      }
      // Slots: chains of buffers reusing one another, placed as one.
      std::vector<int64_t> slotOf(buffers.size());
      for (size_t i = 0; i < buffers.size(); ++i)
        slotOf[i] = buffers[i].reuses >= 0 && buffers[i].reuses < (int64_t)i
                        ? slotOf[buffers[i].reuses]
                        : (int64_t)i;
      std::vector<Buffer> slots;
      std::vector<int64_t> slotIndex(buffers.size(), -1);
      for (size_t i = 0; i < buffers.size(); ++i) {
        int64_t root = slotOf[i];
        if (slotIndex[root] < 0) {
          slotIndex[root] = slots.size();
          slots.push_back(buffers[root]);
        }
        Buffer &slot = slots[slotIndex[root]];
        slot.first = std::min(slot.first, buffers[i].first);
        slot.last = std::max(slot.last, buffers[i].last);
      }

      // Placed with in-place slots, and with every buffer on its own (longer
      // slots can fragment the arena more than they save); the smaller wins.
      std::vector<int64_t> slotOffsets, bufferOffsets;
      int64_t slotSize = planOffsets(slots, index, slotOffsets);
      int64_t bufferSize = planOffsets(buffers, index, bufferOffsets);
      int64_t size = std::min(slotSize, bufferSize);
      if (slotSize <= bufferSize) {
        for (size_t i = 0; i < buffers.size(); ++i)
          buffers[i].offset = slotOffsets[slotIndex[slotOf[i]]];
      } else {
        for (size_t i = 0; i < buffers.size(); ++i)
          buffers[i].offset = bufferOffsets[i];
      }

      // Statistics: the sum of all buffers, and the most bytes live at once
      // (in-place pairs counted once).
      for (Buffer &b : buffers)
        naiveBytes += b.bytes;
      for (int64_t step = 0; step < index; ++step) {
        int64_t live = 0;
        for (Buffer &b : slots)
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
                              {NamedAttribute(StringAttr::get(&getContext(),
                                                              lathe::LatheDialect::ArenaAttrHelper::getNameStr()),
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
      // The plan as the compile report draws it.
      if (func.isPublic())
        for (Buffer &buffer : buffers)
          plan.push_back(DenseI64ArrayAttr::get(
              &getContext(), {buffer.offset, buffer.bytes, buffer.first, buffer.last}));
    }
    Builder b(&getContext());
    using lathe::LatheDialect;
    module->setAttr(LatheDialect::ArenaBytesAttrHelper::getNameStr(),
                    b.getI64IntegerAttr(arenaBytes));
    module->setAttr(LatheDialect::NaiveBytesAttrHelper::getNameStr(),
                    b.getI64IntegerAttr(naiveBytes));
    module->setAttr(LatheDialect::ArenaLowerBoundBytesAttrHelper::getNameStr(),
                    b.getI64IntegerAttr(lowerBound));
    module->setAttr(LatheDialect::ArenaBuffersAttrHelper::getNameStr(), b.getArrayAttr(plan));
  }
};

} // namespace
