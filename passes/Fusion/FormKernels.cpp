//===- FormKernels.cpp - reductions with their epilogues, one loop nest ---===//
#include "passes/Passes.h"
#include "passes/Vectorize/PanelContraction.h"

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

/// The loops of `op` that some indexing map divides (mod, floordiv,
/// ceildiv: packed panels).
llvm::SmallBitVector dividedLoops(linalg::LinalgOp op) {
  llvm::SmallBitVector loops(op.getNumLoops());
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      e.walk([&](AffineExpr sub) {
        if (sub.getKind() != AffineExprKind::Mod && sub.getKind() != AffineExprKind::FloorDiv &&
            sub.getKind() != AffineExprKind::CeilDiv)
          return;
        sub.walk([&](AffineExpr leaf) {
          if (auto dim = dyn_cast<AffineDimExpr>(leaf))
            loops.set(dim.getPosition());
        });
      });
  return loops;
}

/// The row loop of a contraction over 8-bit panels (lathe.matmul_integer_packed
/// lowered: batch..., m, k, n with k and n divided into panels): the
/// parallel loop before the one reduction, which no map divides. Tiles of
/// rows leave the divided loops whole, so their slices stay exact.
std::optional<int64_t> integerPanelRowLoop(linalg::LinalgOp op) {
  auto elementOf = [](Value v) { return getElementTypeOrSelf(v.getType()); };
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !elementOf(op.getDpsInitOperand(0)->get()).isInteger(32) ||
      llvm::any_of(op.getDpsInputOperands(),
                   [&](OpOperand *input) { return !elementOf(input->get()).isInteger(8); }))
    return std::nullopt;
  llvm::SmallBitVector divided = dividedLoops(op);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t loops = iterators.size();
  if (divided.none() || op.getNumReductionLoops() != 1 || loops < 3 ||
      iterators[loops - 2] != utils::IteratorType::reduction || divided.test(loops - 3) ||
      llvm::any_of(llvm::seq<int64_t>(0, loops - 2), [&](int64_t i) { return divided.test(i); }))
    return std::nullopt;
  return loops - 3;
}

/// Whether tiling `op` computes its operand slices right. Slices are
/// computed from the extreme indices of a tile, which a map with mod or
/// floordiv does not bound (k mod 4 over [0, 37) is 0 at both ends): only
/// f32 panel contractions, whose tiles are whole panels, and 8-bit ones,
/// tiled by rows only, are tiled anyway.
bool tilable(linalg::LinalgOp op) {
  return dividedLoops(op).none() || lathe::matchPanelContraction(op).has_value() ||
         integerPanelRowLoop(op).has_value();
}

/// The reduction `op` reads element for element (identity map: a broadcast
/// read would recompute it for every tile) that nothing else uses, if any.
linalg::LinalgOp singleUseReductionOperand(linalg::GenericOp op) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto producer = input->get().getDefiningOp<linalg::LinalgOp>();
    if (producer && hasReduction(producer) && tilable(producer) && producer->getNumResults() == 1 &&
        producer->getResult(0).hasOneUse() && op.getMatchingIndexingMap(input).isIdentity())
      return producer;
  }
  return nullptr;
}

/// The loops of a reduction that stay whole in a tile: the parallel loops
/// after its last reduction loop (a convolution's output row, a matmul's
/// columns), or its innermost loop if that is parallel. They run innermost
/// and contiguous, so they vectorize and amortize the loop overhead. A
/// short nest innermost that sums (a Winograd transform: 6 outputs of 6
/// terms) is unrolled (lathe-unroll-short-loops) into the loop around it:
/// it stays whole, and that loop counts as innermost.
llvm::SmallBitVector wholeLoops(linalg::LinalgOp op) {
  constexpr int64_t kUnrolledTrips = 64;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t loops = iterators.size(), trips = 1, shortNest = loops;
  bool sums = false;
  for (int64_t i = loops - 1; i > 0 && !ShapedType::isDynamic(ranges[i]) &&
                              trips * ranges[i] <= kUnrolledTrips;
       --i) {
    trips *= ranges[i];
    sums |= iterators[i] == utils::IteratorType::reduction;
    if (sums && iterators[i - 1] == utils::IteratorType::parallel)
      shortNest = i;
  }
  llvm::SmallBitVector whole(loops);
  if (shortNest < loops) {
    whole.set(shortNest - 1, loops);
    return whole;
  }
  int64_t lastReduction = -1;
  for (int64_t i = 0; i < loops; ++i)
    if (iterators[i] == utils::IteratorType::reduction)
      lastReduction = i;
  if (lastReduction < 0) {
    if (loops > 0)
      whole.set(loops - 1);
  } else {
    for (int64_t i = lastReduction + 1; i < loops; ++i)
      whole.set(i);
  }
  return whole;
}

/// The tile sizes (0: not tiled) of `op`'s loops that make a tile of it one
/// row (see wholeLoops; for an epilogue, those of the reduction it claims),
/// or none if that leaves a single tile. With no loop to keep whole, every
/// parallel loop is tiled.
SmallVector<int64_t> rowTileSizes(linalg::LinalgOp op, Operation *claimed) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t loops = iterators.size();
  llvm::SmallBitVector whole = wholeLoops(op);
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
    return {};
  // Loops that should stay whole but must be split for tiles to exist (a
  // global pool over a channels-last image, with one image) are split in
  // chunks of contiguous indices, not one index at a time: a chunk still
  // vectorizes along them.
  constexpr int64_t kContiguousChunk = 32;
  SmallVector<int64_t> sizes;
  for (int64_t i = 0; i < loops; ++i) {
    bool tiled = iterators[i] == utils::IteratorType::parallel && (tileAll || !whole.test(i));
    bool chunked = tiled && whole.test(i) && ranges[i] > kContiguousChunk &&
                   ranges[i] % kContiguousChunk == 0;
    sizes.push_back(!tiled ? 0 : chunked ? kContiguousChunk : whole.test(i) ? ranges[i] : 1);
  }
  if (llvm::all_of(llvm::zip(sizes, ranges), [](auto p) {
        return std::get<0>(p) == 0 || std::get<0>(p) >= std::get<1>(p);
      }))
    return {}; // a single tile
  return sizes;
}

/// A reduction's tile sizes as those of the epilogue that claims it (whose
/// loops are the reduction's result dims).
SmallVector<int64_t> forEpilogue(linalg::LinalgOp reduction, ArrayRef<int64_t> sizes) {
  AffineMap resultMap = reduction.getMatchingIndexingMap(reduction.getDpsInitOperand(0));
  SmallVector<int64_t> epilogueSizes;
  for (AffineExpr expr : resultMap.getResults())
    epilogueSizes.push_back(sizes[cast<AffineDimExpr>(expr).getPosition()]);
  return epilogueSizes;
}

/// The tile sizes for a contraction that reads packed panels (or for the
/// epilogue that claims one): one panel of columns, and a block of rows, a
/// multiple of the register tile's `registerRows`, whose `a` rows fit in L1
/// while the block sweeps the panels. Empty if `op` is no such thing.
SmallVector<int64_t> panelTileSizes(linalg::LinalgOp op, Operation *claimed,
                                    int64_t registerRows) {
  auto reduction = claimed ? cast<linalg::LinalgOp>(claimed) : op;
  std::optional<lathe::PanelContraction> panel = lathe::matchPanelContraction(reduction);
  if (!panel)
    return {};
  constexpr int64_t kRowBlockBytes = 32 * 1024;
  SmallVector<utils::IteratorType> iterators = reduction.getIteratorTypesArray();
  SmallVector<int64_t> ranges = reduction.getStaticLoopRanges();
  int64_t depth = 1;
  for (auto [iterator, range] : llvm::zip(iterators, ranges))
    if (iterator == utils::IteratorType::reduction)
      depth *= range;
  int64_t tileRows = lathe::registerRowsFor(ranges[panel->rowLoop], registerRows);
  int64_t rows = kRowBlockBytes / (depth * 4) / tileRows * tileRows;
  rows = std::min(std::max(rows, tileRows), ranges[panel->rowLoop]);
  SmallVector<int64_t> sizes;
  for (auto [loop, iterator] : llvm::enumerate(iterators))
    sizes.push_back(iterator == utils::IteratorType::reduction ? 0
                    : (int64_t)loop == panel->columnLoop ? panel->tile
                    : (int64_t)loop == panel->rowLoop    ? rows
                                                         : 1);
  return claimed ? forEpilogue(reduction, sizes) : sizes;
}

/// The tile sizes for a contraction over 8-bit panels (or for the epilogue
/// that claims one): blocks of rows that divide the rows evenly, whose bytes
/// of `a` fit in L1 while the block sweeps the panels, at least 4 blocks
/// where there are rows for them, a multiple of the dot-product kernel's 4
/// rows (lathe-vectorize-integer-panels) where one divides; every panel and
/// the whole reduction in each. Empty if `op` is no such thing.
SmallVector<int64_t> integerPanelTileSizes(linalg::LinalgOp op, Operation *claimed) {
  constexpr int64_t kRowBlockBytes = 32 * 1024, kKernelRows = 4, kBlocks = 4;
  auto reduction = claimed ? cast<linalg::LinalgOp>(claimed) : op;
  std::optional<int64_t> rowLoop = integerPanelRowLoop(reduction);
  if (!rowLoop)
    return {};
  SmallVector<utils::IteratorType> iterators = reduction.getIteratorTypesArray();
  SmallVector<int64_t> ranges = reduction.getStaticLoopRanges();
  int64_t loops = iterators.size(), depth = ranges[loops - 2], m = ranges[*rowLoop];
  // Static tiles (the kernel is written for static shapes): the largest
  // divisor of the rows up to the target, a multiple of the kernel's rows
  // where one is.
  int64_t target = std::max(std::min(kRowBlockBytes / depth, (int64_t)llvm::divideCeil(m, kBlocks)),
                            2 * kKernelRows);
  int64_t rows = 0, anyDivisor = 1;
  for (int64_t d = std::min(target, m); d >= 1 && !rows; --d)
    if (m % d == 0) {
      anyDivisor = std::max(anyDivisor, d);
      if (d % kKernelRows == 0)
        rows = d;
    }
  if (!rows)
    rows = anyDivisor;
  SmallVector<int64_t> sizes;
  for (int64_t loop = 0; loop < loops; ++loop)
    sizes.push_back(loop == *rowLoop ? rows : loop < *rowLoop ? 1 : 0);
  return claimed ? forEpilogue(reduction, sizes) : sizes;
}

/// In the tiles of a contraction over 8-bit panels, the panels whole: the
/// tiles split rows only, but the slice tiling computes for the panels from
/// the extreme indices of the untiled k and n is wrong under their mod
/// (k mod 4 over [0, 37) spans one index), so each slice of an operand
/// read through the untiled loops alone is replaced by what it slices.
void wholePanels(RewriterBase &rewriter, LoopLikeOpInterface loop) {
  loop->walk([&](linalg::GenericOp tiled) {
    std::optional<int64_t> rowLoop = integerPanelRowLoop(tiled);
    if (!rowLoop)
      return;
    for (OpOperand *input : tiled.getDpsInputOperands()) {
      auto slice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
      AffineMap map = tiled.getMatchingIndexingMap(input);
      bool untiledOnly = llvm::all_of(llvm::seq<int64_t>(0, *rowLoop + 1), [&](int64_t d) {
        return !map.isFunctionOfDim(d);
      });
      if (slice && untiledOnly)
        rewriter.modifyOpInPlace(tiled, [&] { input->set(slice.getSource()); });
    }
  });
}

/// The tile sizes of a kernel with neither reduction to claim nor epilogue
/// (elementwise ops, transposes, copies, reductions with no fill of their
/// own): its outer parallel loops one index at a time, until there are
/// enough tiles to share among threads; the rest of the op stays whole, as
/// contiguous as it was. None if its outermost loop is not parallel or
/// every outer loop has a single index.
SmallVector<int64_t> outerTileSizes(linalg::LinalgOp op) {
  constexpr int64_t kEnoughTiles = 16;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> sizes(iterators.size(), 0);
  int64_t tiles = 1;
  for (size_t i = 0; i + 1 < iterators.size() && tiles < kEnoughTiles; ++i) {
    if (iterators[i] != utils::IteratorType::parallel || ShapedType::isDynamic(ranges[i]))
      break;
    sizes[i] = 1;
    tiles *= ranges[i];
  }
  if (tiles <= 1)
    return {};
  return sizes;
}

/// Tiles `op` into rows (rowTileSizes) or, for a contraction over packed
/// panels, into register-tile blocks (panelTileSizes), or, `alone`, into
/// outer tiles (outerTileSizes); fuses into the tile the fills that
/// initialize it and `claimed`, the one reduction it reads element for
/// element. The tiles form one scf.forall.
LogicalResult tileAndFuse(RewriterBase &rewriter, TilingInterface op, Operation *claimed,
                          int64_t registerRows, bool alone = false) {
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
  if (linalgOp.getNumLoops() == 0)
    return failure();
  SmallVector<int64_t> sizes = alone ? outerTileSizes(linalgOp)
                                     : panelTileSizes(linalgOp, claimed, registerRows);
  if (sizes.empty() && !alone)
    sizes = integerPanelTileSizes(linalgOp, claimed);
  if (sizes.empty() && !alone)
    sizes = rowTileSizes(linalgOp, claimed);
  if (sizes.empty())
    return failure();
  SmallVector<OpFoldResult> tileSizes;
  for (int64_t size : sizes)
    tileSizes.push_back(rewriter.getIndexAttr(size));
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(tileSizes);
  // Tiles write disjoint slices and split no reduction: they may run in any
  // order, on any thread, and compute the same bits.
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
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
  for (LoopLikeOpInterface loop : result->loops)
    wholePanels(rewriter, loop);
  for (OpResult r : op->getResults())
    if (Value replacement = result->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, replacement);
  return success();
}

struct FormKernelsPass : public lathe::impl::FormKernelsBase<FormKernelsPass> {
  using FormKernelsBase::FormKernelsBase;
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
                        singleUseReductionOperand(op), registerRows);
    eraseDead(rewriter, func);
    // Then reductions still on their own, with their fill.
    SmallVector<linalg::LinalgOp> reductions;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOp() != func || !hasReduction(op) || !tilable(op) ||
          op.getNumDpsInits() != 1)
        return;
      auto fill = op.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>();
      if (fill && fill->getResult(0).hasOneUse())
        reductions.push_back(op);
    });
    for (linalg::LinalgOp op : reductions)
      (void)tileAndFuse(rewriter, cast<TilingInterface>(op.getOperation()), nullptr,
                        registerRows);
    eraseDead(rewriter, func);
    // Then every other kernel, alone.
    SmallVector<linalg::LinalgOp> rest;
    func.walk([&](linalg::LinalgOp op) {
      // Operand slices of a tile are exact where every map is a projected
      // permutation, a broadcast dim read at 0 allowed (elementwise ops,
      // broadcasts, transposes, row reductions).
      if (op->getParentOp() == func && op.getNumLoops() > 1 &&
          !isa<linalg::FillOp>(op.getOperation()) &&
          llvm::all_of(op.getIndexingMapsArray(), [](AffineMap map) {
            return map.isProjectedPermutation(/*allowZeroInResults=*/true);
          }))
        rest.push_back(op);
    });
    for (linalg::LinalgOp op : rest) {
      writeInPlaceOfDyingInput(op);
      (void)tileAndFuse(rewriter, cast<TilingInterface>(op.getOperation()), nullptr,
                        registerRows, /*alone=*/true);
    }
    eraseDead(rewriter, func);
  }

  /// An elementwise op that reads, element for element, a tensor nothing
  /// else reads, and whose result is a fresh tensor, takes that input as its
  /// destination: bufferization then writes the result over it, as the
  /// arena plan does for a whole elementwise op, and the tiles keep doing
  /// so (where that would clobber a value still needed, bufferization
  /// copies instead).
  static void writeInPlaceOfDyingInput(linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || !isElementwise(generic) ||
        !generic.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>() ||
        generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
      return;
    Type resultType = generic->getResult(0).getType();
    for (OpOperand *input : generic.getDpsInputOperands()) {
      Value v = input->get();
      if (v.getType() != resultType || !generic.getMatchingIndexingMap(input).isIdentity() ||
          !isa_and_present<linalg::LinalgOp, scf::ForallOp>(v.getDefiningOp()) ||
          llvm::any_of(v.getUsers(), [&](Operation *user) { return user != generic; }))
        continue;
      generic.getDpsInitOperand(0)->set(v);
      return;
    }
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
