//===- RecognizeNorms.cpp - layer and RMS normalization from primitives ---===//
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/ConstantValues.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_RECOGNIZENORMS
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
  // Before RMS normalization: d / sqrt(mean(d^2) + eps) with d centered is
  // a layer normalization of x, not an RMS normalization of d.
  LayerNormFromPrimitives(MLIRContext *context) : OpRewritePattern<DivOp>(context, /*benefit=*/2) {}
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
        {rewriter.getNamedAttr("axes", rewriter.getDenseI64ArrayAttr(llvm::to_vector(
                                           llvm::seq<int64_t>(axis, type.getRank())))),
         rewriter.getNamedAttr("epsilon", rewriter.getF32FloatAttr((float)*eps))});
    rewriter.replaceOp(last, norm.getResult());
    return success();
  }
};

/// If `v` is sqrt(mean(x^2) + eps) over trailing dims with nothing else using
/// its pieces, that x, the axis and eps.
Value rmsDenominator(Value v, int64_t &axis, double &eps) {
  auto sqrt = v.getDefiningOp<SqrtOp>();
  if (!sqrt || !sqrt->hasOneUse())
    return nullptr;
  auto add = sqrt.getInput().getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return nullptr;
  std::optional<double> e = splatFloat(add.getRhs());
  Value squared;
  if (!e || !add.getLhs().hasOneUse() || !isTrailingMean(add.getLhs(), squared, axis) ||
      !squared.hasOneUse())
    return nullptr;
  eps = *e;
  if (auto pow = squared.getDefiningOp<PowOp>())
    return splatFloat(pow.getRhs()) == 2.0 ? pow.getLhs() : Value();
  if (auto mul = squared.getDefiningOp<MulOp>())
    return mul.getLhs() == mul.getRhs() ? mul.getLhs() : Value();
  return nullptr;
}

/// Replaces `root` (and a following constant-gamma Mul) with rms_norm(x).
LogicalResult replaceWithRmsNorm(PatternRewriter &rewriter, Operation *root, Value x, int64_t axis,
                                 double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  if (root->getResult(0).getType() != type || !isa<FloatType>(type.getElementType()))
    return failure();
  Operation *last = root;
  Value gamma;
  Value result = root->getResult(0);
  if (result.hasOneUse())
    if (auto mul = dyn_cast<MulOp>(*result.getUsers().begin()))
      if (mul.getLhs() == result && matchPattern(mul.getRhs(), m_Constant()) &&
          broadcastsOverNormalized(mul.getRhs(), type, axis) && mul.getType() == type) {
        gamma = mul.getRhs();
        last = mul;
      }
  rewriter.setInsertionPoint(last);
  if (!gamma) {
    auto normalizedType = RankedTensorType::get(type.getShape().drop_front(axis), type.getElementType());
    gamma = ConstantOp::create(rewriter, root->getLoc(), normalizedType,
                               DenseElementsAttr::get(normalizedType,
                                                      rewriter.getFloatAttr(type.getElementType(), 1.0)));
  }
  auto norm = RmsNormOp::create(rewriter, last->getLoc(), type, ValueRange{x, gamma},
                                {rewriter.getNamedAttr("axis", rewriter.getI64IntegerAttr(axis)),
                                 rewriter.getNamedAttr("epsilon", rewriter.getF32FloatAttr((float)eps))});
  rewriter.replaceOp(last, norm.getResult());
  return success();
}

/// x / sqrt(mean(x^2) + eps)
struct RmsNormFromDivision : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rewriter) const override {
    int64_t axis;
    double eps;
    Value x = rmsDenominator(div.getRhs(), axis, eps);
    if (!x || x != div.getLhs())
      return failure();
    return replaceWithRmsNorm(rewriter, div, x, axis, eps);
  }
};

/// x * (1 / sqrt(mean(x^2) + eps)), the reciprocal as Reciprocal or 1 / v.
struct RmsNormFromReciprocal : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter &rewriter) const override {
    for (auto [x, other] : {std::pair(mul.getLhs(), mul.getRhs()), std::pair(mul.getRhs(), mul.getLhs())}) {
      Value denominator;
      if (auto r = other.getDefiningOp<ReciprocalOp>(); r && r->hasOneUse())
        denominator = r.getInput();
      else if (auto d = other.getDefiningOp<DivOp>(); d && d->hasOneUse() && splatFloat(d.getLhs()) == 1.0)
        denominator = d.getRhs();
      int64_t axis;
      double eps;
      if (denominator && rmsDenominator(denominator, axis, eps) == x)
        return replaceWithRmsNorm(rewriter, mul, x, axis, eps);
    }
    return failure();
  }
};

struct RecognizeNormsPass : public lathe::impl::RecognizeNormsBase<RecognizeNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LayerNormFromPrimitives, RmsNormFromDivision, RmsNormFromReciprocal>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
