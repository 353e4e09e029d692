//===- WinogradToLinalg.cpp - the transforms of F(4x4, 3x3) ---------------===//
//
// Each transform is two products with a 6x6 (or 4x6) constant matrix, one
// per spatial dim of the tile: B^T d B costs at most 2 x 6 x 6
// multiply-adds per 6x6 tile and channel (F(4x4, 3x3)) instead of the
// 36 x 36 of the Kronecker product. The tiles are never gathered: the first product reads
// the padded image at rows m * th + i directly. Each product's outputs and
// terms are its innermost loops, inside the channel loop: kernel formation
// keeps them whole, lathe-unroll-short-loops unrolls them, the matrix stays
// a table in the code (lathe-externalize-constants), so LLVM reads the
// coefficients as constants and, as the flags below allow, drops the terms
// whose coefficient is 0 (about half); the channel loop vectorizes with
// each output's sum in a register.
//
//===----------------------------------------------------------------------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"
#include "passes/WinogradMatrices.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace lathe;
using namespace lathe::winograd;

namespace {

/// A transform matrix (rows x cols, row-major) as a tensor: read from a
/// constant global marked lathe.code_table, which stays in the code (not the
/// artifact's constants), so that LLVM knows its values where the unrolled
/// transform indexes it with constants.
Value matrixTable(OpBuilder &b, Location loc, Operation *user, const Algorithm &f, StringRef which,
                  const double *m, int64_t rows, int64_t cols) {
  auto module = user->getParentOfType<ModuleOp>();
  std::string name = ("lathe_winograd_f" + Twine(f.output) + "_" + which).str();
  auto type = MemRefType::get({rows, cols}, b.getF32Type());
  auto tensorType = RankedTensorType::get({rows, cols}, b.getF32Type());
  if (!SymbolTable::lookupSymbolIn(module, name)) {
    SmallVector<float> values(m, m + rows * cols);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto global = memref::GlobalOp::create(
        b, loc, name, b.getStringAttr("private"), type,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)), /*constant=*/true,
        /*alignment=*/nullptr);
    global->setAttr(LatheDialect::CodeTableAttrHelper::getNameStr(), b.getUnitAttr());
  }
  Value table = memref::GetGlobalOp::create(b, loc, type, name);
  return bufferization::ToTensorOp::create(b, loc, tensorType, table, /*restrict=*/true);
}

/// init[out] += matrix[matrixMap] * x[xMap] over 7 or 6 iteration dims
/// (one more than init's rank), the last one summed: the short nest of a
/// transform's outputs and terms is innermost, inside the channel loop. The
/// coefficient is a small exact integer or fraction and, where it is 0, the
/// term is no term of the transform: no NaN or sign of zero is owed to it
/// (nnan, nsz), and a multiply-add may be fused (contract).
Value multiplyAlong(OpBuilder &b, Location loc, Value matrix, Value x, Value init,
                    ArrayRef<AffineExpr> matrixExprs, ArrayRef<AffineExpr> xExprs,
                    ArrayRef<AffineExpr> outExprs) {
  MLIRContext *ctx = b.getContext();
  int64_t dims = cast<RankedTensorType>(init.getType()).getRank() + 1;
  SmallVector<AffineMap> maps{AffineMap::get(dims, 0, matrixExprs, ctx),
                              AffineMap::get(dims, 0, xExprs, ctx),
                              AffineMap::get(dims, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(dims, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  auto flags = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::nnan | arith::FastMathFlags::nsz | arith::FastMathFlags::contract);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{matrix, x}, init, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value product = arith::MulFOp::create(nb, l, v[0], v[1], flags);
               linalg::YieldOp::create(nb, l,
                                       arith::AddFOp::create(nb, l, v[2], product, flags).getResult());
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
    const Algorithm &f = *algorithmFor(op.getOutputTile());
    int64_t step = f.output, side = f.tile;
    int64_t n = xt.getDimSize(0), h = xt.getDimSize(1), w = xt.getDimSize(2),
            c = xt.getDimSize(3);
    int64_t th = llvm::divideCeil(h + pads[0] + pads[2] - 2, step);
    int64_t tw = llvm::divideCeil(w + pads[1] + pads[3] - 2, step);
    // Padded to whole tiles: rows 0 .. m * th + 1.
    int64_t ph = step * th + 2, pw = step * tw + 2;
    Value x = buildPad(rewriter, loc, adaptor.getInput(), {0, pads[0], pads[1], 0},
                       {0, ph - h - pads[0], pw - w - pads[1], 0}, scalarConstant(rewriter, loc, t, 0));
    Value bt = matrixTable(rewriter, loc, op, f, "bt", f.bt, side, side);
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    // rows[a, n, th, w, c] = sum_i B^T[a, i] x[n, m th + i, w, c]
    // dims: n th w c a i
    Value rows = multiplyAlong(rewriter, loc, bt, x, zeros(rewriter, loc, {side, n, th, pw, c}, t),
                               {d(4), d(5)}, {d(0), d(1) * step + d(5), d(2), d(3)},
                               {d(4), d(0), d(1), d(2), d(3)});
    // tiles[a, b, n, th, tw, c] = sum_j B^T[b, j] rows[a, n, th, m tw + j, c]
    // dims: a n th tw c b j
    Value tiles = multiplyAlong(rewriter, loc, bt, rows,
                                zeros(rewriter, loc, {side, side, n, th, tw, c}, t), {d(5), d(6)},
                                {d(0), d(1), d(2), d(3) * step + d(6), d(4)},
                                {d(0), d(5), d(1), d(2), d(3), d(4)});
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
    const Algorithm &f = *algorithmFor(op.getOutputTile());
    int64_t step = f.output, side = f.tile;
    int64_t n = rt.getDimSize(0), oh = rt.getDimSize(1), ow = rt.getDimSize(2),
            m = rt.getDimSize(3);
    int64_t th = llvm::divideCeil(oh, step), tw = llvm::divideCeil(ow, step);
    Value products =
        buildReshape(rewriter, loc, adaptor.getProducts(), {side, side, n, th, tw, m});
    Value at = matrixTable(rewriter, loc, op, f, "at", f.at, step, side);
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    // cols[y, b, n, th, tw, m] = sum_a A^T[y, a] products[a, b, n, th, tw, m]
    // dims: b n th tw m y a
    Value cols = multiplyAlong(rewriter, loc, at, products,
                               zeros(rewriter, loc, {step, side, n, th, tw, m}, t),
                               {d(5), d(6)}, {d(6), d(0), d(1), d(2), d(3), d(4)},
                               {d(5), d(0), d(1), d(2), d(3), d(4)});
    // out[n, th, y, tw, x, m] = bias[m] + sum_b A^T[x, b] cols[y, b, n, th, tw, m]
    // dims: n th y tw m x b
    auto tiledType = RankedTensorType::get({n, th, step, tw, step, m}, t);
    Value init = adaptor.getBias()
                     ? buildElementwise(rewriter, loc, tiledType, {adaptor.getBias()},
                                        [](OpBuilder &, Location, ValueRange v) { return v[0]; })
                     : zeros(rewriter, loc, tiledType.getShape(), t);
    Value tiled = multiplyAlong(rewriter, loc, at, cols, init, {d(5), d(6)},
                                {d(2), d(6), d(0), d(1), d(3), d(4)},
                                {d(0), d(1), d(2), d(3), d(5), d(4)});
    Value image = buildReshape(rewriter, loc, tiled, {n, step * th, step * tw, m});
    if (step * th != oh || step * tw != ow) {
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
