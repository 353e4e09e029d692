//===- FusePads.cpp - kernels write into the interior of padded tensors ---===//
//
// A convolution with padding reads its input zero-padded: a tensor.pad,
// which bufferizes into a new buffer filled with the padding value and a
// copy of the input into its interior, one more pass over memory per padded
// layer. When the input is a kernel's result that nothing else reads, the
// kernel writes its tiles straight into the interior of the padded buffer
// instead: the filled padded tensor is made before the kernel, the kernel's
// destination becomes a slice of it, and the pad an insertion of that slice
// where it already is (which bufferization leaves out).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_FUSEPADS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// The destination operand a result of a kernel (an scf.forall of tiles or
/// a structured op) is written into, if it is a fresh tensor.
OpOperand *freshDestination(OpResult result) {
  Operation *producer = result.getOwner();
  OpOperand *init = nullptr;
  if (auto loop = dyn_cast<scf::ForallOp>(producer))
    init = &loop.getOutputsMutable()[result.getResultNumber()];
  else if (auto dps = dyn_cast<linalg::LinalgOp>(producer))
    init = dps.getDpsInitOperand(result.getResultNumber());
  if (!init || !init->get().getDefiningOp<tensor::EmptyOp>() || !init->get().hasOneUse())
    return nullptr;
  return init;
}

struct WriteIntoPaddedTensor : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad, PatternRewriter &rewriter) const override {
    auto source = dyn_cast<OpResult>(pad.getSource());
    Value padding = pad.getConstantPaddingValue();
    if (!source || !source.hasOneUse() || !padding || !pad.getLow().empty() ||
        !pad.getHigh().empty() || !pad.getResultType().hasStaticShape() ||
        source.getOwner()->getBlock() != pad->getBlock())
      return rewriter.notifyMatchFailure(pad, "not a static pad of a kernel's only use");
    OpOperand *destination = freshDestination(source);
    Attribute paddingValue;
    if (!destination || !matchPattern(padding, m_Constant(&paddingValue)))
      return rewriter.notifyMatchFailure(pad, "no fresh destination, or a padding not constant");
    Operation *producer = source.getOwner();
    Location loc = pad.getLoc();
    rewriter.setInsertionPoint(producer);
    Value value = rewriter.clone(*padding.getDefiningOp())->getResult(0);
    auto type = pad.getResultType();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    Value filled = linalg::FillOp::create(rewriter, loc, value, empty).getResult(0);
    auto sourceType = cast<RankedTensorType>(source.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [low, size] : llvm::zip(pad.getStaticLow(), sourceType.getShape())) {
      offsets.push_back(rewriter.getIndexAttr(low));
      sizes.push_back(rewriter.getIndexAttr(size));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled, offsets, sizes, strides);
    Operation *fresh = destination->get().getDefiningOp();
    rewriter.modifyOpInPlace(producer, [&] { destination->set(interior); });
    rewriter.eraseOp(fresh);
    rewriter.setInsertionPoint(pad);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, source, filled, offsets, sizes,
                                                       strides);
    return success();
  }
};

struct FusePadsPass : public lathe::impl::FusePadsBase<FusePadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<WriteIntoPaddedTensor>(&getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
