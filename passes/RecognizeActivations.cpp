//===- RecognizeActivations.cpp - GELU and SiLU from primitive ops --------===//
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/ConstantValues.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace lathe {
#define GEN_PASS_DEF_RECOGNIZEACTIVATIONS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

bool near(std::optional<double> v, double expected) {
  return v && std::fabs(*v - expected) <= 1e-5 * std::fabs(expected);
}

/// The factors of a product of Mul ops, descending into inner Muls that
/// nothing else uses.
void collectFactors(Value v, SmallVectorImpl<Value> &factors, bool root = true) {
  auto mul = v.getDefiningOp<MulOp>();
  if (mul && (root || mul->hasOneUse()) && mul.getLhs().getType() == mul.getType() &&
      (mul.getRhs().getType() == mul.getType() || splatFloat(mul.getRhs()))) {
    collectFactors(mul.getLhs(), factors, false);
    collectFactors(mul.getRhs(), factors, false);
    return;
  }
  factors.push_back(v);
}

/// If `v` is 1 + erf(x / sqrt(2)) (or erf(x * (1/sqrt(2))) + 1), that x.
Value erfTermInput(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return nullptr;
  Value erfValue = near(splatFloat(add.getRhs()), 1.0)   ? add.getLhs()
                   : near(splatFloat(add.getLhs()), 1.0) ? add.getRhs()
                                                         : Value();
  auto erf = erfValue ? erfValue.getDefiningOp<ErfOp>() : ErfOp();
  if (!erf || !erf->hasOneUse())
    return nullptr;
  if (auto div = erf.getInput().getDefiningOp<DivOp>())
    if (div->hasOneUse() && near(splatFloat(div.getRhs()), std::sqrt(2.0)))
      return div.getLhs();
  if (auto mul = erf.getInput().getDefiningOp<MulOp>())
    if (mul->hasOneUse() && near(splatFloat(mul.getRhs()), 1.0 / std::sqrt(2.0)))
      return mul.getLhs();
  return nullptr;
}

struct GeluFromPrimitives : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    collectFactors(op.getResult(), factors);
    if (factors.size() != 3)
      return failure();
    Value half, erfTerm, x;
    for (Value f : factors) {
      if (near(splatFloat(f), 0.5) && !half)
        half = f;
      else if (Value input = erfTermInput(f); input && !erfTerm)
        erfTerm = f, x = input;
    }
    if (!half || !erfTerm || !llvm::is_contained(factors, x) || x.getType() != op.getType())
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(op, op.getType(), x);
    return success();
  }
};

struct SiluFromPrimitives : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op, PatternRewriter &rewriter) const override {
    for (auto [x, other] : {std::pair(op.getLhs(), op.getRhs()), std::pair(op.getRhs(), op.getLhs())}) {
      auto sigmoid = other.getDefiningOp<SigmoidOp>();
      if (sigmoid && sigmoid.getInput() == x && sigmoid->hasOneUse() && x.getType() == op.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(op, op.getType(), x);
        return success();
      }
    }
    return failure();
  }
};

struct RecognizeActivationsPass
    : public lathe::impl::RecognizeActivationsBase<RecognizeActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<GeluFromPrimitives, SiluFromPrimitives>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
