//===- SplitAttentionHeads.cpp - one attention per head --------------------===//
//
// (batch, H, L, D) attention -> for h in H: attention of the (batch, 1, L, D)
// slices of q, k and v at h; the H results concatenated along the heads dim.
// Each head's scores (L x S) are then a tensor of their own, the size the
// Neural Engine keeps on chip.
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

struct SplitHeads : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    auto type = op.getType();
    int64_t axis = type.getRank() - 3;
    if (axis < 0 || type.getDimSize(axis) <= 1)
      return rewriter.notifyMatchFailure(op, "no heads dim to split");
    Location loc = op.getLoc();
    SmallVector<Value> heads;
    for (int64_t h = 0; h < type.getDimSize(axis); ++h)
      heads.push_back(AttentionOp::create(rewriter, loc, headSlice(rewriter, loc, op.getQuery(), axis, h),
                                          headSlice(rewriter, loc, op.getKey(), axis, h),
                                          headSlice(rewriter, loc, op.getValue(), axis, h),
                                          op.getScaleAttr()));
    rewriter.replaceOpWithNewOp<ConcatOp>(op, heads, rewriter.getI64IntegerAttr(axis));
    return success();
  }
};

struct SplitAttentionHeadsPass : lathe::impl::SplitAttentionHeadsBase<SplitAttentionHeadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitHeads>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
