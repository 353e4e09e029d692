//===- WinogradToLinalg.cpp - the transforms of F(4x4, 3x3) ---------------===//
//
// Each transform is two products with a 6x6 (or 4x6) constant matrix, one
// per spatial dim of the tile, as contractions whose innermost loop runs
// over channels (contiguous in every operand, so it vectorizes): B^T d B
// costs 2 x 6 x 6 multiply-adds per 6x6 tile and channel instead of the
// 36 x 36 of the Kronecker product. The tiles are never gathered: the first
// product reads the padded image at rows 4 * th + i directly.
//
//===----------------------------------------------------------------------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"
#include "passes/WinogradF43.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::winograd;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <int Rows, int Cols>
Value matrixConstant(OpBuilder &b, Location loc, const double (&m)[Rows][Cols]) {
  SmallVector<float> values;
  for (const auto &row : m)
    values.append(std::begin(row), std::end(row));
  auto type = RankedTensorType::get({Rows, Cols}, b.getF32Type());
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
}

/// init[out] += matrix[matrixMap] * x[xMap] over `dims` iteration dims, the
/// one named `reduction` summed; every other dim is parallel.
Value multiplyAlong(OpBuilder &b, Location loc, Value matrix, Value x, Value init, int64_t dims,
                    int64_t reduction, ArrayRef<AffineExpr> matrixExprs,
                    ArrayRef<AffineExpr> xExprs, ArrayRef<AffineExpr> outExprs) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps{AffineMap::get(dims, 0, matrixExprs, ctx),
                              AffineMap::get(dims, 0, xExprs, ctx),
                              AffineMap::get(dims, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(dims, utils::IteratorType::parallel);
  iterators[reduction] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{matrix, x}, init, maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange v) {
               Value product = arith::MulFOp::create(nb, l, v[0], v[1]);
               linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, v[2], product).getResult());
             })
      .getResult(0);
}

Value zeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type t) {
  return buildFilled(b, loc, RankedTensorType::get(shape, t), scalarConstant(b, loc, t, 0));
}

struct WinogradInputLowering : OpConversionPattern<WinogradInputOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(WinogradInputOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xt = cast<RankedTensorType>(adaptor.getInput().getType());
    Type t = xt.getElementType();
    ArrayRef<int64_t> pads = op.getPads();
    int64_t n = xt.getDimSize(0), h = xt.getDimSize(1), w = xt.getDimSize(2),
            c = xt.getDimSize(3);
    int64_t th = ceilDiv(h + pads[0] + pads[2] - 2, kOutput);
    int64_t tw = ceilDiv(w + pads[1] + pads[3] - 2, kOutput);
    // Padded to whole tiles: rows 0 .. 4 * th + 1.
    int64_t ph = kOutput * th + 2, pw = kOutput * tw + 2;
    Value x = buildPad(rewriter, loc, adaptor.getInput(), {0, pads[0], pads[1], 0},
                       {0, ph - h - pads[0], pw - w - pads[1], 0}, scalarConstant(rewriter, loc, t, 0));
    Value bt = matrixConstant(rewriter, loc, kBt);
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    // rows[a, n, th, w, c] = sum_i B^T[a, i] x[n, 4 th + i, w, c]
    // dims: a n th w i c
    Value rows = multiplyAlong(rewriter, loc, bt, x, zeros(rewriter, loc, {kTile, n, th, pw, c}, t),
                               6, 4, {d(0), d(4)}, {d(1), d(2) * kOutput + d(4), d(3), d(5)},
                               {d(0), d(1), d(2), d(3), d(5)});
    // tiles[a, b, n, th, tw, c] = sum_j B^T[b, j] rows[a, n, th, 4 tw + j, c]
    // dims: a b n th tw j c
    Value tiles = multiplyAlong(
        rewriter, loc, bt, rows, zeros(rewriter, loc, {kTile, kTile, n, th, tw, c}, t), 7, 5,
        {d(1), d(5)}, {d(0), d(2), d(3), d(4) * kOutput + d(5), d(6)},
        {d(0), d(1), d(2), d(3), d(4), d(6)});
    rewriter.replaceOp(op, buildReshape(rewriter, loc, tiles, op.getType().getShape()));
    return success();
  }
};

struct WinogradOutputLowering : OpConversionPattern<WinogradOutputOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(WinogradOutputOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType rt = op.getType();
    Type t = rt.getElementType();
    int64_t n = rt.getDimSize(0), oh = rt.getDimSize(1), ow = rt.getDimSize(2),
            m = rt.getDimSize(3);
    int64_t th = ceilDiv(oh, kOutput), tw = ceilDiv(ow, kOutput);
    Value products =
        buildReshape(rewriter, loc, adaptor.getProducts(), {kTile, kTile, n, th, tw, m});
    Value at = matrixConstant(rewriter, loc, kAt);
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    // cols[y, b, n, th, tw, m] = sum_a A^T[y, a] products[a, b, n, th, tw, m]
    // dims: y b n th tw a m
    Value cols = multiplyAlong(
        rewriter, loc, at, products, zeros(rewriter, loc, {kOutput, kTile, n, th, tw, m}, t), 7,
        5, {d(0), d(5)}, {d(5), d(1), d(2), d(3), d(4), d(6)},
        {d(0), d(1), d(2), d(3), d(4), d(6)});
    // out[n, th, y, tw, x, m] = bias[m] + sum_b A^T[x, b] cols[y, b, n, th, tw, m]
    // dims: n th y tw x b m
    auto tiledType = RankedTensorType::get({n, th, kOutput, tw, kOutput, m}, t);
    Value init = adaptor.getBias()
                     ? buildElementwise(rewriter, loc, tiledType, {adaptor.getBias()},
                                        [](OpBuilder &, Location, ValueRange v) { return v[0]; })
                     : zeros(rewriter, loc, tiledType.getShape(), t);
    Value tiled = multiplyAlong(rewriter, loc, at, cols, init, 7, 5, {d(4), d(5)},
                                {d(2), d(5), d(0), d(1), d(3), d(6)},
                                {d(0), d(1), d(2), d(3), d(4), d(6)});
    Value image = buildReshape(rewriter, loc, tiled, {n, kOutput * th, kOutput * tw, m});
    if (kOutput * th != oh || kOutput * tw != ow) {
      SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0)), sizes, unit(4, rewriter.getIndexAttr(1));
      for (int64_t s : rt.getShape())
        sizes.push_back(rewriter.getIndexAttr(s));
      image = tensor::ExtractSliceOp::create(rewriter, loc, image, offsets, sizes, unit);
    }
    rewriter.replaceOp(op, image);
    return success();
  }
};

} // namespace

void lathe::populateWinogradToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<WinogradInputLowering, WinogradOutputLowering>(converter, patterns.getContext());
}
