//===- VectorizeIntegerPanels.cpp - 8-bit dot-product kernels over panels -===//
//
// lathe.matmul_integer_packed lowers to a generic that reads 8-bit panels of
// `lanes` columns x 4 rows at (n floordiv lanes, k floordiv 4, n mod lanes,
// k mod 4): one panel row is one vector register, laid out so that 32-bit
// lane j holds the 4 weights of column j for 4 consecutive k. The
// dot-product instructions lathe targets multiply two registers bytewise and
// sum each lane's 4 products into a 32-bit accumulator, so with the 4 bytes
// a[m, k..k+3] splat to every lane one instruction does 4 x lanes
// multiply-adds:
//   - Hexagon HVX vrmpy: 128-byte vectors (32 lanes), every signedness;
//   - x86 vpdpbusd (AVX512-VNNI on 64 bytes, 16 lanes; AVX-VNNI or
//     AVX512-VNNI with VL on 32 bytes, 8 lanes): unsigned a times signed
//     panels only (lathe-pack-integer-weights brings both to that form);
//   - AArch64 sdot/udot (FEAT_DotProd, 16-byte NEON registers, 4 lanes):
//     bytes of one signedness (lathe-pack-integer-weights --signed-lhs);
//   - AArch64 smmla/ummla (FEAT_I8MM): a 2 x 8 by 8 x 2 matrix product per
//     instruction over panels of 2 columns x 8 rows (MatrixMultiplyKernel).
// LLVM's vectorizers do not form these from the generic loops; this pass
// writes the loops around the intrinsics.
//
// Per row block (`rows` rows of a, sharing each panel load; the rows left
// over one smaller block) and panel, the
// accumulators start from the output buffer (the generic accumulates into
// it), run through the full 4-byte steps of K and a last partial step read
// with zero padding, and are stored back; a last panel narrower than the
// lanes is loaded and stored under a mask.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Vectorize/PanelContraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace lathe {
#define GEN_PASS_DEF_VECTORIZEINTEGERPANELS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

constexpr int64_t kDepth = 4;    // bytes one lane sums

/// A dot-product instruction: its 32-bit lanes, whether it takes the bytes
/// as 32-bit lanes (HVX) or as bytes, and the signedness of a and panels it
/// multiplies.
struct DotProduct {
  enum class Family { HexagonVrmpy, X86Vpdpbusd, AArch64Dot, AArch64Mmla };
  Family family;
  /// Columns per panel (the dot products' 32-bit lanes; smmla: 2).
  int64_t lanes;
  bool bytesAsLanes;
  /// Rows of the panels one instruction reads (bytes per lane; smmla: 8).
  int64_t depth = kDepth;

  /// Whether it multiplies a of `aUnsigned` bytes by panels of
  /// `panelsUnsigned` ones.
  bool multiplies(bool aUnsigned, bool panelsUnsigned) const {
    switch (family) {
    case Family::HexagonVrmpy:
      return true;
    case Family::X86Vpdpbusd:
      return aUnsigned && !panelsUnsigned;
    case Family::AArch64Dot:
    case Family::AArch64Mmla:
      return aUnsigned == panelsUnsigned;
    }
    return false;
  }
};

std::optional<DotProduct> dotProductNamed(StringRef name) {
  using Family = DotProduct::Family;
  if (name == "hexagon-vrmpy")
    return DotProduct{Family::HexagonVrmpy, 32, true};
  if (name == "x86-vpdpbusd-512")
    return DotProduct{Family::X86Vpdpbusd, 16, false};
  if (name == "x86-vpdpbusd-256")
    return DotProduct{Family::X86Vpdpbusd, 8, false};
  if (name == "aarch64-sdot")
    return DotProduct{Family::AArch64Dot, 4, false};
  if (name == "aarch64-smmla")
    return DotProduct{Family::AArch64Mmla, 2, false, 8};
  return std::nullopt;
}

/// out[..., m, n] += ext(a[..., m, k]) * ext(panels[n / lanes, k / 4, n % lanes, k % 4])
/// on buffers, i8 operands and an i32 result, all sizes static.
struct IntegerPanelContraction {
  OpOperand *a, *panels, *out;
  bool aUnsigned, panelsUnsigned;
};

/// Whether `v` is a block argument of `block` widened to i32, and how.
std::optional<std::pair<unsigned, bool>> widenedArgument(Value v, Block &block) {
  Operation *op = v.getDefiningOp();
  if (!op || !isa<arith::ExtUIOp, arith::ExtSIOp>(op))
    return std::nullopt;
  auto arg = dyn_cast<BlockArgument>(op->getOperand(0));
  if (!arg || arg.getOwner() != &block)
    return std::nullopt;
  return std::pair{arg.getArgNumber(), isa<arith::ExtUIOp>(op)};
}

std::optional<IntegerPanelContraction> matchContraction(linalg::GenericOp op, int64_t lanes,
                                                       int64_t depth) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      ShapedType::isDynamicShape(op.getStaticLoopRanges()))
    return std::nullopt;
  unsigned dims = op.getNumLoops();
  if (dims < 3)
    return std::nullopt;
  // Loops: batch..., m, k (the one reduction), n.
  for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    if ((iterator == utils::IteratorType::reduction) != (loop == dims - 2))
      return std::nullopt;
  MLIRContext *context = op.getContext();
  AffineExpr k = getAffineDimExpr(dims - 2, context), n = getAffineDimExpr(dims - 1, context);
  SmallVector<AffineExpr> outExprs;
  for (unsigned i = 0; i + 2 < dims; ++i)
    outExprs.push_back(getAffineDimExpr(i, context));
  outExprs.push_back(n);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[2] != AffineMap::get(dims, 0, outExprs, context))
    return std::nullopt;
  AffineMap panelMap = AffineMap::get(
      dims, 0, {n.floorDiv(lanes), k.floorDiv(depth), n % lanes, k % depth}, context);
  // The lhs: batch dims (or 0 where broadcast), then m and k.
  AffineMap lhsMap = maps[0];
  if (maps[1] != panelMap || lhsMap.getNumResults() < 2 ||
      lhsMap.getResult(lhsMap.getNumResults() - 1) != k ||
      lhsMap.getResult(lhsMap.getNumResults() - 2) != getAffineDimExpr(dims - 3, context))
    return std::nullopt;
  for (AffineExpr e : lhsMap.getResults().drop_back(2)) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    auto constant = dyn_cast<AffineConstantExpr>(e);
    if (!(dim && dim.getPosition() + 3 < dims) && !(constant && constant.getValue() == 0))
      return std::nullopt;
  }
  // Element types and the body: yield(out + ext(a) * ext(panel)).
  auto elementOf = [](OpOperand *o) { return cast<MemRefType>(o->get().getType()).getElementType(); };
  IntegerPanelContraction c{op.getDpsInputOperand(0), op.getDpsInputOperand(1),
                            op.getDpsInitOperand(0), false, false};
  if (!elementOf(c.a).isInteger(8) || !elementOf(c.panels).isInteger(8) ||
      !elementOf(c.out).isInteger(32) || !lathe::unitInnerStride(c.a->get()) ||
      !lathe::unitInnerStride(c.out->get()))
    return std::nullopt;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddIOp>();
  if (!add)
    return std::nullopt;
  Value accumulator = add.getLhs(), product = add.getRhs();
  if (accumulator != body.getArgument(2))
    std::swap(accumulator, product);
  auto mul = product.getDefiningOp<arith::MulIOp>();
  if (accumulator != body.getArgument(2) || !mul)
    return std::nullopt;
  auto x = widenedArgument(mul.getLhs(), body), y = widenedArgument(mul.getRhs(), body);
  if (!x || !y || x->first == y->first || x->first > 1 || y->first > 1)
    return std::nullopt;
  c.aUnsigned = x->first == 0 ? x->second : y->second;
  c.panelsUnsigned = x->first == 1 ? x->second : y->second;
  return c;
}

/// What both kernel forms share: the contraction's buffers and sizes, the
/// loops over its batch dims, and the indices of a row of a or the output.
class PanelKernel {
public:
  PanelKernel(RewriterBase &rewriter, linalg::GenericOp op, IntegerPanelContraction c)
      : b(rewriter), loc(op.getLoc()), op(op), c(c), sizes(op.getStaticLoopRanges()),
        dims(sizes.size()) {}
  virtual ~PanelKernel() = default;

  void emit() {
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    // One panel row (one register) is the last two dims of the panels buffer.
    panelRows = memref::CollapseShapeOp::create(
        b, loc, c.panels->get(), ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    ivs.assign(dims, zero);
    emitBatch(0);
  }

protected:
  /// The loops over the rows and panels of one batch element.
  virtual void emitRows() = 0;

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// `v + i` (`v` itself for 0).
  Value plus(Value v, int64_t i) {
    return i == 0 ? v : (Value)arith::AddIOp::create(b, loc, v, index(i));
  }

  /// The indices of `buffer` (a or the output) at `row`, inner index
  /// `inner`: the batch dims of its map (0 where broadcast), then those two.
  SmallVector<Value> indicesOf(OpOperand *buffer, Value row, Value inner) {
    AffineMap map = op.getMatchingIndexingMap(buffer);
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults().drop_back(2))
      result.push_back(isa<AffineDimExpr>(e) ? ivs[cast<AffineDimExpr>(e).getPosition()] : zero);
    result.push_back(row);
    result.push_back(inner);
    return result;
  }

  RewriterBase &b;
  Location loc;
  linalg::GenericOp op;
  IntegerPanelContraction c;
  SmallVector<int64_t> sizes;
  unsigned dims;
  SmallVector<Value> ivs;
  Value zero, one, panelRows;

private:
  void emitBatch(unsigned loop) {
    if (loop + 3 == dims)
      return emitRows();
    auto forOp = scf::ForOp::create(b, loc, zero, index(sizes[loop]), one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    ivs[loop] = forOp.getInductionVar();
    emitBatch(loop + 1);
  }
};

/// Emits the loops of one contraction in place of the generic.
class DotProductKernel final : public PanelKernel {
public:
  DotProductKernel(RewriterBase &rewriter, linalg::GenericOp op, IntegerPanelContraction c,
                   DotProduct instruction, int64_t rows, int64_t panels)
      : PanelKernel(rewriter, op, c), instruction(instruction), rows(rows),
        panelsPerTile(panels), laneCount(instruction.lanes),
        lanes(VectorType::get({laneCount}, rewriter.getI32Type())),
        bytes(VectorType::get({laneCount * kDepth}, rewriter.getI8Type())) {}

private:
  /// Blocks of `rows` rows, then the rows left as one smaller block (they
  /// too share each panel load).
  void emitRows() override {
    int64_t m = sizes[dims - 3], blocked = m - m % rows;
    for (auto [lower, upper, count] :
         {std::tuple{int64_t(0), blocked, rows}, std::tuple{blocked, m, m - blocked}}) {
      if (lower == upper)
        continue;
      auto forOp = scf::ForOp::create(b, loc, index(lower), index(upper), index(count));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      emitPanels(forOp.getInductionVar(), count);
    }
  }

  /// The whole panels `panelsPerTile` at a time in a loop (each row's
  /// splat shared by them), the whole ones left as one smaller tile, and a
  /// narrower last one under a mask.
  void emitPanels(Value row, int64_t count) {
    int64_t n = sizes[dims - 1], whole = n / laneCount;
    int64_t grouped = whole - whole % panelsPerTile;
    if (grouped > 0) {
      auto forOp = scf::ForOp::create(b, loc, zero, index(grouped), index(panelsPerTile));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      emitTile(row, count, forOp.getInductionVar(), panelsPerTile, nullptr);
    }
    if (whole > grouped)
      emitTile(row, count, index(grouped), whole - grouped, nullptr);
    if (n % laneCount) {
      auto maskType = VectorType::get({laneCount}, b.getI1Type());
      Value mask = vector::CreateMaskOp::create(b, loc, maskType, ValueRange{index(n % laneCount)});
      emitTile(row, count, index(whole), 1, mask);
    }
  }

  /// `count` rows from `row` times `panels` panels from `panel`; the
  /// accumulators row by row, each row's panels side by side.
  void emitTile(Value row, int64_t count, Value panel, int64_t panels, Value mask) {
    SmallVector<Value> accumulators;
    SmallVector<SmallVector<Value>> at;
    for (int64_t i = 0; i < count; ++i)
      for (int64_t p = 0; p < panels; ++p) {
        at.push_back(indicesOf(c.out, plus(row, i),
                                arith::MulIOp::create(b, loc, plus(panel, p), index(laneCount))));
        if (mask) {
          Value none = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(lanes, b.getI32IntegerAttr(0)));
          accumulators.push_back(vector::MaskedLoadOp::create(b, loc, lanes, c.out->get(), at.back(), mask, none));
        } else {
          accumulators.push_back(vector::LoadOp::create(b, loc, lanes, c.out->get(), at.back()));
        }
      }
    int64_t k = sizes[dims - 2], steps = k / kDepth;
    if (steps > 0) {
      auto forOp = scf::ForOp::create(b, loc, zero, index(steps), one, accumulators);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      SmallVector<Value> next = emitStep(row, count, panel, panels, forOp.getInductionVar(),
                                         forOp.getRegionIterArgs(), /*partial=*/false);
      scf::YieldOp::create(b, loc, next);
      accumulators = forOp.getResults();
    }
    if (k % kDepth)
      accumulators =
          emitStep(row, count, panel, panels, index(steps), accumulators, /*partial=*/true);
    for (auto [accumulator, where] : llvm::zip(accumulators, at)) {
      if (mask)
        vector::MaskedStoreOp::create(b, loc, c.out->get(), where, mask, accumulator);
      else
        vector::StoreOp::create(b, loc, accumulator, c.out->get(), where);
    }
  }

  /// Four bytes of row `row` from column 4 * `step`, splat to every lane; a
  /// partial step reads past K as zeros (the panels are zero there too).
  Value rowWord(Value row, Value step, bool partial) {
    auto four = VectorType::get({kDepth}, b.getI8Type());
    Value column = arith::MulIOp::create(b, loc, step, index(kDepth));
    SmallVector<Value> at = indicesOf(c.a, row, column);
    Value quad;
    if (partial) {
      Value padding = arith::ConstantIntOp::create(b, loc, 0, 8);
      quad = vector::TransferReadOp::create(b, loc, four, c.a->get(), at, padding,
                                            ArrayRef<bool>{false});
    } else {
      quad = vector::LoadOp::create(b, loc, four, c.a->get(), at);
    }
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), quad);
    Value scalar = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    return vector::BroadcastOp::create(b, loc, lanes, scalar);
  }

  /// One 4-byte step of the reduction: a row of each panel, `count` x
  /// `panels` dot products.
  SmallVector<Value> emitStep(Value row, int64_t count, Value panel, int64_t panels, Value step,
                              ValueRange accumulators, bool partial) {
    SmallVector<Value> weights;
    for (int64_t p = 0; p < panels; ++p) {
      Value w = vector::LoadOp::create(b, loc, bytes, panelRows,
                                       ValueRange{plus(panel, p), step, zero});
      weights.push_back(instruction.bytesAsLanes ? (Value)vector::BitCastOp::create(b, loc, lanes, w)
                                                 : w);
    }
    SmallVector<Value> next;
    for (int64_t i = 0; i < count; ++i) {
      Value word = rowWord(plus(row, i), step, partial);
      for (int64_t p = 0; p < panels; ++p)
        next.push_back(accumulate(accumulators[i * panels + p], word, weights[p]));
    }
    return next;
  }

  Value accumulate(Value accumulator, Value word, Value weights) {
    switch (instruction.family) {
    case DotProduct::Family::HexagonVrmpy:
      return vrmpyAccumulate(accumulator, word, weights);
    case DotProduct::Family::X86Vpdpbusd:
      return byteDotAccumulate("llvm.x86.avx512.vpdpbusd." + std::to_string(laneCount * 32),
                               accumulator, word, weights);
    case DotProduct::Family::AArch64Dot:
      return byteDotAccumulate(c.aUnsigned ? "llvm.aarch64.neon.udot.v4i32.v16i8"
                                           : "llvm.aarch64.neon.sdot.v4i32.v16i8",
                               accumulator, word, weights);
    case DotProduct::Family::AArch64Mmla:
      break; // MatrixMultiplyKernel's
    }
    llvm_unreachable("every dot-product family is handled");
  }

  /// x86 and AArch64: accumulator + per-lane dot product of the bytes of
  /// `word` (a) and of `weights`.
  Value byteDotAccumulate(const std::string &intrinsic, Value accumulator, Value word,
                          Value weights) {
    Value a = vector::BitCastOp::create(b, loc, bytes, word);
    return LLVM::CallIntrinsicOp::create(b, loc, lanes, b.getStringAttr(intrinsic),
                                         ValueRange{accumulator, a, weights})
        .getResult(0);
  }

  /// Hexagon: accumulator + per-lane 4-byte dot product of `word` (a) and
  /// `weights`.
  Value vrmpyAccumulate(Value accumulator, Value word, Value weights) {
    // vrmpybus multiplies unsigned bytes of its first vector by signed bytes
    // of its second; the other two take both alike.
    StringRef name = c.aUnsigned == c.panelsUnsigned
                         ? (c.aUnsigned ? "llvm.hexagon.V6.vrmpyubv.acc.128B"
                                        : "llvm.hexagon.V6.vrmpybv.acc.128B")
                         : "llvm.hexagon.V6.vrmpybusv.acc.128B";
    Value u = word, v = weights;
    if (!c.aUnsigned && c.panelsUnsigned)
      std::swap(u, v);
    return LLVM::CallIntrinsicOp::create(b, loc, lanes, b.getStringAttr(name),
                                         ValueRange{accumulator, u, v})
        .getResult(0);
  }

  DotProduct instruction;
  int64_t rows, panelsPerTile, laneCount;
  VectorType lanes, bytes;
};

/// AArch64's 8-bit matrix multiply (FEAT_I8MM): smmla (ummla for unsigned
/// bytes) takes two rows of 8 bytes of a in one register and two columns of
/// 8 bytes of a panel in another, and adds their 2 x 2 products to a
/// register of 4 sums: (row 0, column 0), (0, 1), (1, 0), (1, 1). The panels
/// are 2 columns x 8 rows, one register each. A tile is a pair of rows by up
/// to 4 panels (8 columns): each step loads the rows' 16 bytes once for its
/// panels. A last odd row pairs with zeros; an odd last column is loaded and
/// stored under a mask; a last partial step reads a past K as zeros (the
/// panels are zero there too).
class MatrixMultiplyKernel final : public PanelKernel {
public:
  static constexpr int64_t kColumns = 2, kDepth = 8, kPanelsPerTile = 4;

  MatrixMultiplyKernel(RewriterBase &rewriter, linalg::GenericOp op, IntegerPanelContraction c)
      : PanelKernel(rewriter, op, c), i8(rewriter.getI8Type()), i32(rewriter.getI32Type()) {}

private:
  VectorType vector(int64_t n, Type t) { return VectorType::get({n}, t); }

  /// Whole pairs of rows in a loop, then an odd last row.
  void emitRows() override {
    int64_t m = sizes[dims - 3];
    if (m >= 2) {
      auto forOp = scf::ForOp::create(b, loc, zero, index(m - m % 2), index(2));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      emitPanelGroups(forOp.getInductionVar(), /*pair=*/true);
    }
    if (m % 2)
      emitPanelGroups(index(m - 1), /*pair=*/false);
  }

  /// Groups of kPanelsPerTile whole panels in a loop, then the panels left
  /// (the last under a mask when N is odd).
  void emitPanelGroups(Value row, bool pair) {
    int64_t n = sizes[dims - 1], panels = (n + kColumns - 1) / kColumns;
    int64_t whole = n / kColumns, groups = whole / kPanelsPerTile;
    if (groups > 0) {
      auto forOp = scf::ForOp::create(b, loc, zero, index(groups * kPanelsPerTile),
                                      index(kPanelsPerTile));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      emitTile(row, pair, forOp.getInductionVar(), kPanelsPerTile, /*oddLast=*/false);
    }
    int64_t left = panels - groups * kPanelsPerTile;
    if (left > 0)
      emitTile(row, pair, index(groups * kPanelsPerTile), left, /*oddLast=*/n % kColumns != 0);
  }

  /// The 2 sums of one row's two columns from `column`, all of the pair's
  /// when `mask` is null.
  Value loadSums(Value row, Value column, Value mask) {
    SmallVector<Value> where = indicesOf(c.out, row, column);
    if (!mask)
      return vector::LoadOp::create(b, loc, vector(kColumns, i32), c.out->get(), where);
    Value none = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vector(kColumns, i32), b.getI32IntegerAttr(0)));
    return vector::MaskedLoadOp::create(b, loc, vector(kColumns, i32), c.out->get(), where, mask,
                                        none);
  }

  void storeSums(Value sums, Value row, Value column, Value mask) {
    SmallVector<Value> where = indicesOf(c.out, row, column);
    if (mask)
      vector::MaskedStoreOp::create(b, loc, c.out->get(), where, mask, sums);
    else
      vector::StoreOp::create(b, loc, sums, c.out->get(), where);
  }

  /// Rows `row` (and the next, for a pair) by `count` panels from `panel`.
  void emitTile(Value row, bool pair, Value panel, int64_t count, bool oddLast) {
    Value lastMask;
    if (oddLast)
      lastMask = vector::CreateMaskOp::create(b, loc, vector(kColumns, b.getI1Type()),
                                              ValueRange{one});
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vector(kColumns, i32), b.getI32IntegerAttr(0)));
    SmallVector<Value> columns, accumulators;
    for (int64_t p = 0; p < count; ++p) {
      Value panelIndex = plus(panel, p);
      columns.push_back(arith::MulIOp::create(b, loc, panelIndex, index(kColumns)));
      Value mask = p + 1 == count ? lastMask : nullptr;
      Value first = loadSums(row, columns.back(), mask);
      Value second = pair ? loadSums(plus(row, 1), columns.back(), mask) : zeros;
      accumulators.push_back(
          vector::ShuffleOp::create(b, loc, first, second, ArrayRef<int64_t>{0, 1, 2, 3}));
    }
    int64_t k = sizes[dims - 2], steps = k / kDepth;
    if (steps > 0) {
      auto forOp = scf::ForOp::create(b, loc, zero, index(steps), one, accumulators);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      SmallVector<Value> next = emitStep(row, pair, panel, count, forOp.getInductionVar(),
                                         forOp.getRegionIterArgs(), /*partial=*/false);
      scf::YieldOp::create(b, loc, next);
      accumulators = forOp.getResults();
    }
    if (k % kDepth)
      accumulators = emitStep(row, pair, panel, count, index(steps), accumulators, /*partial=*/true);
    for (int64_t p = 0; p < count; ++p) {
      Value mask = p + 1 == count ? lastMask : nullptr;
      Value first = vector::ShuffleOp::create(b, loc, accumulators[p], accumulators[p],
                                              ArrayRef<int64_t>{0, 1});
      storeSums(first, row, columns[p], mask);
      if (pair) {
        Value second = vector::ShuffleOp::create(b, loc, accumulators[p], accumulators[p],
                                                 ArrayRef<int64_t>{2, 3});
        storeSums(second, plus(row, 1), columns[p], mask);
      }
    }
  }

  /// Eight bytes of row `row` from column 8 * `step`; a partial step reads
  /// past K as zeros.
  Value rowBytes(Value row, Value step, bool partial) {
    Value column = arith::MulIOp::create(b, loc, step, index(kDepth));
    SmallVector<Value> where = indicesOf(c.a, row, column);
    if (!partial)
      return vector::LoadOp::create(b, loc, vector(kDepth, i8), c.a->get(), where);
    Value padding = arith::ConstantIntOp::create(b, loc, 0, 8);
    return vector::TransferReadOp::create(b, loc, vector(kDepth, i8), c.a->get(), where, padding,
                                          ArrayRef<bool>{false});
  }

  /// One 8-byte step of the reduction: the rows' 16 bytes, then one
  /// matrix multiply per panel.
  SmallVector<Value> emitStep(Value row, bool pair, Value panel, int64_t count, Value step,
                              ValueRange accumulators, bool partial) {
    Value first = rowBytes(row, step, partial);
    Value second = pair ? rowBytes(plus(row, 1), step, partial)
                        : (Value)arith::ConstantOp::create(
                              b, loc, DenseElementsAttr::get(vector(kDepth, i8),
                                                             b.getIntegerAttr(i8, 0)));
    SmallVector<int64_t> all(2 * kDepth);
    std::iota(all.begin(), all.end(), 0);
    Value rows = vector::ShuffleOp::create(b, loc, first, second, all);
    StringRef intrinsic = c.aUnsigned ? "llvm.aarch64.neon.ummla.v4i32.v16i8"
                                      : "llvm.aarch64.neon.smmla.v4i32.v16i8";
    SmallVector<Value> next;
    for (int64_t p = 0; p < count; ++p) {
      Value panelIndex = plus(panel, p);
      Value weights = vector::LoadOp::create(b, loc, vector(kColumns * kDepth, i8), panelRows,
                                             ValueRange{panelIndex, step, zero});
      next.push_back(LLVM::CallIntrinsicOp::create(b, loc, vector(4, i32),
                                                   b.getStringAttr(intrinsic),
                                                   ValueRange{accumulators[p], rows, weights})
                         .getResult(0));
    }
    return next;
  }

  Type i8, i32;
};

struct VectorizeIntegerPanelsPass
    : lathe::impl::VectorizeIntegerPanelsBase<VectorizeIntegerPanelsPass> {
  using VectorizeIntegerPanelsBase::VectorizeIntegerPanelsBase;
  void runOnOperation() override {
    std::optional<DotProduct> dot = dotProductNamed(instruction);
    if (!dot || rows < 1 || panels < 1) {
      getOperation().emitError("lathe-vectorize-integer-panels: instruction '")
          << instruction
          << "' (hexagon-vrmpy, x86-vpdpbusd-512, x86-vpdpbusd-256, aarch64-sdot or "
             "aarch64-smmla), rows and panels >= 1, not "
          << static_cast<int64_t>(rows) << " and " << static_cast<int64_t>(panels);
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, IntegerPanelContraction>> contractions;
    getOperation().walk([&](linalg::GenericOp op) {
      std::optional<IntegerPanelContraction> c = matchContraction(op, dot->lanes, dot->depth);
      if (c && dot->multiplies(c->aUnsigned, c->panelsUnsigned))
        contractions.push_back({op, *c});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, c] : contractions) {
      rewriter.setInsertionPoint(op);
      if (dot->family == DotProduct::Family::AArch64Mmla)
        MatrixMultiplyKernel(rewriter, op, c).emit();
      else
        DotProductKernel(rewriter, op, c, *dot, rows, panels).emit();
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
