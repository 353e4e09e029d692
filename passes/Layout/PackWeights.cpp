//===- PackWeights.cpp - constant weights in panels for the register tile -===//
//
// matmul(a, B) and gemm(a, B, c) with B a constant f32 matrix become
// lathe.matmul_packed(a, P): P holds B's columns in panels of `tile`, laid
// out (panel, K, tile) at compile time, so the kernel's register tile reads
// `tile` consecutive floats at each step of the reduction instead of a
// strided column. Gemm's transB and alpha are applied to P; its bias stays
// an add (beta applied to a constant bias at compile time) that the kernel
// forms as its epilogue. A batch of constant matrices, one per matrix of
// a, is packed the same way, panel-major. A channels-last convolution (group 1) is the same
// product with (kernel..., C) as its reduction: its weights become
// (panel, kernel..., C, tile) and the op records its filter count.
//
// Weight-only quantized weights (a DequantizeLinear of a constant int8
// matrix, zero points 0, scales per tensor or per column) are packed as
// int8 panels, which the register tile converts as it loads them, and the
// scales multiply the product: a quarter of the bytes a memory-bound
// product reads.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_PACKWEIGHTS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// The panels of the (K, N) row-major matrix `b` (read transposed, (N, K),
/// if `transposed`), scaled by `scale`: element (k, n) at
/// ((n / tile) * K + k) * tile + n % tile, zero past column N.
template <typename T>
std::vector<T> packColumns(ArrayRef<T> b, int64_t k, int64_t n, int64_t tile, bool transposed,
                           T scale) {
  int64_t panels = (n + tile - 1) / tile;
  std::vector<T> packed(panels * k * tile, T(0));
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      packed[((col / tile) * k + row) * tile + col % tile] =
          scale * b[transposed ? col * k + row : row * n + col];
  return packed;
}

/// The panel width for `n` columns: the register tile's `tile`, or for a
/// product too narrow for it (padding would waste more than half the work),
/// the widest half, quarter, ... down to 4 columns that does not; 0 (keep
/// the plain form) when none does.
int64_t panelWidth(int64_t n, int64_t tile) {
  for (int64_t width = tile; width >= 4; width /= 2)
    if (2 * n >= width)
      return width;
  return 0;
}

Value makePanels(PatternRewriter &rewriter, Location loc, ArrayRef<float> b, int64_t k,
                 int64_t n, int64_t tile, bool transposed, float scale) {
  int64_t panels = (n + tile - 1) / tile;
  auto type = RankedTensorType::get({panels, k, tile}, rewriter.getF32Type());
  return makeFloatConstant(rewriter, loc, type, packColumns<float>(b, k, n, tile, transposed, scale),
                           "packed_weight");
}

/// A batch of (K, N) matrices as (panels, batch, K, tile): panel p of every
/// matrix side by side, so a register tile walks one matrix's panel in
/// order, and the kernel's tiles of one panel share its column range.
Value makeBatchedPanels(PatternRewriter &rewriter, Location loc, ArrayRef<float> b,
                        int64_t batch, int64_t k, int64_t n, int64_t tile) {
  int64_t panels = (n + tile - 1) / tile, panelSize = k * tile;
  std::vector<float> packed(panels * batch * panelSize);
  for (int64_t i = 0; i < batch; ++i) {
    std::vector<float> one = packColumns<float>(b.slice(i * k * n, k * n), k, n, tile, false, 1.0f);
    for (int64_t p = 0; p < panels; ++p)
      std::copy_n(one.begin() + p * panelSize, panelSize,
                  packed.begin() + (p * batch + i) * panelSize);
  }
  auto type = RankedTensorType::get({panels, batch, k, tile}, rewriter.getF32Type());
  return makeFloatConstant(rewriter, loc, type, packed, "packed_weight");
}

/// A constant int8 matrix behind a DequantizeLinear with zero points 0 and
/// one scale, or one per column of the product (weight-only quantization):
/// the values as stored and the scales of the columns.
struct QuantizedMatrix {
  std::vector<int64_t> values;
  std::vector<float> columnScales; // one, or one per column
};

/// `b` as such a matrix, read as (K, N), or as (N, K) if `transposed`.
std::optional<QuantizedMatrix> quantizedMatrix(Value b, bool transposed) {
  auto dq = b.getDefiningOp<DequantizeLinearOp>();
  if (!dq)
    return std::nullopt;
  auto type = cast<RankedTensorType>(dq.getInput().getType());
  if (type.getRank() != 2 || !type.getElementType().isInteger(8) ||
      type.getElementType().isUnsignedInteger())
    return std::nullopt;
  std::optional<std::vector<int64_t>> values = constantIntegers(dq.getInput());
  std::optional<std::vector<float>> scales = constantFloats(dq.getScale());
  std::optional<std::vector<int64_t>> zeroPoints = constantIntegers(dq.getZeroPoint());
  if (!values || !scales || !zeroPoints || scales->size() != zeroPoints->size() ||
      llvm::any_of(*zeroPoints, [](int64_t z) { return z != 0; }))
    return std::nullopt;
  int64_t axis = dq.getAxis() < 0 ? dq.getAxis() + 2 : dq.getAxis();
  int64_t columnAxis = transposed ? 0 : 1;
  if (scales->size() != 1 &&
      (axis != columnAxis || (int64_t)scales->size() != type.getDimSize(columnAxis)))
    return std::nullopt;
  return QuantizedMatrix{std::move(*values), std::move(*scales)};
}

/// lathe.matmul_packed(a, int8 panels) times the columns' scales (an
/// epilogue of the kernel): the weights stay a quarter of their float size
/// and the register tile converts each panel row as it loads it.
Value makeQuantizedProduct(PatternRewriter &rewriter, Location loc, RankedTensorType type,
                           Value a, const QuantizedMatrix &b, int64_t k, int64_t n,
                           int64_t tile, bool transposed, float alpha) {
  int64_t panels = (n + tile - 1) / tile;
  auto panelType = RankedTensorType::get({panels, k, tile}, rewriter.getI8Type());
  Value packed = makeIntegerConstant(
      rewriter, loc, panelType,
      packColumns<int64_t>(b.values, k, n, tile, transposed, int64_t(1)), "packed_weight");
  Value product = MatMulPackedOp::create(rewriter, loc, type, a, packed,
                                         rewriter.getI64IntegerAttr(n));
  std::vector<float> scales(n);
  for (int64_t col = 0; col < n; ++col)
    scales[col] = alpha * b.columnScales[b.columnScales.size() == 1 ? 0 : col];
  Value scale = makeFloatConstant(
      rewriter, loc, RankedTensorType::get({n}, rewriter.getF32Type()), scales, "weight_scale");
  return MulOp::create(rewriter, loc, type, product, scale);
}

struct PackMatMul : OpRewritePattern<MatMulOp> {
  PackMatMul(MLIRContext *context, int64_t tile) : OpRewritePattern(context), tile(tile) {}
  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter &rewriter) const override {
    auto at = cast<RankedTensorType>(op.getLhs().getType());
    auto bt = cast<RankedTensorType>(op.getRhs().getType());
    // (B, M, K) x (B, K, N): one constant matrix per matrix of a.
    bool batched = bt.getRank() == 3 && at.getRank() == 3 && at.getDimSize(0) == bt.getDimSize(0);
    if (at.getRank() < 2 || (bt.getRank() != 2 && !batched) || !at.getElementType().isF32())
      return rewriter.notifyMatchFailure(
          op, "not a (batch..., M, K) x (K, N) or (B, M, K) x (B, K, N) f32 matmul");
    int64_t k = bt.getDimSize(bt.getRank() - 2), n = bt.getDimSize(bt.getRank() - 1);
    int64_t tile = panelWidth(n, this->tile);
    if (!tile)
      return rewriter.notifyMatchFailure(op, "too few columns for a panel");
    std::optional<std::vector<float>> b = constantFloats(op.getRhs());
    std::optional<QuantizedMatrix> quantized;
    if (!b && (batched || !(quantized = quantizedMatrix(op.getRhs(), /*transposed=*/false))))
      return rewriter.notifyMatchFailure(op, "right operand is not a constant f32 matrix nor int8 weights");
    if (quantized) {
      rewriter.replaceOp(op, makeQuantizedProduct(rewriter, op.getLoc(), op.getType(), op.getLhs(),
                                                  *quantized, k, n, tile, false, 1.0f));
      return success();
    }
    Value panels =
        batched ? makeBatchedPanels(rewriter, op.getLoc(), *b, bt.getDimSize(0), k, n, tile)
                : makePanels(rewriter, op.getLoc(), *b, k, n, tile, false, 1.0f);
    rewriter.replaceOpWithNewOp<MatMulPackedOp>(op, op.getType(), op.getLhs(), panels,
                                                rewriter.getI64IntegerAttr(n));
    return success();
  }
  int64_t tile;
};

struct PackGemm : OpRewritePattern<GemmOp> {
  PackGemm(MLIRContext *context, int64_t tile) : OpRewritePattern(context), tile(tile) {}
  LogicalResult matchAndRewrite(GemmOp op, PatternRewriter &rewriter) const override {
    auto bt = cast<RankedTensorType>(op.getB().getType());
    if (op.getTransA() || !bt.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "a transposed or not f32");
    bool transB = op.getTransB();
    int64_t k = bt.getDimSize(transB ? 1 : 0), n = bt.getDimSize(transB ? 0 : 1);
    int64_t tile = panelWidth(n, this->tile);
    if (!tile)
      return rewriter.notifyMatchFailure(op, "too few columns for a panel");
    std::optional<std::vector<float>> b = constantFloats(op.getB());
    std::optional<QuantizedMatrix> quantized;
    if (!b && !(quantized = quantizedMatrix(op.getB(), transB)))
      return rewriter.notifyMatchFailure(op, "b is not a constant f32 matrix nor int8 weights");
    // The bias, beta applied: as it is when beta is 1, else only a constant.
    Location loc = op.getLoc();
    float beta = op.getBeta().convertToFloat();
    Value bias;
    if (op.getC() && beta != 0) {
      if (beta == 1) {
        bias = op.getC();
      } else {
        std::optional<std::vector<float>> c = constantFloats(op.getC());
        if (!c)
          return rewriter.notifyMatchFailure(op, "bias scaled by beta is not a constant");
        for (float &v : *c)
          v *= beta;
        bias = makeFloatConstant(rewriter, loc, cast<RankedTensorType>(op.getC().getType()), *c,
                                 "gemm_bias");
      }
    }
    float alpha = op.getAlpha().convertToFloat();
    Value product;
    if (quantized) {
      product = makeQuantizedProduct(rewriter, loc, op.getType(), op.getA(), *quantized, k, n,
                                     tile, transB, alpha);
    } else {
      Value panels = makePanels(rewriter, loc, *b, k, n, tile, transB, alpha);
      product = MatMulPackedOp::create(rewriter, loc, op.getType(), op.getA(), panels,
                                       rewriter.getI64IntegerAttr(n));
    }
    if (bias)
      product = AddOp::create(rewriter, loc, op.getType(), product, bias);
    rewriter.replaceOp(op, product);
    return success();
  }
  int64_t tile;
};

struct PackConvolution : OpRewritePattern<ConvNhwcOp> {
  PackConvolution(MLIRContext *context, int64_t tile) : OpRewritePattern(context), tile(tile) {}
  LogicalResult matchAndRewrite(ConvNhwcOp op, PatternRewriter &rewriter) const override {
    if (op.getFilters() || op.getGroup() != 1)
      return rewriter.notifyMatchFailure(op, "packed already, or grouped");
    auto wt = cast<RankedTensorType>(op.getWeight().getType());
    int64_t filters = wt.getShape().back(), depth = wt.getNumElements() / filters;
    int64_t tile = panelWidth(filters, this->tile);
    if (!tile)
      return rewriter.notifyMatchFailure(op, "too few filters for a panel");
    std::optional<std::vector<float>> w = constantFloats(op.getWeight());
    if (!w)
      return rewriter.notifyMatchFailure(op, "weights are not a constant f32 tensor");
    // (kernel..., C, M) row-major is a (depth, M) matrix.
    SmallVector<int64_t> shape{(filters + tile - 1) / tile};
    shape.append(wt.getShape().begin(), wt.getShape().end() - 1);
    shape.push_back(tile);
    Value panels = makeFloatConstant(rewriter, op.getLoc(),
                                     RankedTensorType::get(shape, wt.getElementType()),
                                     packColumns<float>(*w, depth, filters, tile, false, 1.0f),
                                     "packed_filters");
    rewriter.modifyOpInPlace(op, [&] {
      op.getWeightMutable().assign(panels);
      op.setFilters(filters);
    });
    return success();
  }
  int64_t tile;
};

struct PackWeightsPass
    : public lathe::impl::PackWeightsBase<PackWeightsPass> {
  using PackWeightsBase::PackWeightsBase;
  void runOnOperation() override {
    if (tileColumns < 1) {
      getOperation().emitError("lathe-pack-weights needs tile-columns >= 1");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<PackMatMul, PackGemm, PackConvolution>(&getContext(), tileColumns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
