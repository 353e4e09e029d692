//===- WinogradConvolutions.cpp - 3x3 convolutions in F(4x4, 3x3) ---------===//
//
// A direct 3x3 convolution spends 144 multiply-adds per 4x4 output tile and
// (input, output) channel pair; Winograd's F(4x4, 3x3) spends 36 (F(2x2,
// 3x3), for small images, 64), plus transforms whose cost grows with one
// channel count, not their product.
// The register tile already runs the direct form near the core's FMA peak,
// so fewer multiplications is what is left to gain on networks made of
// these layers (ResNets, VGGs, detection backbones).
//
// The convolution becomes winograd_input (pad, cut into 6x6 tiles, B^T d B),
// a batch of 36 matmuls (tiles, C) x (C, M) against the filters transformed
// at compile time (G g G^T, computed in double), which lathe-pack-weights
// lays out in panels like any constant matmul operand, and winograd_output
// (A^T m A, bias, cut to size). With the points 0, +-1, +-2 the fp32 result
// stays within about 1e-5 of the output's range.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"
#include "passes/WinogradMatrices.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/MathExtras.h"

namespace lathe {
#define GEN_PASS_DEF_WINOGRADCONVOLUTIONS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;
using namespace lathe::winograd;

namespace {

/// U[a * T + b][c][m] = (G g G^T)[a][b] for each filter g = w[:, :, c, m] of
/// the channels-last weights (3, 3, C, M), T the algorithm's tile.
std::vector<float> transformFilters(const Algorithm &f, ArrayRef<float> w, int64_t channels,
                                    int64_t filters) {
  int64_t pairs = channels * filters, t = f.tile;
  std::vector<float> u(t * t * pairs);
  std::vector<double> gg(t * kKernel);
  for (int64_t pair = 0; pair < pairs; ++pair) {
    auto g = [&](int i, int j) { return (double)w[(i * kKernel + j) * pairs + pair]; };
    for (int a = 0; a < t; ++a)
      for (int j = 0; j < kKernel; ++j) {
        gg[a * kKernel + j] = 0;
        for (int i = 0; i < kKernel; ++i)
          gg[a * kKernel + j] += f.g[a * kKernel + i] * g(i, j);
      }
    for (int a = 0; a < t; ++a)
      for (int b = 0; b < t; ++b) {
        double sum = 0;
        for (int j = 0; j < kKernel; ++j)
          sum += gg[a * kKernel + j] * f.g[b * kKernel + j];
        u[(a * t + b) * pairs + pair] = static_cast<float>(sum);
      }
  }
  return u;
}

/// F(4x4) unless that cuts the image into fewer than 8 tiles: each of its
/// 36 transformed filters per channel pair is then streamed from memory for
/// fewer than 8 tiles, and the matmul waits on memory, more so on more
/// threads (ResNet's last 7x7 stage); F(2x2) reads 16 of them for 4 times
/// as many tiles.
const Algorithm &algorithmFor(RankedTensorType result) {
  constexpr int64_t kFewestTiles = 8;
  int64_t tiles = result.getDimSize(0) * llvm::divideCeil(result.getDimSize(1), kF4.output) *
                  llvm::divideCeil(result.getDimSize(2), kF4.output);
  return tiles < kFewestTiles ? kF2 : kF4;
}

struct ThreeByThreeAtStrideOne : OpRewritePattern<ConvNhwcOp> {
  ThreeByThreeAtStrideOne(MLIRContext *context, int64_t minChannels)
      : OpRewritePattern(context), minChannels(minChannels) {}
  LogicalResult matchAndRewrite(ConvNhwcOp op, PatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    RankedTensorType resultType = op.getType();
    if (inputType.getRank() != 4 || op.getGroup() != 1 || op.getFilters() ||
        !resultType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "not a 2-D, group-1, unpacked f32 convolution");
    auto all = [](ArrayRef<int64_t> values, int64_t v) {
      return llvm::all_of(values, [&](int64_t x) { return x == v; });
    };
    if (weightType.getDimSize(0) != kKernel || weightType.getDimSize(1) != kKernel ||
        !all(op.getStrides(), 1) || !all(op.getDilations(), 1))
      return rewriter.notifyMatchFailure(op, "not a 3x3 window at stride 1 without dilation");
    int64_t channels = weightType.getDimSize(2), filters = weightType.getDimSize(3);
    // The transforms cost per tile what about 10 channels of the batched
    // matmul do; below that, and for images smaller than one output tile,
    // the direct form is as fast.
    if (channels < minChannels || filters < minChannels || resultType.getDimSize(1) < 4 ||
        resultType.getDimSize(2) < 4)
      return rewriter.notifyMatchFailure(op, "too few channels or pixels to gain");
    std::optional<std::vector<float>> weights = constantFloats(op.getWeight());
    if (!weights)
      return rewriter.notifyMatchFailure(op, "weights are not an f32 constant");

    const Algorithm &f = algorithmFor(resultType);
    Location loc = op.getLoc();
    auto outputTile = rewriter.getI64IntegerAttr(f.output);
    auto tiles = WinogradInputOp::create(rewriter, loc, op.getInput(),
                                         rewriter.getDenseI64ArrayAttr(op.getPads()), outputTile);
    auto filterType = RankedTensorType::get({f.tile * f.tile, channels, filters},
                                            resultType.getElementType());
    Value transformed = makeFloatConstant(
        rewriter, loc, filterType, transformFilters(f, *weights, channels, filters),
        "winograd_filters");
    Value products = MatMulOp::create(rewriter, loc, tiles, transformed);
    rewriter.replaceOpWithNewOp<WinogradOutputOp>(
        op, products, op.getBias(),
        rewriter.getDenseI64ArrayAttr({resultType.getDimSize(1), resultType.getDimSize(2)}),
        outputTile);
    return success();
  }
  int64_t minChannels;
};

struct WinogradConvolutionsPass
    : public lathe::impl::WinogradConvolutionsBase<WinogradConvolutionsPass> {
  using WinogradConvolutionsBase::WinogradConvolutionsBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ThreeByThreeAtStrideOne>(&getContext(), minChannels);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
