//===- RecognizeRotaryEmbedding.cpp - rotate_half rotary embeddings --------===//
//
// The Llama/Qwen family's rotary position embedding, as torch.onnx.export
// writes apply_rotary_pos_emb:
//   x * cos + concat(-x[..., D/2:], x[..., :D/2]) * sin
// (a Slice of each half, a Neg, a Concat over the last dim, two Muls and an
// Add) becomes one lathe.rotary_embedding, which reads x once instead of
// writing the halves, their negation and their concatenation.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_RECOGNIZEROTARYEMBEDDING
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// `v` is x[..., begin:begin + size] over the last dim of x, every other dim
/// whole; sets x.
bool isLastDimHalf(Value v, int64_t begin, int64_t size, Value &x) {
  auto slice = v.getDefiningOp<SliceOp>();
  if (!slice)
    return false;
  ArrayRef<int64_t> shape = slice.getInput().getType().getShape();
  int64_t last = shape.size() - 1;
  for (int64_t d = 0; d <= last; ++d) {
    int64_t start = d == last ? begin : 0, end = d == last ? begin + size : shape[d];
    if (slice.getStarts()[d] != start || slice.getEnds()[d] != end || slice.getSteps()[d] != 1)
      return false;
  }
  x = slice.getInput();
  return true;
}

/// `v` is rotate_half(x) = concat(-x[..., D/2:], x[..., :D/2]); sets x.
bool isRotateHalf(Value v, Value &x) {
  auto concat = v.getDefiningOp<ConcatOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!concat || !concat->hasOneUse() || concat.getInputs().size() != 2 ||
      (int64_t)concat.getAxis() != type.getRank() - 1 || type.getShape().back() % 2)
    return false;
  int64_t half = type.getShape().back() / 2;
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  Value high, low;
  return neg && neg->hasOneUse() && isLastDimHalf(neg.getInput(), half, half, high) &&
         isLastDimHalf(concat.getInputs()[1], 0, half, low) && high == low &&
         high.getType() == type && (x = high, true);
}

/// `v` broadcasts to `type`'s shape (and is no larger).
bool broadcastsTo(Value v, RankedTensorType type) {
  SmallVector<int64_t> out;
  return succeeded(broadcastShapes(type.getShape(), cast<RankedTensorType>(v.getType()).getShape(), out)) &&
         ArrayRef<int64_t>(out) == type.getShape();
}

/// x * cos + rotate_half(x) * sin, either operand of each op first.
struct RotaryEmbeddingFromRotateHalf : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    auto type = add.getType();
    for (auto [first, second] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      auto direct = first.getDefiningOp<MulOp>();
      auto rotated = second.getDefiningOp<MulOp>();
      if (!direct || !rotated || !direct->hasOneUse() || !rotated->hasOneUse() || direct == rotated)
        continue;
      for (auto [rotation, sin] : {std::pair(rotated.getLhs(), rotated.getRhs()),
                                   std::pair(rotated.getRhs(), rotated.getLhs())}) {
        Value x;
        if (!isRotateHalf(rotation, x) || x.getType() != type)
          continue;
        Value cos = direct.getLhs() == x ? direct.getRhs()
                                         : (direct.getRhs() == x ? direct.getLhs() : Value());
        if (!cos || cos == x || !broadcastsTo(cos, type) || !broadcastsTo(sin, type))
          continue;
        rewriter.replaceOpWithNewOp<RotaryEmbeddingOp>(add, type, ValueRange{x, cos, sin});
        return success();
      }
    }
    return rewriter.notifyMatchFailure(add, "not x * cos + rotate_half(x) * sin");
  }
};

struct RecognizeRotaryEmbeddingPass
    : public lathe::impl::RecognizeRotaryEmbeddingBase<RecognizeRotaryEmbeddingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RotaryEmbeddingFromRotateHalf>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
