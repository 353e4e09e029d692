//===- RecognizeAttention.cpp - scaled dot-product attention from MatMuls -===//
//
// Exporters write attention as
//   MatMul(Softmax(MatMul(q, Transpose(k)) / sqrt(d), axis=-1), v)
// (the scale as a Div or a Mul by a constant, or left out). As separate ops
// the L x S score matrix goes through memory three times; as one
// lathe.attention it never leaves a row of the fused kernel.
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
    // The optional scale between the score product and the softmax.
    Value scores = softmax.getInput();
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
    if (auto t = keyT.getDefiningOp<TransposeOp>(); t && isLastTwoSwapped(t.getPerm()))
      key = t.getInput();
    else
      key = TransposeOp::create(rewriter, loc, keyT, rewriter.getDenseI64ArrayAttr(swap));
    rewriter.replaceOpWithNewOp<AttentionOp>(
        output, ValueRange{q, key, v},
        ArrayRef<NamedAttribute>{rewriter.getNamedAttr("scale", rewriter.getF32FloatAttr(scale))});
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
