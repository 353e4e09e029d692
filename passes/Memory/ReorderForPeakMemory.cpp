//===- ReorderForPeakMemory.cpp - an execution order with fewer live bytes ===//
//
// The arena can be no smaller than the most bytes live at one step of the
// execution order, and an exporter's order is rarely the best one: it may
// compute both branches of a block before consuming either, keeping both
// results alive. This pass reorders the top-level ops of a function (the
// kernels, after kernel formation) by list scheduling: among the ops whose
// operands are ready, run the one that adds the fewest bytes net of what
// it frees, ties in source order. The new order is kept only if its peak is
// below the source order's.
//
// The bytes follow how the code will be bufferized: an op writing into a
// destination (linalg, scf.for with its init) adds no buffer of its own,
// the empty tensor it writes into does, as soon as the first user of that
// buffer runs; views (reshapes, casts, slices) share their source's bytes;
// results the function returns live in the caller's buffers and count
// nothing. Ops without operands (constants, empty tensors) are moved right
// before their first user.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <functional>

namespace lathe {
#define GEN_PASS_DEF_REORDERFORPEAKMEMORY
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

int64_t bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  int64_t bits = tensor.getElementType().isIntOrFloat() ? tensor.getElementTypeBitWidth() : 64;
  return tensor.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

/// The ops of one block, the buffers their results live in, and which ops
/// touch which buffer.
class Schedule {
public:
  explicit Schedule(Block &body) {
    for (Operation &op : body.without_terminator()) {
      index[&op] = ops.size();
      ops.push_back(&op);
    }
    users.resize(ops.size());
    // The buffer of each value defined at the top level (arguments are the
    // caller's: bufferFor gives them none).
    for (Operation *op : ops)
      for (OpResult result : op->getResults()) {
        int64_t buffer = bufferFor(result);
        bufferOf[result] = buffer;
      }
    // Returned buffers belong to the caller.
    for (Value v : body.getTerminator()->getOperands())
      if (int64_t buffer = bufferOfValue(v); buffer >= 0)
        bytes[buffer] = 0;
    // Which top-level op reads or writes which buffer, and which ops it
    // must follow (through values its nested ops use too).
    predecessors.resize(ops.size());
    touching.resize(bytes.size());
    for (auto [position, op] : llvm::enumerate(ops)) {
      size_t i = position; // a plain variable the walk's lambda can capture
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (!def || !index.count(def))
            continue;
          int64_t from = index[def];
          if (from != (int64_t)i)
            predecessors[i].insert(from);
          if (int64_t buffer = bufferOfValue(operand); buffer >= 0)
            touches(i, buffer);
        }
      });
      for (Value result : op->getResults())
        if (int64_t buffer = bufferOfValue(result); buffer >= 0)
          touches(i, buffer);
    }
  }

  /// Whether an op has no operands (it moves next to its first user).
  bool floats(int64_t op) const { return ops[op]->getNumOperands() == 0; }

  /// The peak of live bytes when running the non-floating ops in `order`.
  int64_t peak(ArrayRef<int64_t> order) const {
    std::vector<int64_t> remaining(bytes.size());
    for (size_t b = 0; b < bytes.size(); ++b)
      remaining[b] = touching[b].size();
    std::vector<char> live(bytes.size(), 0);
    int64_t current = 0, peak = 0;
    for (int64_t op : order) {
      // The op's operands and results are live together while it runs.
      current += step(op, live);
      peak = std::max(peak, current);
      current -= release(op, remaining, live);
    }
    return peak;
  }

  /// List scheduling: the ready op with the smallest net growth first.
  std::vector<int64_t> greedyOrder() const {
    std::vector<int64_t> remaining(bytes.size());
    for (size_t b = 0; b < bytes.size(); ++b)
      remaining[b] = touching[b].size();
    std::vector<char> live(bytes.size(), 0), done(ops.size(), 0);
    std::vector<int64_t> order;
    size_t pending = 0;
    for (size_t i = 0; i < ops.size(); ++i)
      if (!floats(i))
        ++pending;
    while (order.size() < pending) {
      int64_t best = -1, bestGrowth = 0;
      for (size_t i = 0; i < ops.size(); ++i) {
        if (done[i] || floats(i) || !ready(i, done))
          continue;
        int64_t growth = added(i, live) - freed(i, remaining);
        if (best < 0 || growth < bestGrowth) {
          best = i;
          bestGrowth = growth;
        }
      }
      done[best] = 1;
      step(best, live);
      release(best, remaining, live);
      order.push_back(best);
    }
    return order;
  }

  /// Depth first from the results, as Sethi and Ullman order expression
  /// trees: of an op's operands, the one needing the most bytes to compute
  /// (net of what it leaves behind) first, so the others' results are not
  /// held while it runs.
  std::vector<int64_t> depthFirstOrder(Block &body) const {
    std::vector<int64_t> need(ops.size(), -1), order;
    std::vector<char> done(ops.size(), 0);
    std::function<void(int64_t)> visit = [&](int64_t op) {
      if (done[op] || floats(op))
        return;
      done[op] = 1;
      for (int64_t child : byNeed(predecessors[op].getArrayRef(), need))
        visit(child);
      order.push_back(op);
    };
    llvm::SetVector<int64_t> roots;
    for (Value v : body.getTerminator()->getOperands())
      if (Operation *def = v.getDefiningOp())
        if (auto it = index.find(def); it != index.end())
          roots.insert(it->second);
    for (int64_t root : byNeed(roots.getArrayRef(), need))
      visit(root);
    for (size_t i = 0; i < ops.size(); ++i)
      visit(i);
    return order;
  }

  /// Moves the ops into `order`, each floating op right before its first
  /// user (ops nobody uses stay in front).
  void apply(ArrayRef<int64_t> order, Block &body) {
    Operation *terminator = body.getTerminator();
    SmallVector<Operation *> unused;
    for (size_t i = 0; i < ops.size(); ++i)
      if (floats(i) && ops[i]->use_empty())
        unused.push_back(ops[i]);
    for (Operation *op : unused)
      op->moveBefore(terminator);
    std::vector<char> placed(ops.size(), 0);
    for (int64_t i : order) {
      // The floating ops it uses, unless an earlier op already did.
      ops[i]->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          if (Operation *def = operand.getDefiningOp())
            if (auto it = index.find(def); it != index.end() && floats(it->second) &&
                                           !placed[it->second]) {
              placed[it->second] = 1;
              def->moveBefore(terminator);
            }
      });
      ops[i]->moveBefore(terminator);
    }
  }

  std::vector<int64_t> sourceOrder() const {
    std::vector<int64_t> order;
    for (size_t i = 0; i < ops.size(); ++i)
      if (!floats(i))
        order.push_back(i);
    return order;
  }

private:
  /// The buffer `v` lives in, or -1 (an argument, or not a tensor).
  int64_t bufferOfValue(Value v) const {
    auto it = bufferOf.find(v);
    return it == bufferOf.end() ? -1 : it->second;
  }

  /// The bytes of the buffers `op` writes.
  int64_t written(int64_t op) const {
    int64_t sum = 0;
    for (Value result : ops[op]->getResults())
      if (int64_t buffer = bufferOfValue(result); buffer >= 0)
        sum += bytes[buffer];
    return sum;
  }

  /// The most bytes live while computing `op` and what it depends on alone
  /// (memoized in `need`; shared operands counted in each user).
  int64_t needOf(int64_t op, std::vector<int64_t> &need) const {
    if (need[op] >= 0)
      return need[op];
    need[op] = 0; // cut cycles through regions (not expected in SSA)
    int64_t held = 0, peak = 0;
    for (int64_t child : byNeed(predecessors[op].getArrayRef(), need)) {
      peak = std::max(peak, held + needOf(child, need));
      held += written(child);
    }
    return need[op] = std::max(peak, held + written(op));
  }

  /// `ops` (non-floating) by decreasing need net of the bytes they leave.
  SmallVector<int64_t> byNeed(ArrayRef<int64_t> candidates, std::vector<int64_t> &need) const {
    SmallVector<int64_t> sorted;
    for (int64_t op : candidates)
      if (!floats(op))
        sorted.push_back(op);
    llvm::stable_sort(sorted, [&](int64_t a, int64_t b) {
      return needOf(a, need) - written(a) > needOf(b, need) - written(b);
    });
    return sorted;
  }

  int64_t bufferFor(OpResult result) {
    Operation *op = result.getOwner();
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
      return bufferOfValue(dps.getTiedOpOperand(result)->get());
    if (auto loop = dyn_cast<scf::ForOp>(op))
      return bufferOfValue(loop.getInits()[result.getResultNumber()]);
    if (auto loop = dyn_cast<scf::ForallOp>(op))
      return bufferOfValue(loop.getOutputs()[result.getResultNumber()]);
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp,
            tensor::ExtractSliceOp>(op))
      return bufferOfValue(op->getOperand(0));
    if (auto view = dyn_cast<ViewLikeOpInterface>(op))
      return bufferOfValue(view.getViewSource());
    int64_t size = bytesOf(result.getType());
    if (size == 0)
      return -1;
    bytes.push_back(size);
    return bytes.size() - 1;
  }

  void touches(int64_t op, int64_t buffer) {
    if (floats(op))
      return; // an empty tensor is not live before its first user runs
    if (llvm::is_contained(users[op], buffer))
      return;
    users[op].push_back(buffer);
    touching[buffer].push_back(op);
  }

  bool ready(int64_t op, const std::vector<char> &done) const {
    for (int64_t p : predecessors[op])
      if (!floats(p) && !done[p])
        return false;
    return true;
  }

  int64_t added(int64_t op, const std::vector<char> &live) const {
    int64_t sum = 0;
    for (int64_t b : users[op])
      if (!live[b])
        sum += bytes[b];
    return sum;
  }

  int64_t freed(int64_t op, const std::vector<int64_t> &remaining) const {
    int64_t sum = 0;
    for (int64_t b : users[op])
      if (remaining[b] == 1)
        sum += bytes[b];
    return sum;
  }

  /// Makes the buffers `op` touches live; returns the bytes added.
  int64_t step(int64_t op, std::vector<char> &live) const {
    int64_t sum = added(op, live);
    for (int64_t b : users[op])
      live[b] = 1;
    return sum;
  }

  /// Ends the buffers `op` is the last to touch; returns the bytes freed.
  int64_t release(int64_t op, std::vector<int64_t> &remaining, std::vector<char> &live) const {
    int64_t sum = 0;
    for (int64_t b : users[op])
      if (--remaining[b] == 0) {
        live[b] = 0;
        sum += bytes[b];
      }
    return sum;
  }

  std::vector<Operation *> ops;
  DenseMap<Operation *, int64_t> index;
  DenseMap<Value, int64_t> bufferOf;
  std::vector<int64_t> bytes;
  std::vector<SmallVector<int64_t>> users;    // op -> buffers it touches
  std::vector<SmallVector<int64_t>> touching; // buffer -> ops touching it
  std::vector<llvm::SmallSetVector<int64_t, 4>> predecessors;
};

struct ReorderForPeakMemoryPass
    : public lathe::impl::ReorderForPeakMemoryBase<ReorderForPeakMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();
    Schedule schedule(body);
    // The candidate with the lowest peak; the source order on ties.
    std::vector<int64_t> best = schedule.sourceOrder();
    int64_t bestPeak = schedule.peak(best);
    for (std::vector<int64_t> order : {schedule.greedyOrder(), schedule.depthFirstOrder(body)}) {
      int64_t peak = schedule.peak(order);
      if (peak < bestPeak) {
        best = std::move(order);
        bestPeak = peak;
      }
    }
    if (best != schedule.sourceOrder())
      schedule.apply(best, body);
  }
};

} // namespace
