//===- SinkTransposes.cpp - move transposes down and cancel them -----------===//
//
// The layout passes wrap each re-laid-out op in a pair of transposes. Sinking
// a transpose below an op that does not care about layout (elementwise ops,
// broadcasts against constants, concatenation, resizing, spatial means,
// normalization over dims it can name after the move, quantization along a
// named axis)
// brings it next to the inverse transpose of the next re-laid-out op, and the
// two fold away. What is left at the end moves data only at the graph's
// edges and around ops that have no channels-last form.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_SINKTRANSPOSES
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

SmallVector<int64_t> inverse(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inv(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inv[p] = i;
  return inv;
}

DenseI64ArrayAttr permAttr(Builder &b, ArrayRef<int64_t> perm) {
  return b.getDenseI64ArrayAttr(perm);
}

/// Constant `operand` brought to `rank` (leading unit dims) and transposed by
/// `inv` at compile time; null if it is not an f32 constant.
Value transposedConstant(PatternRewriter &rewriter, Location loc, Value operand, int64_t rank,
                         ArrayRef<int64_t> inv) {
  auto type = cast<RankedTensorType>(operand.getType());
  std::optional<std::vector<float>> values = constantFloats(operand);
  if (!values)
    return nullptr;
  SmallVector<int64_t> full(rank - type.getRank(), 1);
  full.append(type.getShape().begin(), type.getShape().end());
  SmallVector<int64_t> shape;
  for (int64_t p : inv)
    shape.push_back(full[p]);
  return makeFloatConstant(rewriter, loc, RankedTensorType::get(shape, type.getElementType()),
                           transposeValues(*values, full, inv), "transposed_operand");
}

/// op(transpose(x, p)) -> transpose(op(x), p) for a one-operand elementwise op.
struct SinkThroughElementwise : RewritePattern {
  SinkThroughElementwise(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa_and_present<LatheDialect>(op->getDialect()) || op->getNumOperands() != 1 ||
        op->getNumResults() != 1 || !op->hasTrait<OpTrait::SameOperandsAndResultType>())
      return failure();
    auto transpose = op->getOperand(0).getDefiningOp<TransposeOp>();
    if (!transpose)
      return failure();
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, transpose.getInput());
    moved->getResult(0).setType(transpose.getInput().getType());
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved->getResult(0),
                                             permAttr(rewriter, transpose.getPerm()));
    return success();
  }
};

/// binary(transpose(a, p), transpose(b, p) or constant c)
///   -> transpose(binary(a, b or c'), p)
/// where c' is c brought to the full rank and transposed by p's inverse at
/// compile time.
template <typename OpTy>
struct SinkThroughBroadcast : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    std::optional<SmallVector<int64_t>> perm;
    for (Value operand : op->getOperands())
      if (auto t = operand.template getDefiningOp<TransposeOp>()) {
        if (perm && ArrayRef<int64_t>(*perm) != t.getPerm())
          return rewriter.notifyMatchFailure(op, "operands transposed differently");
        perm = SmallVector<int64_t>(t.getPerm());
      }
    if (!perm || (int64_t)perm->size() != rank)
      return rewriter.notifyMatchFailure(op, "no operand transposed at the result's rank");
    SmallVector<int64_t> inv = inverse(*perm);
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      if (auto t = operand.template getDefiningOp<TransposeOp>()) {
        operands.push_back(t.getInput());
        continue;
      }
      Value constant = transposedConstant(rewriter, op.getLoc(), operand, rank, inv);
      if (!constant)
        return rewriter.notifyMatchFailure(op, "an operand is neither transposed nor f32 constant");
      operands.push_back(constant);
    }
    auto moved = OpTy::create(rewriter, op.getLoc(), operands, op->getAttrs());
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved.getResult(), permAttr(rewriter, *perm));
    return success();
  }
};

/// quantize_linear / dequantize_linear / requantize(transpose(x, p), ...)
///   -> transpose(op(x, ...), p), a per-axis scale's axis moved with its dim.
template <typename OpTy>
struct SinkThroughQuantization : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    auto transpose = op->getOperand(0).template getDefiningOp<TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(op, "input not transposed");
    ArrayRef<int64_t> perm = transpose.getPerm();
    auto inputType = cast<RankedTensorType>(transpose.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<Value> operands(op->getOperands());
    operands[0] = transpose.getInput();
    auto moved = OpTy::create(rewriter, op.getLoc(),
                              RankedTensorType::get(inputType.getShape(), resultType.getElementType()),
                              operands, op->getAttrs());
    moved.setAxis(perm[op.getAxis()]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved.getResult(), permAttr(rewriter, perm));
    return success();
  }
};

/// concat(transpose(x_i, p)..., axis) -> transpose(concat(x_i..., p[axis]), p)
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs;
    ArrayRef<int64_t> perm;
    for (Value input : op.getInputs()) {
      auto t = input.getDefiningOp<TransposeOp>();
      if (!t || (!perm.empty() && perm != t.getPerm()))
        return rewriter.notifyMatchFailure(op, "not every input transposed the same way");
      perm = t.getPerm();
      inputs.push_back(t.getInput());
    }
    auto moved = ConcatOp::create(rewriter, op.getLoc(), inputs,
                                  rewriter.getI64IntegerAttr(perm[op.getAxis()]));
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved.getResult(), permAttr(rewriter, perm));
    return success();
  }
};

/// resize(transpose(x, p)) -> transpose(resize(x), p), with the per-dim sizes
/// and scales permuted: resizing is separable per dim.
struct SinkThroughResize : OpRewritePattern<ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResizeOp op, PatternRewriter &rewriter) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    SmallVector<int64_t> sizes(op.getSizes());
    SmallVector<float> scales(op.getScales());
    for (auto [i, p] : llvm::enumerate(perm)) {
      if (!op.getSizes().empty())
        sizes[p] = op.getSizes()[i];
      if (!op.getScales().empty())
        scales[p] = op.getScales()[i];
    }
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    for (NamedAttribute &attr : attrs) {
      if (attr.getName() == "sizes")
        attr.setValue(rewriter.getDenseI64ArrayAttr(sizes));
      if (attr.getName() == "scales")
        attr.setValue(rewriter.getDenseF32ArrayAttr(scales));
    }
    auto moved = ResizeOp::create(rewriter, op.getLoc(), ValueRange{t.getInput()}, attrs);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved.getResult(), permAttr(rewriter, perm));
    return success();
  }
};

/// global_average_pool(transpose(x, p)) where p moves the channels of a
/// channels-last x to dim 1: a mean over x's spatial dims, transposed.
struct SinkThroughGlobalAveragePool : OpRewritePattern<GlobalAveragePoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GlobalAveragePoolOp op, PatternRewriter &rewriter) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    // Spatial dims of the pool's input are dims 2.. ; in x they are perm[2..].
    SmallVector<int64_t> axes(perm.drop_front(2));
    llvm::sort(axes);
    auto mean = ReduceMeanOp::create(
        rewriter, op.getLoc(), ValueRange{t.getInput()},
        {rewriter.getNamedAttr("axes", rewriter.getDenseI64ArrayAttr(axes)),
         rewriter.getNamedAttr("keepdims", rewriter.getBoolAttr(true))});
    rewriter.replaceOpWithNewOp<TransposeOp>(op, mean.getResult(), permAttr(rewriter, perm));
    return success();
  }
};

/// layer_norm(transpose(x, p), scale, bias) over axes A
///   -> transpose(layer_norm(x, scale', bias') over p[A], p)
/// with constant scale and bias brought to the full rank and transposed by
/// p's inverse at compile time. Only where p[A] are adjacent dims: the
/// channel dim of (B, C, S) for a norm over the last dim of (B, S, C), the
/// layout Core ML's layer_norm runs in on the Neural Engine.
struct SinkThroughLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &rewriter) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes())
      axes.push_back(perm[a]);
    llvm::sort(axes);
    if (axes.back() - axes.front() + 1 != (int64_t)axes.size())
      return rewriter.notifyMatchFailure(op, "the normalized dims would not be adjacent");
    int64_t rank = perm.size();
    SmallVector<int64_t> inv = inverse(perm);
    SmallVector<Value> operands{t.getInput()};
    for (Value parameter : {op.getScale(), op.getBias()}) {
      if (!parameter)
        continue;
      Value constant = transposedConstant(rewriter, op.getLoc(), parameter, rank, inv);
      if (!constant)
        return rewriter.notifyMatchFailure(op, "scale or bias is not an f32 constant");
      operands.push_back(constant);
    }
    auto moved = LayerNormOp::create(
        rewriter, op.getLoc(), t.getInput().getType(), operands,
        {rewriter.getNamedAttr("axes", rewriter.getDenseI64ArrayAttr(axes)),
         rewriter.getNamedAttr("epsilon", op.getEpsilonAttr())});
    rewriter.replaceOpWithNewOp<TransposeOp>(op, moved.getResult(), permAttr(rewriter, perm));
    return success();
  }
};

/// A transpose that only moves dims of size 1 moves no data: a reshape.
struct TransposeOfUnitDimsToReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> shape = op.getInput().getType().getShape();
    int64_t last = -1;
    for (int64_t p : op.getPerm()) {
      if (shape[p] == 1)
        continue;
      if (p < last)
        return rewriter.notifyMatchFailure(op, "moves a dim of size > 1");
      last = p;
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getInput(),
                                           rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

struct SinkTransposesPass : public lathe::impl::SinkTransposesBase<SinkTransposesPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Sinking first, to a fixed point (transpose pairs fold as they meet);
    // only then do the leftover unit-dim transposes become reshapes, since
    // a broadcast operand sinks only while it is still a transpose.
    RewritePatternSet sinking(context);
    sinking.add<SinkThroughElementwise, SinkThroughBroadcast<AddOp>, SinkThroughBroadcast<SubOp>,
                SinkThroughBroadcast<MulOp>, SinkThroughBroadcast<DivOp>,
                SinkThroughBroadcast<MaxOp>, SinkThroughBroadcast<MinOp>,
                SinkThroughBroadcast<PowOp>, SinkThroughConcat, SinkThroughResize,
                SinkThroughGlobalAveragePool, SinkThroughLayerNorm,
                SinkThroughQuantization<QuantizeLinearOp>,
                SinkThroughQuantization<DequantizeLinearOp>,
                SinkThroughQuantization<RequantizeOp>>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(sinking))))
      return signalPassFailure();
    RewritePatternSet cleanup(context);
    cleanup.add<TransposeOfUnitDimsToReshape>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(cleanup))))
      signalPassFailure();
  }
};

} // namespace
