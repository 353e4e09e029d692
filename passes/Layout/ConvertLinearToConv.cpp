//===- ConvertLinearToConv.cpp - linear layers as 1x1 convolutions --------===//
//
// The Neural Engine runs convolutions over (B, C, 1, S) best; a linear layer
// y = a W is one with K input channels, N filters and S positions:
//   (batch..., S, K) -reshape-> (B, S, K) -transpose-> (B, K, S)
//   -reshape-> (B, K, 1, S) -conv 1x1, W^T as (N, K, 1, 1)-> (B, N, 1, S)
//   -reshape-> (B, N, S) -transpose-> (B, S, N) -reshape-> (batch..., S, N)
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_CONVERTLINEARTOCONV
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

Value reshape(PatternRewriter &rewriter, Location loc, Value v, ArrayRef<int64_t> shape) {
  return ReshapeOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr(shape));
}

Value swapLastTwo(PatternRewriter &rewriter, Location loc, Value v) {
  return TransposeOp::create(rewriter, loc, v, rewriter.getDenseI64ArrayAttr({0, 2, 1}));
}

/// a (batch..., S, K) times the (K, N) matrix `w` (row-major, scaled by
/// `scale`) plus `bias` (N values, or none), as a 1x1 convolution, its S
/// positions zero-padded to a multiple of `multiple` (each position's
/// result depends on that position alone, so the padding is sliced off).
Value linearAsConv(PatternRewriter &rewriter, Location loc, Value a, ArrayRef<float> w,
                   bool transposed, int64_t n, float scale, std::optional<std::vector<float>> bias,
                   int64_t multiple) {
  auto at = cast<RankedTensorType>(a.getType());
  int64_t rank = at.getRank(), s = at.getDimSize(rank - 2), k = at.getDimSize(rank - 1);
  int64_t batch = at.getNumElements() / (s * k);
  int64_t padded = (s + multiple - 1) / multiple * multiple;
  Value x = reshape(rewriter, loc, swapLastTwo(rewriter, loc, reshape(rewriter, loc, a, {batch, s, k})),
                    {batch, k, 1, s});
  if (padded != s)
    x = PadOp::create(rewriter, loc, x, rewriter.getDenseI64ArrayAttr({0, 0, 0, 0, 0, 0, 0, padded - s}),
                      rewriter.getStringAttr("constant"), rewriter.getF64FloatAttr(0.0));
  std::vector<float> filters(n * k);
  for (int64_t col = 0; col < n; ++col)
    for (int64_t row = 0; row < k; ++row)
      filters[col * k + row] = scale * w[transposed ? col * k + row : row * n + col];
  Type f32 = rewriter.getF32Type();
  SmallVector<Value> operands{
      x, makeFloatConstant(rewriter, loc, RankedTensorType::get({n, k, 1, 1}, f32), filters,
                           "linear_filters")};
  if (bias)
    operands.push_back(
        makeFloatConstant(rewriter, loc, RankedTensorType::get({n}, f32), *bias, "linear_bias"));
  Value y = ConvOp::create(rewriter, loc, RankedTensorType::get({batch, n, 1, padded}, f32), operands,
                           {rewriter.getNamedAttr("strides", rewriter.getDenseI64ArrayAttr({1, 1})),
                            rewriter.getNamedAttr("dilations", rewriter.getDenseI64ArrayAttr({1, 1})),
                            rewriter.getNamedAttr("pads", rewriter.getDenseI64ArrayAttr({0, 0, 0, 0})),
                            rewriter.getNamedAttr("group", rewriter.getI64IntegerAttr(1))});
  if (padded != s)
    y = SliceOp::create(rewriter, loc, y, rewriter.getDenseI64ArrayAttr({0, 0, 0, 0}),
                        rewriter.getDenseI64ArrayAttr({batch, n, 1, s}),
                        rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}));
  SmallVector<int64_t> shape(at.getShape());
  shape.back() = n;
  return reshape(rewriter, loc, swapLastTwo(rewriter, loc, reshape(rewriter, loc, y, {batch, n, s})),
                 shape);
}

struct MatMulAsConv : OpRewritePattern<MatMulOp> {
  MatMulAsConv(MLIRContext *context, int64_t multiple)
      : OpRewritePattern(context), multiple(multiple) {}
  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter &rewriter) const override {
    auto at = cast<RankedTensorType>(op.getLhs().getType());
    auto bt = cast<RankedTensorType>(op.getRhs().getType());
    if (at.getRank() < 2 || bt.getRank() != 2 || !at.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not a (batch..., S, K) x (K, N) f32 matmul");
    std::optional<std::vector<float>> w = constantFloats(op.getRhs());
    if (!w)
      return rewriter.notifyMatchFailure(op, "weights are not constant");
    rewriter.replaceOp(op, linearAsConv(rewriter, op.getLoc(), op.getLhs(), *w, false,
                                        bt.getDimSize(1), 1.0f, std::nullopt, multiple));
    return success();
  }
  int64_t multiple;
};

struct GemmAsConv : OpRewritePattern<GemmOp> {
  GemmAsConv(MLIRContext *context, int64_t multiple)
      : OpRewritePattern(context), multiple(multiple) {}
  LogicalResult matchAndRewrite(GemmOp op, PatternRewriter &rewriter) const override {
    auto bt = cast<RankedTensorType>(op.getB().getType());
    if (op.getTransA() || !bt.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "a transposed, or not f32");
    std::optional<std::vector<float>> w = constantFloats(op.getB());
    if (!w)
      return rewriter.notifyMatchFailure(op, "b is not constant");
    int64_t n = bt.getDimSize(op.getTransB() ? 0 : 1);
    float beta = op.getBeta().convertToFloat();
    std::optional<std::vector<float>> bias;
    if (op.getC() && beta != 0) {
      std::optional<std::vector<float>> c = constantFloats(op.getC());
      auto ct = cast<RankedTensorType>(op.getC().getType());
      if (!c || (ct.getNumElements() != n && ct.getNumElements() != 1) ||
          (ct.getRank() == 2 && ct.getDimSize(0) != 1))
        return rewriter.notifyMatchFailure(op, "the bias is not a constant row of N");
      bias = std::vector<float>(n);
      for (int64_t i = 0; i < n; ++i)
        (*bias)[i] = beta * (*c)[c->size() == 1 ? 0 : i];
    }
    rewriter.replaceOp(op, linearAsConv(rewriter, op.getLoc(), op.getA(), *w, op.getTransB(), n,
                                        op.getAlpha().convertToFloat(), bias, multiple));
    return success();
  }
  int64_t multiple;
};

struct ConvertLinearToConvPass : lathe::impl::ConvertLinearToConvBase<ConvertLinearToConvPass> {
  using ConvertLinearToConvBase::ConvertLinearToConvBase;
  void runOnOperation() override {
    if (positionMultiple < 1) {
      getOperation().emitError("lathe-linear-to-conv needs position-multiple >= 1");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<MatMulAsConv, GemmAsConv>(&getContext(), positionMultiple);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
