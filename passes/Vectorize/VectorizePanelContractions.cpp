//===- VectorizePanelContractions.cpp - register tiles over packed panels -===//
//
// A contraction over packed panels (PanelContraction.h), on buffers, becomes
// a register tile: `rows` accumulators of one panel's width stay in vector
// registers through the whole reduction, and each reduction step loads one
// panel row (contiguous), broadcasts one element of `a` per row and issues
// one fused multiply-add per row. Loops left to LLVM would instead load and
// store the accumulators at every step. A panel narrower than the tile (the
// last one of a padded matrix) is read and written under a mask; rows past
// the last whole register tile run one at a time. Where a fill of the output
// right before initialized it, the accumulators start from its value and
// the fill goes.
//
// Panels of i8 (weight-only quantization) are loaded a row of bytes at a
// time and converted to floats in registers.
//
// A channelwise contraction (a depthwise convolution, PanelContraction.h)
// is the same tile with its channels as columns: each step loads one
// weight vector and, per row, one input vector instead of a broadcast.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Vectorize/PanelContraction.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

namespace lathe {
#define GEN_PASS_DEF_VECTORIZEPANELCONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// Emits the register tile of one contraction.
class RegisterTile {
public:
  /// `initial`, if set, is the f32 every output element holds before the
  /// contraction (the fill that initialized them, erased by the caller):
  /// the accumulators start from it instead of being loaded.
  RegisterTile(RewriterBase &rewriter, linalg::GenericOp op, lathe::PanelContraction panel,
               int64_t rows, Value initial)
      : b(rewriter), loc(op.getLoc()), op(op), panel(panel), rows(rows), initial(initial),
        vectorType(VectorType::get({panel.tile}, b.getF32Type())) {
    a = op.getDpsInputOperand(1 - panel.panelOperand);
    panels = op.getDpsInputOperand(panel.panelOperand);
    out = op.getDpsInitOperand(0);
  }

  void emit() {
    SmallVector<Range, 4> ranges = cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
    for (Range &r : ranges)
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    ivs.assign(sizes.size(), arith::ConstantIndexOp::create(b, loc, 0));
    zero = ivs.front();
    one = arith::ConstantIndexOp::create(b, loc, 1);
    // The parallel loops the tile does not cover run outermost, in order.
    SmallVector<int64_t> outer;
    for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      if (iterator == utils::IteratorType::parallel && (int64_t)loop != panel.rowLoop &&
          (int64_t)loop != panel.columnLoop)
        outer.push_back(loop);
    emitOuter(outer);
  }

private:
  void emitOuter(ArrayRef<int64_t> outer) {
    if (outer.empty())
      return emitPanels();
    auto loop = scf::ForOp::create(b, loc, zero, sizes[outer.front()], one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs[outer.front()] = loop.getInductionVar();
    emitOuter(outer.drop_front());
  }

  /// One panel at a time: a whole panel without masks, a narrower one with.
  void emitPanels() {
    Value tile = arith::ConstantIndexOp::create(b, loc, panel.tile);
    auto loop = scf::ForOp::create(b, loc, zero, sizes[panel.columnLoop], tile);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs[panel.columnLoop] = loop.getInductionVar();
    Value left = arith::SubIOp::create(b, loc, sizes[panel.columnLoop], loop.getInductionVar());
    Value width = arith::MinSIOp::create(b, loc, left, tile);
    Value whole = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, width, tile);
    scf::IfOp::create(
        b, loc, whole,
        [&](OpBuilder &, Location) {
          emitRowBlocks(nullptr);
          scf::YieldOp::create(b, loc);
        },
        [&](OpBuilder &, Location) {
          auto maskType = VectorType::get({panel.tile}, b.getI1Type());
          emitRowBlocks(vector::CreateMaskOp::create(b, loc, maskType, ValueRange{width}));
          scf::YieldOp::create(b, loc);
        });
  }

  /// Register tiles of `rows` rows, then the rows left one at a time.
  void emitRowBlocks(Value mask) {
    Value size = sizes[panel.rowLoop];
    Value step = arith::ConstantIndexOp::create(b, loc, rows);
    Value rest = arith::RemSIOp::create(b, loc, size, step);
    Value blocked = arith::SubIOp::create(b, loc, size, rest);
    for (auto [lower, upper, count] :
         {std::tuple{zero, blocked, rows}, std::tuple{blocked, size, int64_t(1)}}) {
      auto loop = scf::ForOp::create(b, loc, lower, upper,
                                     count == 1 ? one : step);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      emitTile(loop.getInductionVar(), count, mask);
    }
  }

  /// The indices of `operand` at the current loop indices.
  SmallVector<Value> indices(OpOperand *operand) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    SmallVector<Value> result;
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      result.push_back(getValueOrCreateConstantIndexOp(
          b, loc,
          affine::makeComposedFoldedAffineApply(b, loc, map.getSubMap({i}),
                                                getAsOpFoldResult(ivs))));
    return result;
  }

  /// Row `row + i`.
  Value rowAt(Value row, int64_t i) {
    if (i == 0)
      return row;
    return arith::AddIOp::create(b, loc, row, arith::ConstantIndexOp::create(b, loc, i));
  }

  /// A vector of the tile's width from `memref` (f32, or `element`), zeros
  /// past the mask.
  Value load(Value memref, ValueRange at, Value mask, Type element = {}) {
    VectorType type = element ? VectorType::get({panel.tile}, element) : vectorType;
    if (!mask)
      return vector::LoadOp::create(b, loc, type, memref, at);
    Value none = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
    return vector::MaskedLoadOp::create(b, loc, type, memref, at, mask, none);
  }

  void store(Value value, Value memref, ValueRange at, Value mask) {
    if (!mask)
      vector::StoreOp::create(b, loc, value, memref, at);
    else
      vector::MaskedStoreOp::create(b, loc, memref, at, mask, value);
  }

  /// `count` rows from `row`: accumulators loaded, the reduction loops with
  /// the accumulators carried, the accumulators stored.
  void emitTile(Value row, int64_t count, Value mask) {
    SmallVector<int64_t> reductions;
    for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
      if (iterator == utils::IteratorType::reduction) {
        reductions.push_back(loop);
        ivs[loop] = zero; // not read by the result map; no index of another loop
      }
    SmallVector<Value> accumulators;
    SmallVector<SmallVector<Value>> outIndices;
    Value splat = initial ? vector::BroadcastOp::create(b, loc, vectorType, initial) : Value();
    for (int64_t i = 0; i < count; ++i) {
      ivs[panel.rowLoop] = rowAt(row, i);
      outIndices.push_back(indices(out));
      accumulators.push_back(splat ? splat : load(out->get(), outIndices.back(), mask));
    }
    SmallVector<Value> results = emitReductions(reductions, row, count, mask, accumulators);
    for (int64_t i = 0; i < count; ++i)
      store(results[i], out->get(), outIndices[i], mask);
  }

  SmallVector<Value> emitReductions(ArrayRef<int64_t> reductions, Value row, int64_t count,
                                    Value mask, ValueRange accumulators) {
    if (reductions.empty())
      return emitStep(row, count, mask, accumulators);
    int64_t sums = independentSums(reductions, count);
    if (sums > 1)
      return emitSplitReduction(reductions.front(), sums, row, count, mask, accumulators);
    auto loop = scf::ForOp::create(b, loc, zero, sizes[reductions.front()], one, accumulators);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs[reductions.front()] = loop.getInductionVar();
    SmallVector<Value> next =
        emitReductions(reductions.drop_front(), row, count, mask, loop.getRegionIterArgs());
    scf::YieldOp::create(b, loc, next);
    return loop.getResults();
  }

  /// How many independent sums the innermost reduction of a tile of
  /// `count` rows keeps: a tile of one or two rows has too few accumulators
  /// to cover the multiply-add's latency (a chain each; a matrix-vector
  /// product, a decoder's step, would wait on it at every k), so steps of k
  /// go round-robin to `sums` sets, added at the end.
  int64_t independentSums(ArrayRef<int64_t> reductions, int64_t count) {
    if (reductions.size() != 1 || panel.vectorA || count > 2)
      return 1;
    int64_t sums = 4 / count;
    int64_t extent =
        cast<linalg::LinalgOp>(op.getOperation()).getStaticLoopRanges()[reductions.front()];
    return !ShapedType::isDynamic(extent) && extent < 2 * sums ? 1 : sums;
  }

  /// The reduction `loop` in steps of `sums`, step s into accumulator set
  /// s, the sets added pairwise, then the steps left over.
  SmallVector<Value> emitSplitReduction(int64_t loop, int64_t sums, Value row, int64_t count,
                                        Value mask, ValueRange accumulators) {
    Value size = sizes[loop];
    Value step = arith::ConstantIndexOp::create(b, loc, sums);
    Value rest = arith::RemSIOp::create(b, loc, size, step);
    Value whole = arith::SubIOp::create(b, loc, size, rest);
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0)));
    SmallVector<Value> sets(accumulators.begin(), accumulators.end());
    sets.append((sums - 1) * count, zeros);
    auto split = scf::ForOp::create(b, loc, zero, whole, step, sets);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(split.getBody());
      SmallVector<Value> next;
      for (int64_t s = 0; s < sums; ++s) {
        ivs[loop] = rowAt(split.getInductionVar(), s);
        llvm::append_range(next, emitStep(row, count, mask,
                                          split.getRegionIterArgs().slice(s * count, count)));
      }
      scf::YieldOp::create(b, loc, next);
    }
    SmallVector<Value> partial(split.getResults().begin(), split.getResults().end());
    for (int64_t width = sums; width > 1; width /= 2)
      for (int64_t s = 0; s < width / 2; ++s)
        for (int64_t i = 0; i < count; ++i)
          partial[s * count + i] = arith::AddFOp::create(b, loc, partial[s * count + i],
                                                         partial[(s + width / 2) * count + i]);
    auto left = scf::ForOp::create(b, loc, whole, size, one,
                                   ArrayRef<Value>(partial).take_front(count));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(left.getBody());
    ivs[loop] = left.getInductionVar();
    scf::YieldOp::create(b, loc, emitStep(row, count, mask, left.getRegionIterArgs()));
    return left.getResults();
  }

  /// A panel row: floats, or i8 converted in registers.
  Value loadPanelRow(Value mask) {
    if (!panel.integerPanel)
      return load(panels->get(), indices(panels), mask);
    Value bytes = load(panels->get(), indices(panels), mask, b.getI8Type());
    return arith::SIToFPOp::create(b, loc, vectorType, bytes);
  }

  /// One reduction step: a panel row times one `a` element per row.
  SmallVector<Value> emitStep(Value row, int64_t count, Value mask, ValueRange accumulators) {
    Value weights = loadPanelRow(mask);
    SmallVector<Value> next;
    for (int64_t i = 0; i < count; ++i) {
      ivs[panel.rowLoop] = rowAt(row, i);
      Value row;
      if (panel.vectorA) {
        row = load(a->get(), indices(a), mask);
      } else {
        Value element = memref::LoadOp::create(b, loc, a->get(), indices(a));
        row = vector::BroadcastOp::create(b, loc, vectorType, element);
      }
      next.push_back(vector::FMAOp::create(b, loc, row, weights, accumulators[i]));
    }
    return next;
  }

  RewriterBase &b;
  Location loc;
  linalg::GenericOp op;
  lathe::PanelContraction panel;
  int64_t rows;
  Value initial;
  VectorType vectorType;
  OpOperand *a, *panels, *out;
  SmallVector<Value> sizes, ivs;
  Value zero, one;
};

struct VectorizePanelContractionsPass
    : public lathe::impl::VectorizePanelContractionsBase<VectorizePanelContractionsPass> {
  using VectorizePanelContractionsBase::VectorizePanelContractionsBase;
  void runOnOperation() override {
    if (registerRows < 1) {
      getOperation().emitError("lathe-vectorize-panel-contractions needs register-rows >= 1");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, lathe::PanelContraction>> contractions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op.hasPureBufferSemantics())
        return;
      std::optional<lathe::PanelContraction> panel = lathe::matchPanelContraction(op);
      if (!panel && vectorWidth > 0)
        if ((panel = lathe::matchChannelwiseContraction(op))) {
          panel->tile = vectorWidth;
          if (!lathe::unitInnerStride(op.getDpsInputOperand(1 - panel->panelOperand)->get()))
            panel.reset();
        }
      if (panel && lathe::unitInnerStride(op.getDpsInputOperand(panel->panelOperand)->get()) &&
          lathe::unitInnerStride(op.getDpsInitOperand(0)->get()))
        contractions.push_back({op, *panel});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, panel] : contractions) {
      rewriter.setInsertionPoint(op);
      // The rows kernel formation blocked by (a static block, or the most
      // rows a block cut short at an edge has).
      int64_t rows = registerRows;
      int64_t extent = cast<linalg::LinalgOp>(op.getOperation()).getStaticLoopRanges()[panel.rowLoop];
      if (ShapedType::isDynamic(extent)) {
        Range range = cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, op.getLoc())[panel.rowLoop];
        FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
            presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(range.size),
            /*stopCondition=*/nullptr, /*closedUB=*/true);
        extent = succeeded(bound) ? *bound : 0;
      }
      if (extent > 0)
        rows = lathe::registerRowsFor(extent, registerRows);
      // A fill of the same buffer right before (kernel formation fuses a
      // reduction's fill into its tile) becomes the accumulators' start:
      // the tile writes every output element once, so the fill's stores
      // and the tile's loads of them are both saved.
      auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
      Value initial;
      if (fill && fill.hasPureBufferSemantics() &&
          fill.getDpsInitOperand(0)->get() == op.getDpsInitOperand(0)->get() &&
          fill.getDpsInputOperand(0)->get().getType().isF32())
        initial = fill.getDpsInputOperand(0)->get();
      RegisterTile(rewriter, op, panel, rows, initial).emit();
      rewriter.eraseOp(op);
      if (initial)
        rewriter.eraseOp(fill);
    }
  }
};

} // namespace
