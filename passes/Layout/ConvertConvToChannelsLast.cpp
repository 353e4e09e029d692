//===- ConvertConvToChannelsLast.cpp - convolutions in NHWC ----------------===//
//
// A convolution with constant f32 weights becomes
//   transpose(conv_nhwc(transpose(x, to_last), W'), to_first)
// with W' re-laid out at compile time to (kernel..., C/group, M), and a
// max or average pool after a convolution pools channels last the same way.
// The
// transposes are then sunk and cancelled by lathe-sink-transposes, so a chain
// of convolutions keeps channels last from its first input to its last output.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_CONVERTCONVTOCHANNELSLAST
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// The permutations from channels first to last and back for rank `rank`.
std::pair<SmallVector<int64_t>, SmallVector<int64_t>> channelPermutations(int64_t rank) {
  SmallVector<int64_t> toLast{0}, toFirst{0, rank - 1};
  for (int64_t i = 2; i < rank; ++i)
    toLast.push_back(i);
  toLast.push_back(1);
  for (int64_t i = 1; i < rank - 1; ++i)
    toFirst.push_back(i);
  return {toLast, toFirst};
}

struct ConvToChannelsLast : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    auto wt = conv.getWeight().getType();
    int64_t rank = wt.getRank();
    std::optional<std::vector<float>> weight = constantFloats(conv.getWeight());
    if (!weight)
      return rewriter.notifyMatchFailure(conv, "weights are not a constant f32 tensor");
    auto [toLast, toFirst] = channelPermutations(rank);
    SmallVector<int64_t> weightPerm;
    for (int64_t i = 2; i < rank; ++i)
      weightPerm.push_back(i);
    weightPerm.append({1, 0});
    Location loc = conv.getLoc();
    SmallVector<int64_t> wShape;
    for (int64_t p : weightPerm)
      wShape.push_back(wt.getDimSize(p));
    Value w = makeFloatConstant(rewriter, loc, RankedTensorType::get(wShape, wt.getElementType()),
                                transposeValues(*weight, wt.getShape(), weightPerm),
                                "channels_last_weight");
    Value x = TransposeOp::create(rewriter, loc, conv.getInput(), rewriter.getDenseI64ArrayAttr(toLast));
    SmallVector<Value> operands{x, w};
    if (conv.getBias())
      operands.push_back(conv.getBias());
    auto nhwc = ConvNhwcOp::create(rewriter, loc, operands, conv->getAttrs());
    rewriter.replaceOpWithNewOp<TransposeOp>(conv, nhwc.getResult(),
                                             rewriter.getDenseI64ArrayAttr(toFirst));
    return success();
  }
};

/// Whether `v` is computed channels last once the convolutions are: a
/// convolution's result, or a transpose's, seen through ops that keep its
/// shape: of one operand (an activation), or quantizing it (a quantized
/// layer's result between DequantizeLinear and QuantizeLinear).
bool fromChannelsLast(Value v) {
  auto sameShape = [](Operation *op) {
    return cast<ShapedType>(op->getOperand(0).getType()).getShape() ==
           cast<ShapedType>(op->getResult(0).getType()).getShape();
  };
  Operation *def = v.getDefiningOp();
  while (def && def->getNumResults() == 1 && def->getNumOperands() >= 1 &&
         (def->getNumOperands() == 1 || isa<QuantizeLinearOp, DequantizeLinearOp, RequantizeOp>(def)) &&
         sameShape(def))
    def = def->getOperand(0).getDefiningOp();
  return def && isa<ConvOp, TransposeOp>(def);
}

/// A max or average pool between channels-last convolutions pools channels
/// last too: its transposes then meet theirs and cancel, where pooling
/// channels first would transpose the image twice.
template <typename PoolOp>
struct PoolToChannelsLast : OpRewritePattern<PoolOp> {
  using OpRewritePattern<PoolOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(PoolOp pool, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(pool.getInput().getType());
    if (pool.getChannelsLast() || type.getRank() < 3 || !type.getElementType().isF32() ||
        !fromChannelsLast(pool.getInput()))
      return rewriter.notifyMatchFailure(pool, "channels last already, not f32, or no "
                                               "convolution before it");
    auto [toLast, toFirst] = channelPermutations(type.getRank());
    Location loc = pool.getLoc();
    Value x = TransposeOp::create(rewriter, loc, pool.getInput(),
                                  rewriter.getDenseI64ArrayAttr(toLast));
    SmallVector<NamedAttribute> attrs(pool->getAttrs());
    attrs.push_back(rewriter.getNamedAttr(pool.getChannelsLastAttrName(), rewriter.getUnitAttr()));
    auto last = PoolOp::create(rewriter, loc, ValueRange{x}, attrs);
    rewriter.replaceOpWithNewOp<TransposeOp>(pool, last.getResult(),
                                             rewriter.getDenseI64ArrayAttr(toFirst));
    return success();
  }
};

struct ConvertConvToChannelsLastPass
    : public lathe::impl::ConvertConvToChannelsLastBase<ConvertConvToChannelsLastPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvToChannelsLast, PoolToChannelsLast<MaxPoolOp>,
                 PoolToChannelsLast<AveragePoolOp>>(&getContext());
    // One rewrite per convolution; transposes are left for the sinking pass.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
