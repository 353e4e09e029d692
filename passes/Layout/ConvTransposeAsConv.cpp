//===- ConvTransposeAsConv.cpp - upsampling transposed convolutions -------===//
//
// A transposed convolution whose stride equals its kernel (the 2x2, stride
// 2 upsampling of segmentation and detection heads) paints each input pixel
// into a block of its own: output (co, i*s + a, j*t + b) is the sum over ci
// of input (ci, i, j) times weight (ci, co, a, b). Computed as written, over
// the input with zeros inserted between its pixels, three multiplications
// in four are by zero and no register tile applies. As a 1x1 convolution to
// Cout*s*t channels (weights re-laid out at compile time) followed by the
// block rearrangement (a reshape, a transpose, a reshape), it is a matmul
// the layout passes pack and the vectorizer register-tiles.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_CONVTRANSPOSEASCONV
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

struct StrideEqualsKernel : OpRewritePattern<ConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvTransposeOp op, PatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (inputType.getRank() != 4 || op.getGroup() != 1 || !resultType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not a 2-D, group-1, f32 transposed convolution");
    int64_t n = inputType.getDimSize(0), cin = inputType.getDimSize(1),
            h = inputType.getDimSize(2), w = inputType.getDimSize(3);
    int64_t cout = weightType.getDimSize(1), s = weightType.getDimSize(2),
            t = weightType.getDimSize(3);
    auto all = [](ArrayRef<int64_t> values, int64_t v) {
      return llvm::all_of(values, [&](int64_t x) { return x == v; });
    };
    if (op.getStrides() != ArrayRef<int64_t>{s, t} || !all(op.getDilations(), 1) ||
        !all(op.getPads(), 0) || !all(op.getOutputPadding(), 0))
      return rewriter.notifyMatchFailure(op, "stride differs from kernel, or dilated or padded");
    std::optional<std::vector<float>> weight = constantFloats(op.getWeight());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weights are not an f32 constant");
    std::optional<std::vector<float>> bias;
    if (op.getBias() && !(bias = constantFloats(op.getBias())))
      return rewriter.notifyMatchFailure(op, "bias is not an f32 constant");

    // Filter (co, a, b) of the 1x1 convolution reads weight (ci, co, a, b).
    int64_t filters = cout * s * t;
    std::vector<float> filterWeights(filters * cin), filterBias(filters, 0.0f);
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t f = 0; f < filters; ++f)
        filterWeights[f * cin + ci] = (*weight)[ci * filters + f];
    if (bias)
      for (int64_t f = 0; f < filters; ++f)
        filterBias[f] = (*bias)[f / (s * t)];

    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value w1x1 = makeFloatConstant(rewriter, loc, RankedTensorType::get({filters, cin, 1, 1}, f32),
                                   filterWeights, "upsampling_filters");
    Value b1x1 = makeFloatConstant(rewriter, loc, RankedTensorType::get({filters}, f32), filterBias,
                                   "upsampling_bias");
    Value conv = ConvOp::create(rewriter, loc, RankedTensorType::get({n, filters, h, w}, f32),
                                ValueRange{op.getInput(), w1x1, b1x1},
                                {rewriter.getNamedAttr("strides", rewriter.getDenseI64ArrayAttr({1, 1})),
                                 rewriter.getNamedAttr("dilations", rewriter.getDenseI64ArrayAttr({1, 1})),
                                 rewriter.getNamedAttr("pads", rewriter.getDenseI64ArrayAttr({0, 0, 0, 0})),
                                 rewriter.getNamedAttr("group", rewriter.getI64IntegerAttr(1))});
    // (n, co, a, b, i, j) -> (n, co, i, a, j, b) -> (n, co, i*s + a, j*t + b)
    Value blocks = ReshapeOp::create(rewriter, loc, conv,
                                     rewriter.getDenseI64ArrayAttr({n, cout, s, t, h, w}));
    Value placed = TransposeOp::create(rewriter, loc, blocks,
                                       rewriter.getDenseI64ArrayAttr({0, 1, 4, 2, 5, 3}));
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, placed,
                                           rewriter.getDenseI64ArrayAttr(resultType.getShape()));
    return success();
  }
};

struct ConvTransposeAsConvPass
    : public lathe::impl::ConvTransposeAsConvBase<ConvTransposeAsConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StrideEqualsKernel>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
