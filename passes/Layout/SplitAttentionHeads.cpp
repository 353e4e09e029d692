//===- SplitAttentionHeads.cpp - one attention per head --------------------===//
//
// (batch, H, L, D) attention -> for h in H: attention of the (batch, 1, L, D)
// slices of q at h and of k and v at h / group (grouped-query attention has
// H / group key/value heads); the H results concatenated along the heads dim.
// Each head's scores (L x S) are then a tensor of their own, the size the
// Neural Engine keeps on chip. With `head-dim-multiple`, q, k and v are
// zero-padded along D (Dv) to a multiple of it first, once for all heads,
// and the result sliced back: the Neural Engine lays the last dim out in
// 64-byte lines, and zero columns add nothing to q k^T and give only zero
// columns of the result.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_SPLITATTENTIONHEADS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// `v` at index `h` of dim `axis` (kept, size 1).
Value headSlice(PatternRewriter &rewriter, Location loc, Value v, int64_t axis, int64_t h) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> starts(type.getRank(), 0), ends(type.getShape()), steps(type.getRank(), 1);
  starts[axis] = h;
  ends[axis] = h + 1;
  return SliceOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr(starts),
                         rewriter.getDenseI64ArrayAttr(ends), rewriter.getDenseI64ArrayAttr(steps));
}

/// `v` zero-padded along its last dim to `size`.
Value padLastDim(PatternRewriter &rewriter, Location loc, Value v, int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> pads(2 * type.getRank(), 0);
  pads.back() = size - type.getShape().back();
  if (pads.back() == 0)
    return v;
  return PadOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr(pads),
                       rewriter.getStringAttr("constant"), rewriter.getF64FloatAttr(0.0));
}

struct SplitHeads : OpRewritePattern<AttentionOp> {
  SplitHeads(MLIRContext *context, int64_t headDimMultiple)
      : OpRewritePattern(context), multiple(std::max<int64_t>(headDimMultiple, 1)) {}
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    auto type = op.getType();
    int64_t axis = type.getRank() - 3;
    int64_t d = op.getQuery().getType().getShape().back(), dv = type.getShape().back();
    auto roundUp = [&](int64_t n) { return (n + multiple - 1) / multiple * multiple; };
    bool split = axis >= 0 && type.getDimSize(axis) > 1;
    if (!split && roundUp(d) == d && roundUp(dv) == dv)
      return rewriter.notifyMatchFailure(op, "one head, dims already whole lines");
    Location loc = op.getLoc();
    Value q = padLastDim(rewriter, loc, op.getQuery(), roundUp(d));
    Value k = padLastDim(rewriter, loc, op.getKey(), roundUp(d));
    Value v = padLastDim(rewriter, loc, op.getValue(), roundUp(dv));
    Value result;
    Value mask = op.getMask();
    auto attention = [&](Value qh, Value kh, Value vh, Value maskh) -> Value {
      return AttentionOp::create(rewriter, loc, qh, kh, vh, maskh, op.getScaleAttr(),
                                 op.getCausalOffsetAttr());
    };
    if (split) {
      // Grouped-query attention: query head h reads key/value head h / group.
      int64_t heads = type.getDimSize(axis);
      int64_t group = heads / cast<RankedTensorType>(k.getType()).getDimSize(axis);
      SmallVector<Value> results;
      // A mask that varies by head gives each head its own.
      int64_t maskAxis = mask ? axis - (type.getRank() - cast<RankedTensorType>(mask.getType()).getRank()) : -1;
      bool maskPerHead =
          maskAxis >= 0 && cast<RankedTensorType>(mask.getType()).getDimSize(maskAxis) > 1;
      for (int64_t h = 0; h < heads; ++h)
        results.push_back(attention(headSlice(rewriter, loc, q, axis, h),
                                    headSlice(rewriter, loc, k, axis, h / group),
                                    headSlice(rewriter, loc, v, axis, h / group),
                                    maskPerHead ? headSlice(rewriter, loc, mask, maskAxis, h) : mask));
      result = ConcatOp::create(rewriter, loc, results, rewriter.getI64IntegerAttr(axis));
    } else {
      result = attention(q, k, v, mask);
    }
    if (roundUp(dv) != dv) {
      SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
      result = SliceOp::create(rewriter, loc, result, rewriter.getDenseI64ArrayAttr(starts),
                               rewriter.getDenseI64ArrayAttr(type.getShape()),
                               rewriter.getDenseI64ArrayAttr(steps));
    }
    rewriter.replaceOp(op, result);
    return success();
  }

private:
  int64_t multiple;
};

struct SplitAttentionHeadsPass : lathe::impl::SplitAttentionHeadsBase<SplitAttentionHeadsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitHeads>(&getContext(), headDimMultiple);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
