//===- FoldBatchNorm.cpp - batch normalization into convolution weights --===//
#include "passes/Passes.h"

#include "passes/ConstantValues.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace lathe {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "input is not a convolution used only here");
    auto weight = constantFloats(conv.getWeight());
    auto scale = constantFloats(bn.getScale()), beta = constantFloats(bn.getBias()),
         mean = constantFloats(bn.getMean()), variance = constantFloats(bn.getVariance());
    if (!weight || !scale || !beta || !mean || !variance)
      return rewriter.notifyMatchFailure(bn, "weights or parameters are not f32 constants");
    std::optional<std::vector<float>> bias;
    if (conv.getBias() && !(bias = constantFloats(conv.getBias())))
      return rewriter.notifyMatchFailure(bn, "convolution bias is not constant");
    int64_t filters = scale->size();
    size_t perFilter = weight->size() / filters;
    double epsilon = bn.getEpsilon().convertToDouble();
    std::vector<float> newWeight(weight->size()), newBias(filters);
    for (int64_t m = 0; m < filters; ++m) {
      double a = (*scale)[m] / std::sqrt((double)(*variance)[m] + epsilon);
      for (size_t i = 0; i < perFilter; ++i)
        newWeight[m * perFilter + i] = float((*weight)[m * perFilter + i] * a);
      double b = bias ? (*bias)[m] : 0.0;
      newBias[m] = float((b - (*mean)[m]) * a + (*beta)[m]);
    }
    Location loc = bn.getLoc();
    Value w = makeFloatConstant(rewriter, loc, conv.getWeight().getType(), newWeight, "folded_weight");
    Value b = makeFloatConstant(rewriter, loc, RankedTensorType::get({filters}, rewriter.getF32Type()),
                           newBias, "folded_bias");
    auto folded = ConvOp::create(rewriter, loc, bn.getType(), ValueRange{conv.getInput(), w, b},
                                 conv->getAttrs());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

/// batch_norm over the columns of a Gemm or a 2-D MatMul with constant
/// weights: the columns of B are scaled, and the bias (C, or none) shifted;
/// the result is a Gemm.
template <typename OpTy>
struct FoldBatchNormIntoMatrixProduct : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern<BatchNormOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    auto product = bn.getInput().template getDefiningOp<OpTy>();
    if (!product || !product->hasOneUse() || bn.getType().getRank() != 2)
      return rewriter.notifyMatchFailure(bn, "input is not a matrix product used only here");
    Value a, b, c;
    bool transA = false, transB = false;
    double alpha = 1, beta = 1;
    if constexpr (std::is_same_v<OpTy, GemmOp>) {
      a = product.getA(), b = product.getB(), c = product.getC();
      transA = product.getTransA(), transB = product.getTransB();
      alpha = product.getAlpha().convertToDouble(), beta = product.getBeta().convertToDouble();
    } else {
      a = product.getLhs(), b = product.getRhs();
      if (cast<RankedTensorType>(a.getType()).getRank() != 2 ||
          cast<RankedTensorType>(b.getType()).getRank() != 2)
        return rewriter.notifyMatchFailure(bn, "matmul is not 2-D");
    }
    auto weight = constantFloats(b);
    auto scale = constantFloats(bn.getScale()), shift = constantFloats(bn.getBias()),
         mean = constantFloats(bn.getMean()), variance = constantFloats(bn.getVariance());
    if (!weight || !scale || !shift || !mean || !variance)
      return rewriter.notifyMatchFailure(bn, "weights or parameters are not f32 constants");
    int64_t n = scale->size();
    // The bias, as a full row of n values (C broadcasts to the result).
    std::vector<float> bias(n, 0.0f);
    if (c) {
      auto cValues = constantFloats(c);
      auto cType = cast<RankedTensorType>(c.getType());
      if (!cValues || cType.getNumElements() == 0 ||
          !(cType.getNumElements() == 1 || (int64_t)cValues->size() == n) ||
          (cType.getRank() == 2 && cType.getDimSize(0) != 1))
        return rewriter.notifyMatchFailure(bn, "bias is not a constant row");
      for (int64_t m = 0; m < n; ++m)
        bias[m] = (*cValues)[cValues->size() == 1 ? 0 : m];
    }
    auto bType = cast<RankedTensorType>(b.getType());
    double epsilon = bn.getEpsilon().convertToDouble();
    std::vector<float> newWeight(weight->size()), newBias(n);
    int64_t k = bType.getNumElements() / n;
    for (int64_t m = 0; m < n; ++m) {
      double f = (*scale)[m] / std::sqrt((double)(*variance)[m] + epsilon);
      for (int64_t i = 0; i < k; ++i) {
        int64_t at = transB ? m * k + i : i * n + m; // B is [N, K] or [K, N]
        newWeight[at] = float((*weight)[at] * f);
      }
      newBias[m] = float((beta * bias[m] - (*mean)[m]) * f + (*shift)[m]);
    }
    Location loc = bn.getLoc();
    Value w = makeFloatConstant(rewriter, loc, bType, newWeight, "folded_weight");
    Value shifted = makeFloatConstant(rewriter, loc, RankedTensorType::get({n}, rewriter.getF32Type()),
                                 newBias, "folded_bias");
    auto gemm = GemmOp::create(rewriter, loc, bn.getType(), ValueRange{a, w, shifted},
                               {rewriter.getNamedAttr("alpha", rewriter.getF32FloatAttr(alpha)),
                                rewriter.getNamedAttr("beta", rewriter.getF32FloatAttr(1.0f)),
                                rewriter.getNamedAttr("trans_a", rewriter.getBoolAttr(transA)),
                                rewriter.getNamedAttr("trans_b", rewriter.getBoolAttr(transB))});
    rewriter.replaceOp(bn, gemm.getResult());
    rewriter.eraseOp(product);
    return success();
  }
};

struct FoldBatchNormPass : public lathe::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNormIntoConv, FoldBatchNormIntoMatrixProduct<GemmOp>,
                 FoldBatchNormIntoMatrixProduct<MatMulOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
