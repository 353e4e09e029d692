//===- RecognizeLayerNorm.cpp - layer normalization from primitive ops ----===//
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/ConstantValues.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_RECOGNIZELAYERNORM
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// `v` is reduce_mean(x) over the trailing dims from `axis` on, kept.
bool isTrailingMean(Value v, Value &x, int64_t &axis) {
  auto mean = v.getDefiningOp<ReduceMeanOp>();
  if (!mean || !mean.getKeepdims() || mean.getAxes().empty())
    return false;
  int64_t rank = mean.getInput().getType().getRank();
  ArrayRef<int64_t> axes = mean.getAxes();
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != rank - (int64_t)axes.size() + (int64_t)i)
      return false;
  x = mean.getInput();
  axis = axes.front();
  return true;
}

/// An operand broadcasting over the normalized dims only (its shape is a
/// suffix of the normalized shape), e.g. gamma or beta.
bool broadcastsOverNormalized(Value v, RankedTensorType x, int64_t axis) {
  auto t = cast<RankedTensorType>(v.getType());
  ArrayRef<int64_t> normalized = x.getShape().drop_front(axis);
  if (t.getRank() > (int64_t)normalized.size())
    return false;
  return t.getShape() == normalized.take_back(t.getRank());
}

struct LayerNormFromPrimitives : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rewriter) const override {
    // d / sqrt(var + eps)
    auto sub = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sub || !sqrt)
      return failure();
    auto add = sqrt.getInput().getDefiningOp<AddOp>();
    if (!add)
      return failure();
    std::optional<double> eps = splatFloat(add.getRhs());
    Value var = add.getLhs();
    if (!eps)
      return failure();
    // var = mean(d^2), d = x - mean(x)
    Value x, squared;
    int64_t axis, varAxis;
    if (!isTrailingMean(var, squared, varAxis))
      return failure();
    Value centered = sub.getResult();
    if (!isTrailingMean(sub.getRhs(), x, axis) || x != sub.getLhs() || axis != varAxis)
      return failure();
    if (auto pow = squared.getDefiningOp<PowOp>()) {
      if (pow.getLhs() != centered || splatFloat(pow.getRhs()) != 2.0)
        return failure();
    } else if (auto mul = squared.getDefiningOp<MulOp>()) {
      if (mul.getLhs() != centered || mul.getRhs() != centered)
        return failure();
    } else {
      return failure();
    }
    auto type = cast<RankedTensorType>(x.getType());
    if (div.getType() != type || !isa<FloatType>(type.getElementType()))
      return failure();
    // Only this chain may read its intermediates.
    Operation *squareOp = squared.getDefiningOp();
    if (!var.hasOneUse() || !add->hasOneUse() || !sqrt->hasOneUse() || !squared.hasOneUse() ||
        !sub.getRhs().hasOneUse() ||
        !llvm::all_of(centered.getUsers(),
                      [&](Operation *u) { return u == div.getOperation() || u == squareOp; }))
      return failure();

    // Absorb y * gamma and + beta (constants over the normalized dims).
    Value result = div.getResult(), gamma, beta;
    Operation *last = div;
    if (result.hasOneUse())
      if (auto mul = dyn_cast<MulOp>(*result.getUsers().begin()))
        if (mul.getLhs() == result && matchPattern(mul.getRhs(), m_Constant()) &&
            broadcastsOverNormalized(mul.getRhs(), type, axis) && mul.getType() == type) {
          gamma = mul.getRhs();
          last = mul;
          result = mul.getResult();
        }
    if (gamma && result.hasOneUse())
      if (auto plus = dyn_cast<AddOp>(*result.getUsers().begin()))
        if (plus.getLhs() == result && matchPattern(plus.getRhs(), m_Constant()) &&
            broadcastsOverNormalized(plus.getRhs(), type, axis) && plus.getType() == type) {
          beta = plus.getRhs();
          last = plus;
        }
    rewriter.setInsertionPoint(last);
    if (!gamma) {
      auto normalizedType =
          RankedTensorType::get(type.getShape().drop_front(axis), type.getElementType());
      gamma = ConstantOp::create(rewriter, div.getLoc(), normalizedType,
                                 DenseElementsAttr::get(normalizedType,
                                                        rewriter.getFloatAttr(type.getElementType(), 1.0)));
    }
    SmallVector<Value> operands{x, gamma};
    if (beta)
      operands.push_back(beta);
    auto norm = LayerNormOp::create(
        rewriter, last->getLoc(), type, operands,
        {rewriter.getNamedAttr("axis", rewriter.getI64IntegerAttr(axis)),
         rewriter.getNamedAttr("epsilon", rewriter.getF32FloatAttr((float)*eps))});
    rewriter.replaceOp(last, norm.getResult());
    return success();
  }
};

struct RecognizeLayerNormPass
    : public lathe::impl::RecognizeLayerNormBase<RecognizeLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LayerNormFromPrimitives>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
