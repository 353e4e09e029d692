//===- OutlineParallelLoops.cpp - kernels' tiles on the session's threads ===//
//
// Kernel formation leaves each kernel an scf.forall of independent tiles.
// On buffers, a forall with enough work becomes a function of its own that
// runs the iterations [begin, end) of the forall, linearized, and a call
// that hands [0, count) to the runtime's parallel_for through the kernel
// services the entry receives (artifact_format.h). The call is to a
// declaration named LATHE_PARALLEL_FOR_PREFIX + the body's name; emitting
// the object defines it (packing the body's pointers into a context on the
// stack), so generated code names no symbol of the runtime.
//
// It runs before the arena plan. What the body reads from outside is a
// buffer (an argument of the entry: an input, an output, the constants; or
// an allocation the plan will place in the arena), passed as such, or is
// computed from those by pure ops (views of the constants, indices), which
// are computed again in the body: its arguments are distinct buffers, as
// the entry's are, and aliasing analysis sees the same views there. A
// buffer allocated inside the tile (an intermediate of one iteration) goes
// on the stack of the thread that runs the range, allocated once before its
// loop.
//
// The grain (the fewest iterations a thread takes) comes from the work of
// one iteration, so that a range is worth waking a thread for; a kernel
// with too little work in all stays on the calling thread.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Memory/TileBuffers.h"

#include "dialects/lathe/LatheDialect.h"
#include "lathe/artifact_format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"

namespace lathe {
#define GEN_PASS_DEF_OUTLINEPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Element steps (one multiply-add, one elementwise result) below which a
/// kernel is not split, and the fewest a range of it gets.
constexpr int64_t kMinParallelWork = int64_t(1) << 16;
constexpr int64_t kMinRangeWork = int64_t(1) << 14;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a > 0 && b > INT64_MAX / a)
    return INT64_MAX;
  return a * b;
}

/// The element steps of one iteration of `loop`: the iteration spaces of
/// the structured ops in it (a tile cut short at an edge counts whole).
int64_t workPerIteration(scf::ForallOp loop) {
  int64_t work = 0;
  loop.getBody()->walk([&](linalg::LinalgOp op) {
    int64_t steps = 1;
    for (int64_t range : op.getStaticLoopRanges())
      steps = saturatingMul(steps, ShapedType::isDynamic(range) ? 16 : range);
    work = steps > INT64_MAX - work ? INT64_MAX : work + steps;
  });
  return std::max<int64_t>(work, 1);
}

/// The trip counts of `loop`'s dims, if its bounds are constants.
std::optional<SmallVector<int64_t>> tripCounts(scf::ForallOp loop) {
  SmallVector<int64_t> trips;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getMixedLowerBound(), loop.getMixedUpperBound(), loop.getMixedStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    trips.push_back(*u > *l ? (*u - *l + *s - 1) / *s : 0);
  }
  return trips;
}

/// What the body of `loop` reads from outside: entry arguments to pass
/// (memrefs the bare-pointer convention passes as pointers) and pure ops to
/// compute again, in order. False if it reads anything else.
bool collectCaptures(scf::ForallOp loop, func::FuncOp func, llvm::SetVector<Value> &arguments,
                     SmallVector<Operation *> &recomputed) {
  llvm::SetVector<Value> outside;
  getUsedValuesDefinedAbove(loop.getRegion(), outside);
  llvm::SetVector<Operation *> ops;
  SmallVector<Value> work(outside.begin(), outside.end());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    auto buffer = [&] {
      auto type = dyn_cast<MemRefType>(v.getType());
      return type && type.hasStaticShape() && type.getLayout().isIdentity();
    };
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &func.getBody().front() || !buffer())
        return false;
      arguments.insert(arg);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (isa<memref::AllocOp>(def) && def->getBlock() == &func.getBody().front() && buffer()) {
      arguments.insert(v);
      continue;
    }
    if (def->getNumRegions() || !isPure(def) || def->getBlock() != &func.getBody().front())
      return false;
    if (ops.insert(def))
      llvm::append_range(work, def->getOperands());
  }
  recomputed.assign(ops.begin(), ops.end());
  llvm::sort(recomputed, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  // The entry's arguments in their order, then allocations in theirs.
  SmallVector<Value> ordered(arguments.begin(), arguments.end());
  llvm::sort(ordered, [](Value a, Value b) {
    auto argA = dyn_cast<BlockArgument>(a), argB = dyn_cast<BlockArgument>(b);
    if (argA && argB)
      return argA.getArgNumber() < argB.getArgNumber();
    if (argA || argB)
      return bool(argA);
    return a.getDefiningOp()->isBeforeInBlock(b.getDefiningOp());
  });
  arguments.clear();
  arguments.insert(ordered.begin(), ordered.end());
  return true;
}

/// Fills and copies bufferization made (a pad's zero fill and the copy of
/// its interior) are kernels no earlier pass tiled: one with enough work
/// becomes a forall over its outermost loop of more than one index, each
/// iteration the op on a slice.
void splitBufferKernels(func::FuncOp func) {
  for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
    if (!isa<linalg::FillOp, linalg::CopyOp, linalg::MapOp>(op))
      continue;
    auto linalgOp = cast<linalg::LinalgOp>(op);
    SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
    int64_t work = 1;
    for (int64_t range : ranges)
      work = ShapedType::isDynamic(range) ? 0 : saturatingMul(work, range);
    auto split = llvm::find_if(ranges, [](int64_t range) { return range > 1; });
    if (!linalgOp.hasPureBufferSemantics() || work < kMinParallelWork || split == ranges.end())
      continue;
    int64_t dim = split - ranges.begin();
    OpBuilder b(&op);
    Location loc = op.getLoc();
    auto loop = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
                                      ArrayRef<OpFoldResult>{b.getIndexAttr(ranges[dim])},
                                      ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{},
                                      std::nullopt);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<OpFoldResult> offsets(ranges.size(), b.getIndexAttr(0)), sizes;
    for (int64_t range : ranges)
      sizes.push_back(b.getIndexAttr(range));
    offsets[dim] = loop.getInductionVar(0);
    sizes[dim] = b.getIndexAttr(1);
    if (failed(cast<TilingInterface>(op).getTiledImplementation(b, offsets, sizes))) {
      loop.erase();
      continue;
    }
    op.erase();
  }
}

struct OutlineParallelLoopsPass
    : public lathe::impl::OutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    for (func::FuncOp func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal() || func.isPrivate())
        continue;
      // Every entry takes the services, whether or not it splits a kernel.
      unsigned servicesIndex = func.getNumArguments();
      StringAttr marker = StringAttr::get(context, lathe::LatheDialect::ServicesAttrHelper::getNameStr());
      (void)func.insertArgument(servicesIndex, LLVM::LLVMPointerType::get(context),
                                DictionaryAttr::get(context, {NamedAttribute(marker, UnitAttr::get(context))}),
                                func.getLoc());
      Value services = func.getArgument(servicesIndex);
      splitBufferKernels(func);
      int index = 0;
      for (auto loop : llvm::to_vector(func.getBody().front().getOps<scf::ForallOp>()))
        if (succeeded(outline(module, func, loop, services, index)))
          ++index;
    }
  }

  LogicalResult outline(ModuleOp module, func::FuncOp func, scf::ForallOp loop, Value services,
                        int index) {
    if (!loop.getOutputs().empty())
      return failure(); // still on tensors
    std::optional<SmallVector<int64_t>> trips = tripCounts(loop);
    if (!trips)
      return failure();
    int64_t count = 1;
    for (int64_t trip : *trips)
      count = saturatingMul(count, trip);
    int64_t perIteration = workPerIteration(loop);
    if (count < 2 || count >= (int64_t(1) << 31) ||
        saturatingMul(count, perIteration) < kMinParallelWork)
      return failure();
    llvm::SetVector<Value> arguments;
    SmallVector<Operation *> recomputed;
    if (!collectCaptures(loop, func, arguments, recomputed))
      return failure();
    // The tile's own buffers, sized while the loop's bounds bound them.
    SmallVector<int64_t> tileBufferBytes;
    bool bounded = true;
    loop.getBody()->walk([&](memref::AllocOp alloc) {
      FailureOr<int64_t> bytes = lathe::largestBytes(alloc);
      bounded &= succeeded(bytes);
      tileBufferBytes.push_back(succeeded(bytes) ? *bytes : 0);
    });
    if (!bounded)
      return failure();
    int64_t grain = std::max<int64_t>(1, (kMinRangeWork + perIteration - 1) / perIteration);

    // The body: iterations [begin, end) of the linearized forall.
    MLIRContext *context = module.getContext();
    Location loc = loop.getLoc();
    OpBuilder b(context);
    Type indexType = b.getIndexType();
    SmallVector<Type> bodyInputs;
    for (Value v : arguments)
      bodyInputs.push_back(v.getType());
    bodyInputs.append({indexType, indexType});
    std::string name = (func.getSymName() + ".tiles" + Twine(index)).str();
    b.setInsertionPointToEnd(module.getBody());
    auto body = func::FuncOp::create(b, loc, name, b.getFunctionType(bodyInputs, {}));
    body.setPrivate();
    // Private in the object too: the entry stays its one exported function.
    body->setAttr("llvm.linkage", LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(arguments))
      map.map(v, entry->getArgument(i));
    for (Operation *op : recomputed)
      b.clone(*op, map);
    Value begin = entry->getArgument(arguments.size());
    Value end = entry->getArgument(arguments.size() + 1);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto linear = scf::ForOp::create(b, loc, begin, end, one);
    func::ReturnOp::create(b, loc);
    b.setInsertionPointToStart(linear.getBody());
    // Dim d's index: (i / product of the later trip counts) mod its count.
    Value rest = linear.getInductionVar();
    SmallVector<Value> ivs(trips->size());
    for (int64_t d = (int64_t)trips->size() - 1; d >= 0; --d) {
      Value trip = arith::ConstantIndexOp::create(b, loc, (*trips)[d]);
      Value position = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, trip).getResult();
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, trip);
      Value lower = getValueOrCreateConstantIndexOp(b, loc, loop.getMixedLowerBound()[d]);
      Value step = getValueOrCreateConstantIndexOp(b, loc, loop.getMixedStep()[d]);
      ivs[d] = arith::AddIOp::create(b, loc, lower, arith::MulIOp::create(b, loc, position, step));
    }
    for (auto [iv, value] : llvm::zip(loop.getInductionVars(), ivs))
      map.map(iv, value);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    // The tile's own buffers, once per range, on the stack.
    SmallVector<memref::AllocOp> tileBuffers;
    linear.getBody()->walk([&](memref::AllocOp alloc) { tileBuffers.push_back(alloc); });
    linear.getBody()->walk([&](memref::DeallocOp dealloc) { dealloc.erase(); });
    for (auto [alloc, bytes] : llvm::zip(tileBuffers, tileBufferBytes))
      lathe::allocateTileBufferBefore(alloc, bytes, linear, /*onStack=*/true);

    // The call that hands the iterations to the runtime.
    SmallVector<Type> dispatchInputs{services.getType()};
    llvm::append_range(dispatchInputs, bodyInputs);
    b.setInsertionPointAfter(body);
    auto dispatch = func::FuncOp::create(b, loc, (LATHE_PARALLEL_FOR_PREFIX + name),
                                         b.getFunctionType(dispatchInputs, {}));
    dispatch.setPrivate();
    b.setInsertionPoint(loop);
    SmallVector<Value> operands{services};
    llvm::append_range(operands, arguments);
    operands.push_back(arith::ConstantIndexOp::create(b, loc, count));
    operands.push_back(arith::ConstantIndexOp::create(b, loc, grain));
    func::CallOp::create(b, loc, dispatch, operands);
    loop.erase();
    return success();
  }
};

} // namespace
