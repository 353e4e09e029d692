//===- RecognizeAttention.cpp - scaled dot-product attention from MatMuls -===//
//
// Exporters write attention as
//   MatMul(Softmax(MatMul(q, Transpose(k)) / sqrt(d) [+ mask], axis=-1), v)
// (the scale as a Div or a Mul by a constant, or left out). As separate ops
// the L x S score matrix goes through memory three times; as one
// lathe.attention it never leaves a row of the fused kernel.
//
// Decoders add a causal mask, which PyTorch writes as Trilu(ConstantOfShape
// (-inf), upper, k) (a constant once shapes are fixed), and share each key/
// value head between a group of query heads, which they write as
// repeat_kv: Reshape(Expand(Reshape(kv))) inserting and broadcasting a dim
// of `group` copies. Both become attributes of lathe.attention: the mask an
// offset, the repeat a smaller heads dim of k and v, never copied.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_RECOGNIZEATTENTION
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

bool isLastTwoSwapped(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  for (int64_t i = 0; i < rank - 2; ++i)
    if (perm[i] != i)
      return false;
  return rank >= 2 && perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

/// Whether `v` is masked out: -inf, or the float minimum some exporters
/// write instead (torch.finfo(float32).min).
bool isMaskedScore(const APFloat &v) {
  return v.isNegative() && (v.isInfinity() || v.convertToDouble() <= -1e30);
}

/// The offset c of a causal mask, 0 where key j <= query i + c and masked
/// elsewhere, of the (..., L, S) scores; `mask` is (1..., L, S). Either the
/// exporter's Trilu of a masked splat, or a constant of that pattern.
std::optional<int64_t> causalOffset(Value mask, ArrayRef<int64_t> scoresShape) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = type.getRank();
  if (rank < 2 || rank > (int64_t)scoresShape.size() ||
      type.getShape().take_back(2) != scoresShape.take_back(2) ||
      llvm::any_of(type.getShape().drop_back(2), [](int64_t d) { return d != 1; }))
    return std::nullopt;
  int64_t l = type.getDimSize(rank - 2), keys = type.getDimSize(rank - 1);
  if (auto trilu = mask.getDefiningOp<TriluOp>()) {
    DenseElementsAttr fill;
    if (!trilu.getUpper() || !matchPattern(trilu.getInput(), m_Constant(&fill)) ||
        !fill.isSplat() || !isa<FloatType>(fill.getElementType()) ||
        !isMaskedScore(fill.getSplatValue<APFloat>()))
      return std::nullopt;
    // Trilu keeps j - i >= k: those are masked, the zeros below are seen.
    int64_t offset = trilu.getK() - 1;
    return offset >= 0 ? std::optional<int64_t>(offset) : std::nullopt;
  }
  DenseElementsAttr values;
  if (!matchPattern(mask, m_Constant(&values)) || !isa<FloatType>(values.getElementType()))
    return std::nullopt;
  auto elements = llvm::to_vector(values.getValues<APFloat>());
  // Row 0's first masked key is offset + 1 (none masked: offset S - 1).
  int64_t offset = keys - 1;
  for (int64_t j = 0; j < keys; ++j)
    if (isMaskedScore(elements[values.isSplat() ? 0 : j])) {
      offset = j - 1;
      break;
    }
  if (offset < 0)
    return std::nullopt;
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < keys; ++j) {
      const APFloat &e = elements[values.isSplat() ? 0 : i * keys + j];
      if (j <= i + offset ? !e.isZero() : !isMaskedScore(e))
        return std::nullopt;
    }
  return offset;
}

/// repeat_kv's input: `x` is (batch..., Hkv * group, S, D) made by
/// Reshape(Expand(Reshape(kv, (batch..., Hkv, 1, S, D)), (..., Hkv, group,
/// S, D))) from kv (batch..., Hkv, S, D). Null when `x` is not that.
Value repeatedHeadsSource(Value x) {
  auto merged = x.getDefiningOp<ReshapeOp>();
  auto expand = merged ? merged.getInput().getDefiningOp<ExpandOp>() : ExpandOp();
  auto split = expand ? expand.getInput().getDefiningOp<ReshapeOp>() : ReshapeOp();
  if (!split)
    return {};
  Value kv = split.getInput();
  ArrayRef<int64_t> src = cast<RankedTensorType>(kv.getType()).getShape();
  ArrayRef<int64_t> one = split.getType().getShape();
  ArrayRef<int64_t> many = expand.getType().getShape();
  ArrayRef<int64_t> out = merged.getType().getShape();
  int64_t rank = src.size();
  if (rank < 3 || (int64_t)one.size() != rank + 1 || (int64_t)many.size() != rank + 1 ||
      (int64_t)out.size() != rank)
    return {};
  int64_t h = rank - 3;
  // The heads dim h of kv gains a dim of 1 after it, broadcast to `group`.
  SmallVector<int64_t> inserted(src);
  inserted.insert(inserted.begin() + h + 1, 1);
  SmallVector<int64_t> broadcast(inserted);
  broadcast[h + 1] = many[h + 1];
  SmallVector<int64_t> result(src);
  result[h] = src[h] * many[h + 1];
  if (ArrayRef<int64_t>(inserted) != one || ArrayRef<int64_t>(broadcast) != many ||
      ArrayRef<int64_t>(result) != out)
    return {};
  return kv;
}

struct AttentionFromMatMuls : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp output, PatternRewriter &rewriter) const override {
    auto softmax = output.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(output, "lhs is not a softmax used only here");
    int64_t rank = softmax.getType().getRank();
    // The importer has made the axis non-negative.
    if ((int64_t)softmax.getAxis() != rank - 1)
      return rewriter.notifyMatchFailure(output, "softmax is not over the last dim");
    // The optional mask, then the optional scale, between the score
    // product and the softmax.
    Value scores = softmax.getInput();
    std::optional<int64_t> causal;
    Value additiveMask;
    if (auto add = scores.getDefiningOp<AddOp>(); add && add->hasOneUse()) {
      ArrayRef<int64_t> shape = softmax.getType().getShape();
      for (auto [mask, rest] : {std::pair(add.getRhs(), add.getLhs()),
                                std::pair(add.getLhs(), add.getRhs())})
        if (rest.getType() == add.getType())
          if ((causal = causalOffset(mask, shape))) {
            scores = rest;
            break;
          }
      // Any other mask that broadcasts to the scores (an encoder's padding
      // mask, computed at run time) is the kernel's additive mask.
      for (auto [mask, rest] : {std::pair(add.getRhs(), add.getLhs()),
                                std::pair(add.getLhs(), add.getRhs())})
        if (!causal && !additiveMask && rest.getType() == add.getType() &&
            isa_and_present<MulOp, DivOp, MatMulOp>(rest.getDefiningOp()) &&
            cast<RankedTensorType>(mask.getType()).getRank() <= (int64_t)shape.size() &&
            cast<RankedTensorType>(mask.getType()).getElementType() == add.getType().getElementType()) {
          additiveMask = mask;
          scores = rest;
        }
      if (!causal && !additiveMask)
        return rewriter.notifyMatchFailure(output, "scores plus a mask of another shape or type");
    }
    double scale = 1.0;
    if (auto div = scores.getDefiningOp<DivOp>(); div && div->hasOneUse()) {
      std::optional<double> d = splatFloat(div.getRhs());
      if (!d || *d == 0.0 || div.getLhs().getType() != div.getType())
        return rewriter.notifyMatchFailure(output, "scores divided by a non-constant");
      scale = 1.0 / *d, scores = div.getLhs();
    } else if (auto mul = scores.getDefiningOp<MulOp>(); mul && mul->hasOneUse()) {
      std::optional<double> m = splatFloat(mul.getRhs());
      if (!m || mul.getLhs().getType() != mul.getType())
        return rewriter.notifyMatchFailure(output, "scores multiplied by a non-constant");
      scale = *m, scores = mul.getLhs();
    }
    auto product = scores.getDefiningOp<MatMulOp>();
    if (!product || !product->hasOneUse())
      return rewriter.notifyMatchFailure(output, "scores are not a matmul used only here");
    Value q = product.getLhs(), keyT = product.getRhs(), v = output.getRhs();
    auto qt = cast<RankedTensorType>(q.getType());
    auto kt = cast<RankedTensorType>(keyT.getType());
    auto vt = cast<RankedTensorType>(v.getType());
    if (qt.getRank() != rank || kt.getRank() != rank || vt.getRank() != rank || rank < 2 ||
        qt.getShape().drop_back(2) != kt.getShape().drop_back(2) ||
        qt.getShape().drop_back(2) != vt.getShape().drop_back(2))
      return rewriter.notifyMatchFailure(output, "operands broadcast or differ in rank");
    Location loc = output.getLoc();
    SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(swap[rank - 2], swap[rank - 1]);
    Value key;
    if (auto t = keyT.getDefiningOp<TransposeOp>(); t && isLastTwoSwapped(t.getPerm())) {
      key = t.getInput();
      // Grouped-query attention: the heads k and v were repeated from.
      Value keyHeads = repeatedHeadsSource(key), valueHeads = repeatedHeadsSource(v);
      if (keyHeads && valueHeads &&
          cast<RankedTensorType>(keyHeads.getType()).getDimSize(rank - 3) ==
              cast<RankedTensorType>(valueHeads.getType()).getDimSize(rank - 3))
        key = keyHeads, v = valueHeads;
    } else {
      key = TransposeOp::create(rewriter, loc, keyT, rewriter.getDenseI64ArrayAttr(swap));
    }
    SmallVector<NamedAttribute> attributes{
        rewriter.getNamedAttr("scale", rewriter.getF32FloatAttr(scale))};
    if (causal)
      attributes.push_back(
          rewriter.getNamedAttr("causal_offset", rewriter.getI64IntegerAttr(*causal)));
    SmallVector<Value> operands{q, key, v};
    if (additiveMask)
      operands.push_back(additiveMask);
    rewriter.replaceOpWithNewOp<AttentionOp>(output, operands, attributes);
    return success();
  }
};

struct RecognizeAttentionPass : public lathe::impl::RecognizeAttentionBase<RecognizeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AttentionFromMatMuls>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
