//===- NeuralNetToLinalg.cpp - convolutions, pools, norms, matmuls --------===//
//
// Convolutions and pools become linalg.generic ops over an explicitly padded
// input, with groups as their own iteration dim; matmuls are generics with
// batch broadcasting. Layout changes and tiling come later in the pipeline.
//
//===----------------------------------------------------------------------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace lathe;

namespace {

Value addf(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? (Value)arith::AddFOp::create(b, l, x, y) : (Value)arith::AddIOp::create(b, l, x, y);
}
Value mulf(OpBuilder &b, Location l, Value x, Value y, bool isFloat) {
  return isFloat ? (Value)arith::MulFOp::create(b, l, x, y) : (Value)arith::MulIOp::create(b, l, x, y);
}

/// Adds a per-channel vector along dim 1 of `x`.
Value addChannelBias(OpBuilder &b, Location loc, Value x, Value bias) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getRank() - 1, 1);
  shape[0] = type.getDimSize(1);
  Value b2 = buildReshape(b, loc, bias, shape);
  return buildElementwise(b, loc, type, {x, b2}, [](OpBuilder &nb, Location l, ValueRange a) {
    return addf(nb, l, a[0], a[1], isFloatLike(a[0].getType()));
  });
}

/// out[n, g, m, o...] = sum_{c, k...} x[n, g, c, o*s + k*d] * w[g, m, c, k]
/// over an already padded input; result reshaped to (N, G*Mg, O...).
Value buildGroupedConv(OpBuilder &b, Location loc, Value paddedInput, Value weight,
                       int64_t group, ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                       RankedTensorType resultType) {
  auto xt = cast<RankedTensorType>(paddedInput.getType());
  auto wt = cast<RankedTensorType>(weight.getType());
  Type t = xt.getElementType();
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), m = wt.getDimSize(0);
  int64_t spatial = xt.getRank() - 2, cg = c / group, mg = m / group;
  bool isFloat = isFloatLike(t);
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  if (group == 1 || (cg == 1 && mg == 1)) {
    // Plain and depthwise convolutions need no group dim: iteration dims n,
    // m, [c,] k_1..k_d, o_1..o_d, and the result is written in its own
    // shape (which keeps it tileable for fusion).
    bool depthwise = group != 1;
    int64_t first = depthwise ? 2 : 3, dims = first + 2 * spatial;
    SmallVector<AffineExpr> xe{d(0), depthwise ? d(1) : d(2)};
    SmallVector<AffineExpr> we{d(1), depthwise ? b.getAffineConstantExpr(0) : d(2)};
    SmallVector<AffineExpr> oe{d(0), d(1)};
    for (int64_t i = 0; i < spatial; ++i) {
      xe.push_back(d(first + spatial + i) * strides[i] + d(first + i) * dilations[i]);
      we.push_back(d(first + i));
      oe.push_back(d(first + spatial + i));
    }
    SmallVector<AffineMap> maps{AffineMap::get(dims, 0, xe, b.getContext()),
                                AffineMap::get(dims, 0, we, b.getContext()),
                                AffineMap::get(dims, 0, oe, b.getContext())};
    SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
    iterators.append(first - 2 + spatial, utils::IteratorType::reduction);
    iterators.append(spatial, utils::IteratorType::parallel);
    Value init = buildFilled(b, loc, resultType, scalarConstant(b, loc, t, 0));
    return linalg::GenericOp::create(
               b, loc, resultType, ValueRange{paddedInput, weight}, init, maps, iterators,
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 Value sum = addf(nb, l, a[2], mulf(nb, l, a[0], a[1], isFloat), isFloat);
                 linalg::YieldOp::create(nb, l, sum);
               })
        .getResult(0);
  }
  SmallVector<int64_t> xShape{n, group, cg}, wShape{group, mg, cg}, oShape{n, group, mg};
  for (int64_t i = 0; i < spatial; ++i) {
    xShape.push_back(xt.getDimSize(i + 2));
    wShape.push_back(wt.getDimSize(i + 2));
    oShape.push_back(resultType.getDimSize(i + 2));
  }
  Value x = buildReshape(b, loc, paddedInput, xShape);
  Value w = buildReshape(b, loc, weight, wShape);
  // Iteration dims: n, g, m, c, k_1..k_d, o_1..o_d. The output's spatial
  // dims are innermost, so the innermost loop walks contiguous output (and,
  // at stride 1, input) elements and vectorizes.
  int64_t dims = 4 + 2 * spatial;
  auto kDim = [&](int64_t i) { return d(4 + i); };
  auto oDim = [&](int64_t i) { return d(4 + spatial + i); };
  SmallVector<AffineExpr> xe{d(0), d(1), d(3)}, we{d(1), d(2), d(3)}, oe{d(0), d(1), d(2)};
  for (int64_t i = 0; i < spatial; ++i) {
    xe.push_back(oDim(i) * strides[i] + kDim(i) * dilations[i]);
    we.push_back(kDim(i));
    oe.push_back(oDim(i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(dims, 0, xe, b.getContext()),
                              AffineMap::get(dims, 0, we, b.getContext()),
                              AffineMap::get(dims, 0, oe, b.getContext())};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.append(1 + spatial, utils::IteratorType::reduction);
  iterators.append(spatial, utils::IteratorType::parallel);
  Value init = buildFilled(b, loc, RankedTensorType::get(oShape, t), scalarConstant(b, loc, t, 0));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{x, w}, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value sum = addf(nb, l, a[2], mulf(nb, l, a[0], a[1], isFloat), isFloat);
        linalg::YieldOp::create(nb, l, sum);
      });
  return buildReshape(b, loc, generic.getResult(0), resultType.getShape());
}

/// Pads the spatial dims of `x` (starting at `first`) and trims what no
/// window reaches, so that the convolution generic's bounds are exact.
Value padForWindows(OpBuilder &b, Location loc, Value x, int64_t first, ArrayRef<int64_t> pads,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                    ArrayRef<int64_t> kernel, ArrayRef<int64_t> outSpatial) {
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t spatial = kernel.size();
  SmallVector<int64_t> low(xt.getRank(), 0), high(xt.getRank(), 0);
  for (int64_t i = 0; i < spatial; ++i) {
    low[first + i] = pads[i];
    high[first + i] = pads[i + spatial];
  }
  Type t = xt.getElementType();
  Value padded = buildPad(b, loc, x, low, high, scalarConstant(b, loc, t, 0));
  auto pt = cast<RankedTensorType>(padded.getType());
  SmallVector<int64_t> used(pt.getShape());
  for (int64_t i = 0; i < spatial; ++i)
    used[first + i] = (outSpatial[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
  if (ArrayRef<int64_t>(used) == pt.getShape())
    return padded;
  SmallVector<OpFoldResult> offsets(pt.getRank(), b.getIndexAttr(0)), sizes,
      unit(pt.getRank(), b.getIndexAttr(1));
  for (int64_t s : used)
    sizes.push_back(b.getIndexAttr(s));
  return tensor::ExtractSliceOp::create(b, loc, padded, offsets, sizes, unit);
}

struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto wt = cast<RankedTensorType>(adaptor.getWeight().getType());
    Value padded = padForWindows(rewriter, loc, adaptor.getInput(), 2, op.getPads(),
                                 op.getStrides(), op.getDilations(), wt.getShape().drop_front(2),
                                 op.getType().getShape().drop_front(2));
    Value result = buildGroupedConv(rewriter, loc, padded, adaptor.getWeight(), op.getGroup(),
                                    op.getStrides(), op.getDilations(), op.getType());
    if (Value bias = adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Channels last: out[n, o..., g, m] = sum_{k..., c} x[n, o*s + k*d, g, c] * w[k..., c, g, m].
/// The innermost loop runs over filters, contiguous in both the weights and
/// the result (a depthwise convolution: over channels).
struct ConvNhwcLowering : OpConversionPattern<ConvNhwcOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConvNhwcOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto wt = cast<RankedTensorType>(adaptor.getWeight().getType());
    auto rt = op.getType();
    int64_t rank = rt.getRank(), spatial = rank - 2, group = op.getGroup();
    // Packed weights (panels, kernel..., C, tile) are read at
    // (m floordiv tile, k..., c, m mod tile).
    bool packed = op.getFilters().has_value();
    int64_t tile = wt.getShape().back();
    ArrayRef<int64_t> kernel = wt.getShape().drop_front(packed ? 1 : 0).take_front(spatial);
    Value x = padForWindows(rewriter, loc, adaptor.getInput(), 1, op.getPads(), op.getStrides(),
                            op.getDilations(), kernel, rt.getShape().slice(1, spatial));
    auto xt = cast<RankedTensorType>(x.getType());
    Type t = xt.getElementType();
    bool isFloat = isFloatLike(t);
    int64_t c = xt.getDimSize(rank - 1), m = rt.getDimSize(rank - 1);
    int64_t cg = c / group, mg = m / group;
    bool depthwise = group > 1 && cg == 1 && mg == 1;
    bool grouped = group > 1 && !depthwise;
    MLIRContext *ctx = rewriter.getContext();
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    // Loop order n, o_1..o_{d-1}, [g,] k_1..k_d, c, o_d, m (depthwise:
    // n, o_1..o_{d-1}, k..., o_d, c): a kernel tile is one output row, whose
    // pixels and filters are the two innermost loops.
    int64_t next = 0;
    SmallVector<int64_t> oDim(spatial), kDim(spatial);
    int64_t nDim = next++;
    for (int64_t i = 0; i + 1 < spatial; ++i)
      oDim[i] = next++;
    int64_t gDim = grouped ? next++ : -1;
    for (int64_t i = 0; i < spatial; ++i)
      kDim[i] = next++;
    int64_t cDim = depthwise ? -1 : next++;
    oDim[spatial - 1] = next++;
    if (depthwise)
      cDim = next++;
    int64_t mDim = depthwise ? -1 : next++;
    int64_t dims = next;
    SmallVector<AffineExpr> xe{d(nDim)}, we, oe{d(nDim)};
    for (int64_t i = 0; i < spatial; ++i) {
      xe.push_back(d(oDim[i]) * op.getStrides()[i] + d(kDim[i]) * op.getDilations()[i]);
      we.push_back(d(kDim[i]));
      oe.push_back(d(oDim[i]));
    }
    Value w = adaptor.getWeight();
    SmallVector<int64_t> outShape(rt.getShape());
    if (depthwise) {
      xe.push_back(d(cDim));
      we.append({rewriter.getAffineConstantExpr(0), d(cDim)});
      oe.push_back(d(cDim));
    } else if (grouped) {
      SmallVector<int64_t> xShape(xt.getShape().drop_back()), wShape(kernel);
      xShape.append({group, cg});
      wShape.append({cg, group, mg});
      outShape.back() = group;
      outShape.push_back(mg);
      x = buildReshape(rewriter, loc, x, xShape);
      w = buildReshape(rewriter, loc, w, wShape);
      xe.append({d(gDim), d(cDim)});
      we.append({d(cDim), d(gDim), d(mDim)});
      oe.append({d(gDim), d(mDim)});
    } else if (packed) {
      xe.push_back(d(cDim));
      we.insert(we.begin(), d(mDim).floorDiv(tile));
      we.append({d(cDim), d(mDim) % tile});
      oe.push_back(d(mDim));
    } else {
      xe.push_back(d(cDim));
      we.append({d(cDim), d(mDim)});
      oe.push_back(d(mDim));
    }
    SmallVector<AffineMap> maps{AffineMap::get(dims, 0, xe, ctx), AffineMap::get(dims, 0, we, ctx),
                                AffineMap::get(dims, 0, oe, ctx)};
    SmallVector<utils::IteratorType> iterators(dims, utils::IteratorType::parallel);
    for (int64_t i = 0; i < spatial; ++i)
      iterators[kDim[i]] = utils::IteratorType::reduction;
    if (!depthwise)
      iterators[cDim] = utils::IteratorType::reduction;
    auto outType = RankedTensorType::get(outShape, t);
    Value init = buildFilled(rewriter, loc, outType, scalarConstant(rewriter, loc, t, 0));
    Value result = linalg::GenericOp::create(
                       rewriter, loc, outType, ValueRange{x, w}, init, maps, iterators,
                       [&](OpBuilder &nb, Location l, ValueRange a) {
                         Value sum = addf(nb, l, a[2], mulf(nb, l, a[0], a[1], isFloat), isFloat);
                         linalg::YieldOp::create(nb, l, sum);
                       })
                       .getResult(0);
    if (grouped)
      result = buildReshape(rewriter, loc, result, rt.getShape());
    if (Value bias = adaptor.getBias()) {
      SmallVector<int64_t> biasShape(rank - 1, 1);
      biasShape.back() = m;
      Value b2 = buildReshape(rewriter, loc, bias, biasShape);
      result = buildElementwise(rewriter, loc, rt, {result, b2},
                                [&](OpBuilder &nb, Location l, ValueRange a) {
                                  return addf(nb, l, a[0], a[1], isFloat);
                                });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One fused kernel: a loop over the (batch, query) rows; each step computes
/// the row's S scores (q scaled first, so the scale costs D multiplies), their
/// max, the exponentials and their sum, and the weighted sum of v's rows,
/// divided by the sum at the end. The L x S score matrix never exists.
struct AttentionLowering : OpConversionPattern<AttentionOp> {
  AttentionLowering(const TypeConverter &converter, MLIRContext *context, int64_t columns)
      : OpConversionPattern(converter, context), vectorColumns(columns) {}
  /// The columns of a row's vector of sums (0: no vectors, the linalg form).
  int64_t vectorColumns;
  LogicalResult matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto qt = cast<RankedTensorType>(adaptor.getQuery().getType());
    auto kt = cast<RankedTensorType>(adaptor.getKey().getType());
    auto vt = cast<RankedTensorType>(adaptor.getValue().getType());
    Type t = qt.getElementType();
    int64_t rank = qt.getRank(), l = qt.getDimSize(rank - 2), d = qt.getDimSize(rank - 1);
    int64_t s = kt.getDimSize(rank - 2), dv = vt.getDimSize(rank - 1);
    int64_t n = qt.getNumElements() / std::max<int64_t>(1, l * d);
    int64_t nkv = kt.getNumElements() / std::max<int64_t>(1, s * d);
    // Grouped-query attention: `group` query heads share a key/value head.
    int64_t heads = rank >= 3 ? qt.getDimSize(rank - 3) : 1;
    int64_t kvHeads = rank >= 3 ? kt.getDimSize(rank - 3) : 1;
    int64_t group = heads / std::max<int64_t>(1, kvHeads);
    std::optional<int64_t> causalOffset = op.getCausalOffset();
    Value q = buildReshape(rewriter, loc, adaptor.getQuery(), {n, l, d});
    Value k = buildReshape(rewriter, loc, adaptor.getKey(), {nkv, s, d});
    Value v = buildReshape(rewriter, loc, adaptor.getValue(), {nkv, s, dv});
    // k as (nkv, D, S), once for all query rows: each row's scores are then
    // D steps over S contiguous keys (vectors of keys, independent sums)
    // rather than S dot products of D, each one chain of dependent adds.
    Value kT = linalg::TransposeOp::create(
                   rewriter, loc, k,
                   tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{nkv, d, s}, t).getResult(),
                   ArrayRef<int64_t>{0, 2, 1})
                   .getResult()[0];
    auto resultType = RankedTensorType::get({n, l, dv}, t);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(), t);
    Value scale = scalarConstant(rewriter, loc, t, op.getScale().convertToDouble());
    // The additive mask as (mask batches, L or 1, S) rows, and for each of
    // q's batch dims the stride of its index in the mask's batches (0
    // where the mask broadcasts along it).
    Value maskRows;
    SmallVector<int64_t> maskStrides(rank - 2, 0);
    int64_t maskL = 1;
    if (Value mask = adaptor.getMask()) {
      auto mt = cast<RankedTensorType>(mask.getType());
      SmallVector<int64_t> shape(rank - mt.getRank(), 1);
      llvm::append_range(shape, mt.getShape());
      int64_t batches = 1;
      for (int64_t i = rank - 3; i >= 0; --i) {
        maskStrides[i] = shape[i] == 1 ? 0 : batches;
        batches *= shape[i];
      }
      maskL = shape[rank - 2];
      maskRows = buildReshape(rewriter, loc, mask, {batches, maskL, shape.back()});
      if (shape.back() != s)
        maskRows = buildElementwise(rewriter, loc, RankedTensorType::get({batches, maskL, s}, t), maskRows,
                                    [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    }
    MLIRContext *ctx = rewriter.getContext();
    auto idx = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
    // The query rows are independent: an scf.forall over blocks of `rows`
    // rows of one (batch, head), whose ranges the session's threads share
    // (each thread's temporaries on its stack). A block's rows read each
    // key and value once for all of them.
    int64_t rows = l % 4 == 0 ? 4 : l % 2 == 0 ? 2 : 1;
    int64_t blocksPerBatch = l / rows;
    auto loop = scf::ForallOp::create(rewriter, loc, ArrayRef<OpFoldResult>{idx(0)},
                                      ArrayRef<OpFoldResult>{idx(n * blocksPerBatch)},
                                      ArrayRef<OpFoldResult>{idx(1)}, ValueRange{init},
                                      std::nullopt);
    {
      OpBuilder b = OpBuilder::atBlockBegin(loop.getBody());
      Location lc = loc;
      Value block = loop.getInductionVar(0);
      Value blocks = arith::ConstantIndexOp::create(b, lc, blocksPerBatch);
      Value batch = arith::DivUIOp::create(b, lc, block, blocks);
      Value firstQuery = arith::MulIOp::create(b, lc, arith::RemUIOp::create(b, lc, block, blocks),
                                               arith::ConstantIndexOp::create(b, lc, rows));
      Value kvBatch = batch;
      if (group > 1) {
        // (batch / heads) * kvHeads + (batch % heads) / group
        Value h = arith::ConstantIndexOp::create(b, lc, heads);
        Value outer = arith::MulIOp::create(
            b, lc, arith::DivUIOp::create(b, lc, batch, h),
            arith::ConstantIndexOp::create(b, lc, kvHeads));
        Value inner = arith::DivUIOp::create(b, lc, arith::RemUIOp::create(b, lc, batch, h),
                                             arith::ConstantIndexOp::create(b, lc, group));
        kvBatch = arith::AddIOp::create(b, lc, outer, inner);
      }
      SmallVector<OpFoldResult> unit3(3, idx(1));
      Value qRows = tensor::ExtractSliceOp::create(
          b, lc, RankedTensorType::get({rows, d}, t), q,
          SmallVector<OpFoldResult>{batch, firstQuery, idx(0)}, {idx(1), idx(rows), idx(d)}, unit3);
      Value kColumns = tensor::ExtractSliceOp::create(
          b, lc, RankedTensorType::get({d, s}, t), kT,
          SmallVector<OpFoldResult>{kvBatch, idx(0), idx(0)}, {idx(1), idx(d), idx(s)}, unit3);
      Value vRows = tensor::ExtractSliceOp::create(
          b, lc, RankedTensorType::get({s, dv}, t), v,
          SmallVector<OpFoldResult>{kvBatch, idx(0), idx(0)}, {idx(1), idx(s), idx(dv)}, unit3);
      auto blockS = RankedTensorType::get({rows, s}, t);
      auto blockDv = RankedTensorType::get({rows, dv}, t);
      Value scaled = buildElementwise(b, lc, RankedTensorType::get({rows, d}, t), {qRows},
                                      [&](OpBuilder &nb, Location l2, ValueRange a) {
                                        return arith::MulFOp::create(nb, l2, a[0], scale);
                                      });
      auto dim = [&](unsigned i) { return b.getAffineDimExpr(i); };
      auto parallel = utils::IteratorType::parallel, reduction = utils::IteratorType::reduction;
      // Each row's max or sum: first into `lanes` partial results, each a
      // chain over every lanes-th key (independent chains, one vector
      // register), then those into one; a single chain would wait on each
      // step. As (rows, 1), to broadcast over the row.
      int64_t lanes = 16;
      while (s % lanes)
        lanes /= 2;
      auto reduceRows = [&](Value input, Value identity, auto combine) {
        auto body = [&](OpBuilder &nb, Location l2, ValueRange a) {
          linalg::YieldOp::create(nb, l2, combine(nb, l2, a[0], a[1]));
        };
        Value partial = input;
        auto partialType = RankedTensorType::get({rows, lanes}, t);
        if (lanes > 1)
          partial = linalg::GenericOp::create(
                            b, lc, partialType, buildReshape(b, lc, input, {rows, s / lanes, lanes}),
                            buildFilled(b, lc, partialType, identity),
                            SmallVector<AffineMap>{AffineMap::get(3, 0, {dim(0), dim(1), dim(2)}, ctx),
                                                   AffineMap::get(3, 0, {dim(0), dim(2)}, ctx)},
                            SmallVector<utils::IteratorType>{parallel, reduction, parallel}, body)
                            .getResult(0);
        auto rowType = RankedTensorType::get({rows}, t);
        Value total = linalg::GenericOp::create(
                          b, lc, rowType, partial, buildFilled(b, lc, rowType, identity),
                          SmallVector<AffineMap>{AffineMap::get(2, 0, {dim(0), dim(1)}, ctx),
                                                 AffineMap::get(2, 0, {dim(0)}, ctx)},
                          SmallVector<utils::IteratorType>{parallel, reduction}, body)
                          .getResult(0);
        return buildReshape(b, lc, total, {rows, 1});
      };
      // out[r, j] = sum_i in[r, i] * matrix[i, j] for the block's rows. In
      // chunks of `columns` (the target's register tile width, 2 vectors of
      // its widest registers on the cpu): each row's sums of a chunk are a
      // vector that
      // stays in registers (loop-carried) over all of i, and each load of
      // the matrix's chunk serves every row, so the block's rows keep as
      // many independent multiply-add chains going.
      auto rowsTimesMatrix = [&](Value in, Value matrix, RankedTensorType outType) {
        int64_t inner = cast<RankedTensorType>(matrix.getType()).getDimSize(0);
        int64_t columns = outType.getDimSize(1);
        int64_t kChunk = vectorColumns;
        if (kChunk > 0 && columns % kChunk == 0) {
          auto vec = VectorType::get({kChunk}, t);
          Value zeros = arith::ConstantOp::create(b, lc, vec, DenseElementsAttr::get(vec, b.getZeroAttr(t)));
          Value c0 = arith::ConstantIndexOp::create(b, lc, 0);
          auto chunks = scf::ForOp::create(
              b, lc, c0, arith::ConstantIndexOp::create(b, lc, columns),
              arith::ConstantIndexOp::create(b, lc, kChunk),
              ValueRange{tensor::EmptyOp::create(b, lc, outType.getShape(), t).getResult()},
              [&](OpBuilder &cb, Location cl, Value column, ValueRange outs) {
                SmallVector<Value> initial(rows, zeros);
                auto steps = scf::ForOp::create(
                    cb, cl, c0, arith::ConstantIndexOp::create(cb, cl, inner),
                    arith::ConstantIndexOp::create(cb, cl, 1), initial,
                    [&](OpBuilder &ib, Location il, Value i, ValueRange sums) {
                      Value pad = arith::ConstantOp::create(ib, il, ib.getZeroAttr(t));
                      Value chunk = vector::TransferReadOp::create(
                          ib, il, vec, matrix, ValueRange{i, column}, pad,
                          ArrayRef<bool>{true});
                      SmallVector<Value> next;
                      for (int64_t r = 0; r < rows; ++r) {
                        Value x = tensor::ExtractOp::create(
                            ib, il, in, ValueRange{arith::ConstantIndexOp::create(ib, il, r), i});
                        Value spread = vector::BroadcastOp::create(ib, il, vec, x);
                        next.push_back(vector::FMAOp::create(ib, il, spread, chunk, sums[r]));
                      }
                      scf::YieldOp::create(ib, il, next);
                    });
                Value out = outs[0];
                for (int64_t r = 0; r < rows; ++r)
                  out = vector::TransferWriteOp::create(
                            cb, cl, steps.getResult(r), out,
                            ValueRange{arith::ConstantIndexOp::create(cb, cl, r), column},
                            ArrayRef<bool>{true})
                            .getResult();
                scf::YieldOp::create(cb, cl, out);
              });
          return chunks.getResult(0);
        }
        int64_t chunk = columns;
        auto chunked = RankedTensorType::get({rows, columns / chunk, chunk}, t);
        Value sums =
            linalg::GenericOp::create(
                b, lc, chunked,
                ValueRange{in, buildReshape(b, lc, matrix, {inner, columns / chunk, chunk})},
                buildFilled(b, lc, chunked, scalarConstant(b, lc, t, 0)),
                SmallVector<AffineMap>{AffineMap::get(4, 0, {dim(3), dim(1)}, ctx),
                                       AffineMap::get(4, 0, {dim(1), dim(0), dim(2)}, ctx),
                                       AffineMap::get(4, 0, {dim(3), dim(0), dim(2)}, ctx)},
                SmallVector<utils::IteratorType>{parallel, reduction, parallel, parallel},
                [&](OpBuilder &nb, Location l2, ValueRange a) {
                  linalg::YieldOp::create(
                      nb, l2, math::FmaOp::create(nb, l2, a[0], a[1], a[2]).getResult());
                })
                .getResult(0);
        return buildReshape(b, lc, sums, outType.getShape());
      };
      // scores[r, j] = sum_i qs[r, i] * kT[i, j], the keys innermost.
      Value scores = rowsTimesMatrix(scaled, kColumns, blockS);
      if (maskRows) {
        // The mask's rows for this (batch, queries): q's batch index split
        // into its dims, each scaled by its stride in the mask's batches.
        Value maskBatch = arith::ConstantIndexOp::create(b, lc, 0);
        int64_t qStride = 1;
        for (int64_t i = rank - 3; i >= 0; --i) {
          int64_t size = qt.getDimSize(i);
          if (maskStrides[i]) {
            Value index = arith::RemUIOp::create(
                b, lc, arith::DivUIOp::create(b, lc, batch, arith::ConstantIndexOp::create(b, lc, qStride)),
                arith::ConstantIndexOp::create(b, lc, size));
            maskBatch = arith::AddIOp::create(
                b, lc, maskBatch,
                arith::MulIOp::create(b, lc, index, arith::ConstantIndexOp::create(b, lc, maskStrides[i])));
          }
          qStride *= size;
        }
        int64_t maskRowCount = maskL == 1 ? 1 : rows;
        Value maskBlock = tensor::ExtractSliceOp::create(
            b, lc, RankedTensorType::get({maskRowCount, s}, t), maskRows,
            SmallVector<OpFoldResult>{maskBatch, maskL == 1 ? idx(0) : OpFoldResult(firstQuery), idx(0)},
            {idx(1), idx(maskRowCount), idx(s)}, unit3);
        scores = buildElementwise(b, lc, blockS, {scores, maskBlock},
                                  [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                    return arith::AddFOp::create(nb, l2, a[0], a[1]);
                                  });
      }
      if (causalOffset) {
        // Keys after query + offset score the lowest value: their
        // exponentials are 0 next to any key the row sees.
        Value first = arith::AddIOp::create(
            b, lc, firstQuery, arith::ConstantIndexOp::create(b, lc, *causalOffset));
        Value lowest = lowestValue(b, lc, t);
        scores = linalg::GenericOp::create(
                     b, lc, blockS, ValueRange{scores},
                     tensor::EmptyOp::create(b, lc, blockS.getShape(), t).getResult(),
                     SmallVector<AffineMap>{b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
                     SmallVector<utils::IteratorType>{parallel, parallel},
                     [&](OpBuilder &nb, Location l2, ValueRange a) {
                       Value limit = arith::AddIOp::create(nb, l2, first,
                                                           linalg::IndexOp::create(nb, l2, 0));
                       Value j = linalg::IndexOp::create(nb, l2, 1);
                       Value seen = arith::CmpIOp::create(nb, l2, arith::CmpIPredicate::ule,
                                                          j, limit);
                       linalg::YieldOp::create(
                           nb, l2, arith::SelectOp::create(nb, l2, seen, a[0], lowest).getResult());
                     })
                     .getResult(0);
      }
      Value max = reduceRows(scores, lowestValue(b, lc, t),
                             [&](OpBuilder &nb, Location l2, Value x, Value acc) {
                               return buildMax(nb, l2, t, x, acc);
                             });
      Value exps = buildElementwise(b, lc, blockS, {scores, max},
                                    [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                      Value diff = arith::SubFOp::create(nb, l2, a[0], a[1]);
                                      return math::ExpOp::create(nb, l2, diff);
                                    });
      Value sum = reduceRows(exps, scalarConstant(b, lc, t, 0),
                             [&](OpBuilder &nb, Location l2, Value x, Value acc) -> Value {
                               return arith::AddFOp::create(nb, l2, x, acc);
                             });
      // weighted[r, c] = sum_j e[r, j] * v[j, c], the filters of v innermost.
      Value weighted = rowsTimesMatrix(exps, vRows, blockDv);
      Value normalized = buildElementwise(b, lc, blockDv, {weighted, sum},
                                          [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                            return arith::DivFOp::create(nb, l2, a[0], a[1]);
                                          });
      b.setInsertionPointToStart(loop.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(
          b, lc, normalized, loop.getRegionIterArgs()[0],
          SmallVector<OpFoldResult>{batch, firstQuery, idx(0)}, {idx(1), idx(rows), idx(dv)}, unit3);
    }
    rewriter.replaceOp(op, buildReshape(rewriter, loc, loop.getResult(0), op.getType().getShape()));
    return success();
  }
};

/// A transposed convolution is a convolution of the input spread out by the
/// stride (zeros between elements), padded by the dilated kernel extent,
/// with the kernel flipped and its channel dims swapped; `pads` then crop.
struct ConvTransposeLowering : OpConversionPattern<ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    auto xt = cast<RankedTensorType>(x.getType());
    auto wt = cast<RankedTensorType>(w.getType());
    Type t = xt.getElementType();
    int64_t spatial = xt.getRank() - 2, group = op.getGroup();
    int64_t c = xt.getDimSize(1), mg = wt.getDimSize(1), cg = c / group;
    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                      pads = op.getPads(), outputPadding = op.getOutputPadding();
    // Spread and pad: position i*s + e, e = (k-1)*d.
    SmallVector<int64_t> fullShape{xt.getDimSize(0), c};
    SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(xt.getDimSize(0)), rewriter.getIndexAttr(c)};
    SmallVector<OpFoldResult> steps{rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)};
    SmallVector<int64_t> fullOut;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = xt.getDimSize(i + 2), k = wt.getDimSize(i + 2);
      int64_t extent = (k - 1) * dilations[i];
      fullShape.push_back((in - 1) * strides[i] + 1 + 2 * extent + outputPadding[i]);
      offsets.push_back(rewriter.getIndexAttr(extent));
      sizes.push_back(rewriter.getIndexAttr(in));
      steps.push_back(rewriter.getIndexAttr(strides[i]));
      fullOut.push_back((in - 1) * strides[i] + extent + 1 + outputPadding[i]);
    }
    Value zeros = buildFilled(rewriter, loc, RankedTensorType::get(fullShape, t),
                              scalarConstant(rewriter, loc, t, 0));
    Value spread = tensor::InsertSliceOp::create(rewriter, loc, x, zeros, offsets, sizes, steps);
    // Kernel: W[g*Cg + c, m, k] -> W'[g*Mg + m, c, K-1-k].
    SmallVector<int64_t> w5{group, cg, mg};
    for (int64_t i = 0; i < spatial; ++i)
      w5.push_back(wt.getDimSize(i + 2));
    Value wg = buildReshape(rewriter, loc, w, w5);
    SmallVector<int64_t> flippedShape{group, mg, cg};
    SmallVector<AffineExpr> readExprs{rewriter.getAffineDimExpr(0), rewriter.getAffineDimExpr(2),
                                      rewriter.getAffineDimExpr(1)};
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t k = wt.getDimSize(i + 2);
      flippedShape.push_back(k);
      readExprs.push_back(rewriter.getAffineConstantExpr(k - 1) - rewriter.getAffineDimExpr(3 + i));
    }
    auto flippedType = RankedTensorType::get(flippedShape, t);
    Value flippedInit = tensor::EmptyOp::create(rewriter, loc, flippedShape, t);
    SmallVector<AffineMap> maps{
        AffineMap::get(3 + spatial, 0, readExprs, rewriter.getContext()),
        rewriter.getMultiDimIdentityMap(3 + spatial)};
    Value flipped =
        linalg::GenericOp::create(
            rewriter, loc, flippedType, wg, flippedInit, maps,
            SmallVector<utils::IteratorType>(3 + spatial, utils::IteratorType::parallel),
            [](OpBuilder &b, Location l, ValueRange a) { linalg::YieldOp::create(b, l, a[0]); })
            .getResult(0);
    SmallVector<int64_t> convWeightShape{group * mg, cg};
    convWeightShape.append(flippedShape.begin() + 3, flippedShape.end());
    Value convWeight = buildReshape(rewriter, loc, flipped, convWeightShape);
    SmallVector<int64_t> fullResult{xt.getDimSize(0), group * mg};
    fullResult.append(fullOut);
    SmallVector<int64_t> ones(spatial, 1);
    Value full = buildGroupedConv(rewriter, loc, spread, convWeight, group, ones, dilations,
                                  RankedTensorType::get(fullResult, t));
    // Crop the pads.
    SmallVector<OpFoldResult> cropOffsets{rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)},
        cropSizes, unit(xt.getRank(), rewriter.getIndexAttr(1));
    for (int64_t s : op.getType().getShape())
      cropSizes.push_back(rewriter.getIndexAttr(s));
    for (int64_t i = 0; i < spatial; ++i)
      cropOffsets.push_back(rewriter.getIndexAttr(pads[i]));
    Value result =
        tensor::ExtractSliceOp::create(rewriter, loc, full, cropOffsets, cropSizes, unit);
    if (Value bias = adaptor.getBias())
      result = addChannelBias(rewriter, loc, result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

enum class PoolKind { Max, Average, Lp };

/// Window reductions: the input is padded so that every window lies inside
/// it (with the pad value the reduction ignores), then reduced.
template <typename OpTy, PoolKind kind>
struct PoolLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto xt = cast<RankedTensorType>(x.getType());
    auto resultType = cast<RankedTensorType>(this->getTypeConverter()->convertType(op.getType()));
    Type t = xt.getElementType();
    Type original = op.getInput().getType().getElementType();
    int64_t rank = xt.getRank(), spatial = rank - 2;
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dilations = op.getDilations(), pads = op.getPads();
    bool channelsLast = false;
    if constexpr (kind != PoolKind::Lp)
      channelsLast = op.getChannelsLast();
    // Spatial dim i of the input and result: after N and C, or after N.
    auto spatialDim = [&](int64_t i) { return (channelsLast ? 1 : 2) + i; };
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t needed = (resultType.getDimSize(spatialDim(i)) - 1) * strides[i] +
                       (kernel[i] - 1) * dilations[i] + 1;
      low[spatialDim(i)] = pads[i];
      high[spatialDim(i)] =
          std::max<int64_t>(needed - xt.getDimSize(spatialDim(i)) - pads[i], 0);
    }
    Value padValue = kind == PoolKind::Max ? lowestValue(rewriter, loc, original)
                                           : scalarConstant(rewriter, loc, t, 0);
    Value padded = buildPad(rewriter, loc, x, low, high, padValue);
    // Iteration dims: n, c, k_1..k_d, o_1..o_d (output innermost, as for
    // convolutions); channels last, n, o_1..o_{d-1}, k_1..k_d, o_d, c (a
    // tile is an output row, channels innermost and contiguous). A
    // kernel-shaped operand gives the window dims their extent.
    int64_t dims = 2 + 2 * spatial;
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    SmallVector<int64_t> oDim(spatial), kDim(spatial);
    int64_t cDim;
    if (channelsLast) {
      int64_t next = 1;
      for (int64_t i = 0; i + 1 < spatial; ++i)
        oDim[i] = next++;
      for (int64_t i = 0; i < spatial; ++i)
        kDim[i] = next++;
      oDim[spatial - 1] = next++;
      cDim = next;
    } else {
      cDim = 1;
      for (int64_t i = 0; i < spatial; ++i) {
        kDim[i] = 2 + i;
        oDim[i] = 2 + spatial + i;
      }
    }
    SmallVector<AffineExpr> xe{d(0)}, ke, oe{d(0)};
    if (!channelsLast) {
      xe.push_back(d(cDim));
      oe.push_back(d(cDim));
    }
    for (int64_t i = 0; i < spatial; ++i) {
      xe.push_back(d(oDim[i]) * strides[i] + d(kDim[i]) * dilations[i]);
      ke.push_back(d(kDim[i]));
      oe.push_back(d(oDim[i]));
    }
    if (channelsLast) {
      xe.push_back(d(cDim));
      oe.push_back(d(cDim));
    }
    Value window = tensor::EmptyOp::create(rewriter, loc, kernel, t);
    SmallVector<AffineMap> maps{AffineMap::get(dims, 0, xe, rewriter.getContext()),
                                AffineMap::get(dims, 0, ke, rewriter.getContext()),
                                AffineMap::get(dims, 0, oe, rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(dims, utils::IteratorType::parallel);
    for (int64_t i = 0; i < spatial; ++i)
      iterators[kDim[i]] = utils::IteratorType::reduction;
    Value init = buildFilled(rewriter, loc, resultType,
                             kind == PoolKind::Max ? lowestValue(rewriter, loc, original)
                                                   : scalarConstant(rewriter, loc, t, 0));
    double p = 0;
    if constexpr (kind == PoolKind::Lp)
      p = (double)op.getP();
    Value pooled =
        linalg::GenericOp::create(
            rewriter, loc, resultType, ValueRange{padded, window}, init, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value r;
              if (kind == PoolKind::Max)
                r = buildMax(b, l, original, a[2], a[0]);
              else if (kind == PoolKind::Average)
                r = arith::AddFOp::create(b, l, a[2], a[0]);
              else
                r = arith::AddFOp::create(
                    b, l, a[2],
                    math::PowFOp::create(b, l, math::AbsFOp::create(b, l, a[0]),
                                         scalarConstant(b, l, t, p)));
              linalg::YieldOp::create(b, l, r);
            })
            .getResult(0);
    if constexpr (kind == PoolKind::Lp) {
      pooled = buildElementwise(rewriter, loc, resultType, pooled,
                                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return math::PowFOp::create(b, l, a[0],
                                                              scalarConstant(b, l, t, 1.0 / p));
                                });
    }
    if constexpr (kind == PoolKind::Average) {
      // Each output position divides by how many of its window's positions
      // count: inside the input, or inside input and pads.
      bool includePad = op.getCountIncludePad();
      SmallVector<int64_t> outSpatial(resultType.getShape().slice(spatialDim(0), spatial));
      int64_t positions = 1;
      for (int64_t s : outSpatial)
        positions *= s;
      SmallVector<SmallVector<int64_t>> perDim(spatial);
      for (int64_t i = 0; i < spatial; ++i) {
        int64_t in = xt.getDimSize(spatialDim(i));
        int64_t lo = includePad ? -pads[i] : 0, hi = includePad ? in + pads[i + spatial] : in;
        for (int64_t o = 0; o < outSpatial[i]; ++o) {
          int64_t count = 0;
          for (int64_t k = 0; k < kernel[i]; ++k) {
            int64_t pos = o * strides[i] + k * dilations[i] - pads[i];
            count += pos >= lo && pos < hi;
          }
          perDim[i].push_back(std::max<int64_t>(count, 1));
        }
      }
      SmallVector<Attribute> counts;
      for (int64_t linear = 0; linear < positions; ++linear) {
        int64_t rest = linear, product = 1;
        for (int64_t i = spatial - 1; i >= 0; --i) {
          product *= perDim[i][rest % outSpatial[i]];
          rest /= outSpatial[i];
        }
        counts.push_back(rewriter.getFloatAttr(t, (double)product));
      }
      // (O...), or (O..., 1) to broadcast over the channels after them.
      SmallVector<int64_t> countShape(outSpatial);
      if (channelsLast)
        countShape.push_back(1);
      auto countType = RankedTensorType::get(countShape, t);
      Value divisor = arith::ConstantOp::create(rewriter, loc, countType,
                                                DenseElementsAttr::get(countType, counts));
      pooled = buildElementwise(rewriter, loc, resultType, {pooled, divisor},
                                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::DivFOp::create(b, l, a[0], a[1]);
                                });
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

/// Per-channel affine transform y = x * a + b along dim 1.
Value buildChannelAffine(OpBuilder &b, Location loc, Value x, Value a, Value shift) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(type.getRank() - 1, 1);
  shape[0] = type.getDimSize(1);
  Value a2 = buildReshape(b, loc, a, shape), s2 = buildReshape(b, loc, shift, shape);
  return buildElementwise(b, loc, type, {x, a2, s2}, [](OpBuilder &nb, Location l, ValueRange v) {
    return (Value)arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, v[0], v[1]), v[2]);
  });
}

struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto vt = cast<RankedTensorType>(adaptor.getScale().getType());
    Type t = vt.getElementType();
    double eps = op.getEpsilon().convertToDouble();
    // a = scale / sqrt(var + eps); shift = bias - mean * a.
    Value a = buildElementwise(
        rewriter, loc, vt, {adaptor.getScale(), adaptor.getVariance()},
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value dev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, v[1], scalarConstant(b, l, t, eps)));
          return arith::DivFOp::create(b, l, v[0], dev);
        });
    Value shift = buildElementwise(rewriter, loc, vt, {adaptor.getBias(), adaptor.getMean(), a},
                                   [](OpBuilder &b, Location l, ValueRange v) -> Value {
                                     return arith::SubFOp::create(
                                         b, l, v[0], arith::MulFOp::create(b, l, v[1], v[2]));
                                   });
    rewriter.replaceOp(op, buildChannelAffine(rewriter, loc, adaptor.getInput(), a, shift));
    return success();
  }
};

/// Normalizes `x` over `axes` (mean 0, variance 1 with epsilon), keeping the
/// reduced dims as 1.
Value buildNormalize(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  Type t = type.getElementType();
  int64_t count;
  auto sumOf = [&](Value input) { return buildKeptSum(b, loc, input, axes, count); };
  Value sumX = sumOf(x);
  auto keptType = cast<RankedTensorType>(sumX.getType());
  double inverseCount = 1.0 / count;
  Value mean = buildElementwise(b, loc, keptType, sumX, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, l, a[0], scalarConstant(nb, l, t, inverseCount));
  });
  Value centered = buildElementwise(b, loc, type, {x, mean}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::SubFOp::create(nb, l, a[0], a[1]);
  });
  Value squares = buildElementwise(b, loc, type, centered, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, l, a[0], a[0]);
  });
  Value inv = buildElementwise(b, loc, keptType, sumOf(squares), [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    Value var = arith::MulFOp::create(nb, l, a[0], scalarConstant(nb, l, t, inverseCount));
    Value dev = math::SqrtOp::create(nb, l, arith::AddFOp::create(nb, l, var, scalarConstant(nb, l, t, eps)));
    return arith::DivFOp::create(nb, l, scalarConstant(nb, l, t, 1), dev);
  });
  return buildElementwise(b, loc, type, {centered, inv}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, l, a[0], a[1]);
  });
}

struct InstanceNormLowering : OpConversionPattern<InstanceNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(InstanceNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    SmallVector<int64_t> axes;
    for (int64_t d = 2; d < type.getRank(); ++d)
      axes.push_back(d);
    Value normalized = buildNormalize(rewriter, op.getLoc(), adaptor.getInput(), axes,
                                      op.getEpsilon().convertToDouble());
    rewriter.replaceOp(op, buildChannelAffine(rewriter, op.getLoc(), normalized,
                                              adaptor.getScale(), adaptor.getBias()));
    return success();
  }
};

/// x * scale / sqrt(mean(x^2) + epsilon) over the dims from `axis` on.
struct RmsNormLowering : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType();
    SmallVector<int64_t> axes;
    for (int64_t d = op.getAxis(); d < type.getRank(); ++d)
      axes.push_back(d);
    Value squares = buildElementwise(rewriter, loc, type, x, [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::MulFOp::create(b, l, a[0], a[0]);
    });
    int64_t count;
    Value sum = buildKeptSum(rewriter, loc, squares, axes, count);
    double eps = op.getEpsilon().convertToDouble();
    Value inverse = buildElementwise(
        rewriter, loc, cast<RankedTensorType>(sum.getType()), sum,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value meanSquare = arith::MulFOp::create(b, l, a[0], scalarConstant(b, l, t, 1.0 / count));
          Value rms = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, meanSquare, scalarConstant(b, l, t, eps)));
          return arith::DivFOp::create(b, l, scalarConstant(b, l, t, 1), rms);
        });
    rewriter.replaceOp(op, buildElementwise(rewriter, loc, type, {x, inverse, adaptor.getScale()},
                                            [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                              Value n = arith::MulFOp::create(b, l, a[0], a[1]);
                                              return arith::MulFOp::create(b, l, n, a[2]);
                                            }));
    return success();
  }
};

/// x * cos + rotate_half(x) * sin as its two halves, each one elementwise
/// kernel over views of x, cos and sin: out[..., :h] = x1 * cos1 - x2 * sin1
/// and out[..., h:] = x2 * cos2 + x1 * sin2.
struct RotaryEmbeddingLowering : OpConversionPattern<RotaryEmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RotaryEmbeddingOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = type.getRank(), half = type.getShape().back() / 2;
    SmallVector<int64_t> halfShape(type.getShape());
    halfShape.back() = half;
    auto halfType = RankedTensorType::get(halfShape, type.getElementType());
    // The half [begin, begin + h) of the last dim of `v`; a broadcast (size
    // 1) last dim is the same for both halves.
    auto halfOf = [&](Value v, int64_t begin) -> Value {
      auto vt = cast<RankedTensorType>(v.getType());
      if (vt.getShape().back() == 1)
        return v;
      SmallVector<OpFoldResult> offsets(vt.getRank(), rewriter.getIndexAttr(0)), sizes, strides(
                                                                            vt.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d : vt.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      offsets.back() = rewriter.getIndexAttr(begin);
      sizes.back() = rewriter.getIndexAttr(half);
      return tensor::ExtractSliceOp::create(rewriter, loc, v, offsets, sizes, strides);
    };
    Value x1 = halfOf(adaptor.getInput(), 0), x2 = halfOf(adaptor.getInput(), half);
    Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    for (int64_t part = 0; part < 2; ++part) {
      int64_t begin = part * half;
      Value rotatedHalf = buildElementwise(
          rewriter, loc, halfType,
          {part ? x2 : x1, part ? x1 : x2, halfOf(adaptor.getCos(), begin),
           halfOf(adaptor.getSin(), begin)},
          [part](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value direct = arith::MulFOp::create(b, l, a[0], a[2]);
            Value rotated = arith::MulFOp::create(b, l, a[1], a[3]);
            return part ? (Value)arith::AddFOp::create(b, l, direct, rotated)
                        : (Value)arith::SubFOp::create(b, l, direct, rotated);
          });
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
          strides(rank, rewriter.getIndexAttr(1));
      for (int64_t d : halfShape)
        sizes.push_back(rewriter.getIndexAttr(d));
      offsets.back() = rewriter.getIndexAttr(begin);
      result = tensor::InsertSliceOp::create(rewriter, loc, rotatedHalf, result, offsets, sizes, strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    SmallVector<int64_t> axes(op.getAxes());
    Value y = buildNormalize(rewriter, loc, adaptor.getInput(), axes,
                             op.getEpsilon().convertToDouble());
    SmallVector<Value> operands{y, adaptor.getScale()};
    if (adaptor.getBias())
      operands.push_back(adaptor.getBias());
    y = buildElementwise(rewriter, loc, type, operands,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value r = arith::MulFOp::create(b, l, a[0], a[1]);
                           return a.size() > 2 ? (Value)arith::AddFOp::create(b, l, r, a[2]) : r;
                         });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The map of a (batch..., row, col) matmul operand in the iteration space
/// (batch..., m, k, n) of a `resultType` (batch..., m, n) result: its batch
/// dims align with the result's trailing batch dims, size-1 dims broadcast.
AffineMap batchMatrixMap(OpBuilder &b, RankedTensorType operand, RankedTensorType resultType,
                         AffineExpr row, AffineExpr col) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineExpr> exprs;
  int64_t batch = operand.getRank() - 2, offset = (rank - 2) - batch;
  for (int64_t i = 0; i < batch; ++i)
    exprs.push_back(operand.getDimSize(i) == 1 && resultType.getDimSize(i + offset) != 1
                        ? b.getAffineConstantExpr(0)
                        : b.getAffineDimExpr(i + offset));
  exprs.push_back(row);
  exprs.push_back(col);
  return AffineMap::get(rank + 1, 0, exprs, b.getContext());
}

/// The term a contraction sums: the product of its operands' elements
/// (block arguments a, b, then any extra inputs'), in the result type.
using ContractionTerm = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// sum_k term(a[..., m, k], rhs(k, n), extras...) over broadcast batch dims,
/// `rhsMap` giving how the right operand `bm` is read and `extraMaps` the
/// extra inputs; the term defaults to the plain product.
Value buildContraction(OpBuilder &b, Location loc, Value a, Value bm,
                       RankedTensorType resultType, bool transA,
                       llvm::function_ref<AffineMap(AffineExpr, AffineExpr, int64_t)> rhsMap,
                       ContractionTerm term = nullptr, ValueRange extras = {},
                       llvm::function_ref<AffineMap(AffineExpr, AffineExpr, int64_t, int64_t)>
                           extraMaps = nullptr) {
  auto at = cast<RankedTensorType>(a.getType());
  Type t = resultType.getElementType();
  int64_t rank = resultType.getRank();  // batch..., m, n
  int64_t dims = rank + 1;              // + k
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  // Iteration dims: batch..., m, k, n: the innermost loop runs along a row
  // of b and of the result (contiguous), so it vectorizes.
  AffineExpr m = d(rank - 2), k = d(rank - 1), n = d(rank);
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < rank - 2; ++i)
    outExprs.push_back(d(i));
  outExprs.push_back(m);
  outExprs.push_back(n);
  SmallVector<AffineMap> maps{transA ? batchMatrixMap(b, at, resultType, k, m)
                                     : batchMatrixMap(b, at, resultType, m, k),
                              rhsMap(k, n, dims)};
  for (size_t i = 0; i < extras.size(); ++i)
    maps.push_back(extraMaps(m, n, dims, i));
  maps.push_back(AffineMap::get(dims, 0, outExprs, b.getContext()));
  SmallVector<Value> inputs{a, bm};
  llvm::append_range(inputs, extras);
  SmallVector<utils::IteratorType> iterators(rank - 1, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  iterators.push_back(utils::IteratorType::parallel);
  bool isFloat = isFloatLike(t);
  Value init = buildFilled(b, loc, resultType, scalarConstant(b, loc, t, 0));
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, init, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange v) {
               Value product = term ? term(nb, l, v.drop_back())
                                    : mulf(nb, l, v[0], v[1], isFloat);
               linalg::YieldOp::create(nb, l, addf(nb, l, v.back(), product, isFloat));
             })
      .getResult(0);
}

/// sum_k a[..., m, k] * b[..., k, n] over broadcast batch dims. `transA` and
/// `transB` read the operands transposed (Gemm).
Value buildMatmul(OpBuilder &b, Location loc, Value a, Value bm, RankedTensorType resultType,
                  bool transA = false, bool transB = false, ContractionTerm term = nullptr,
                  ValueRange extras = {},
                  llvm::function_ref<AffineMap(AffineExpr, AffineExpr, int64_t, int64_t)>
                      extraMaps = nullptr) {
  auto bt = cast<RankedTensorType>(bm.getType());
  return buildContraction(
      b, loc, a, bm, resultType, transA,
      [&](AffineExpr k, AffineExpr n, int64_t) {
        return transB ? batchMatrixMap(b, bt, resultType, n, k)
                      : batchMatrixMap(b, bt, resultType, k, n);
      },
      term, extras, extraMaps);
}

/// A numpy matmul of `a` and `b` into `resultType`: 1-D operands become
/// matrices for the contraction and the result loses that dim again.
Value buildNumpyMatmul(OpBuilder &rewriter, Location loc, Value a, Value b,
                       RankedTensorType resultType, ContractionTerm term = nullptr,
                       ValueRange extras = {},
                       llvm::function_ref<AffineMap(AffineExpr, AffineExpr, int64_t, int64_t)>
                           extraMaps = nullptr) {
  auto at = cast<RankedTensorType>(a.getType()), bt = cast<RankedTensorType>(b.getType());
  if (at.getRank() == 1)
    a = buildReshape(rewriter, loc, a, {1, at.getDimSize(0)});
  if (bt.getRank() == 1)
    b = buildReshape(rewriter, loc, b, {bt.getDimSize(0), 1});
  int64_t batchRank =
      resultType.getRank() - (at.getRank() == 1 ? 0 : 1) - (bt.getRank() == 1 ? 0 : 1);
  SmallVector<int64_t> shape(resultType.getShape().take_front(batchRank));
  shape.push_back(at.getRank() == 1 ? 1 : at.getDimSize(at.getRank() - 2));
  shape.push_back(bt.getRank() == 1 ? 1 : bt.getDimSize(bt.getRank() - 1));
  Value result = buildMatmul(rewriter, loc, a, b,
                             RankedTensorType::get(shape, resultType.getElementType()),
                             /*transA=*/false, /*transB=*/false, term, extras, extraMaps);
  return buildReshape(rewriter, loc, result, resultType.getShape());
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, buildNumpyMatmul(rewriter, op.getLoc(), adaptor.getLhs(),
                                            adaptor.getRhs(), resultType));
    return success();
  }
};

/// `x` (of lathe type `original`, 8-bit) widened to i32 by its signedness.
Value widenToI32(OpBuilder &b, Location loc, Value x, Type original) {
  Type i32 = b.getI32Type();
  return isUnsignedInt(getElementTypeOrSelf(original))
             ? (Value)arith::ExtUIOp::create(b, loc, i32, x)
             : (Value)arith::ExtSIOp::create(b, loc, i32, x);
}

/// The zero points are extra inputs of the contraction: lhs's read at its
/// row m (or broadcast), rhs's at its column n and batch dims (or broadcast).
struct MatMulIntegerLowering : OpConversionPattern<MatMulIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatMulIntegerOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto aType = cast<RankedTensorType>(op.getLhs().getType());
    auto bType = cast<RankedTensorType>(op.getRhs().getType());
    auto azType = cast<RankedTensorType>(op.getLhsZeroPoint().getType());
    auto bzType = cast<RankedTensorType>(op.getRhsZeroPoint().getType());
    auto term = [&](OpBuilder &b, Location l, ValueRange v) {
      Value a = arith::SubIOp::create(b, l, widenToI32(b, l, v[0], aType),
                                      widenToI32(b, l, v[2], azType));
      Value w = arith::SubIOp::create(b, l, widenToI32(b, l, v[1], bType),
                                      widenToI32(b, l, v[3], bzType));
      return (Value)arith::MulIOp::create(b, l, a, w);
    };
    auto maps = [&](AffineExpr m, AffineExpr n, int64_t dims, int64_t which) {
      MLIRContext *context = rewriter.getContext();
      AffineExpr zero = rewriter.getAffineConstantExpr(0);
      RankedTensorType zp = which == 0 ? azType : bzType;
      if (zp.getRank() == 0)
        return AffineMap::get(dims, 0, {}, context);
      if (zp.getRank() == 1)
        return AffineMap::get(dims, 0, {zp.getDimSize(0) == 1 ? zero : (which == 0 ? m : n)},
                              context);
      // Shaped like rhs with its K dim 1: batch dims align with the result's.
      SmallVector<AffineExpr> exprs;
      int64_t batch = zp.getRank() - 2, offset = (dims - 3) - batch;
      for (int64_t i = 0; i < batch; ++i)
        exprs.push_back(zp.getDimSize(i) == 1 ? zero : rewriter.getAffineDimExpr(i + offset));
      exprs.push_back(zero);
      exprs.push_back(zp.getDimSize(batch + 1) == 1 ? zero : n);
      return AffineMap::get(dims, 0, exprs, context);
    };
    rewriter.replaceOp(op, buildNumpyMatmul(rewriter, op.getLoc(), adaptor.getLhs(),
                                            adaptor.getRhs(), resultType, term,
                                            {adaptor.getLhsZeroPoint(), adaptor.getRhsZeroPoint()},
                                            maps));
    return success();
  }
};

/// Column panels: the right operand is read at (n floordiv tile, k, n mod
/// tile), so the result and its epilogues keep the (..., M, N) shape while a
/// register tile of `tile` columns reads one panel row at each k.
struct MatMulPackedLowering : OpConversionPattern<MatMulPackedOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatMulPackedOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto panelType = cast<RankedTensorType>(adaptor.getPackedRhs().getType());
    int64_t tile = panelType.getShape().back();
    // Batched panels (panels, B, K, tile) are read at the batch dim of the
    // iteration space (b, m, k, n).
    bool batched = panelType.getRank() == 4;
    // int8 panels (weight-only quantization) are multiplied as their values
    // in float; the scales come after the sum.
    auto dequantizedTerm = [](OpBuilder &b, Location l, ValueRange v) -> Value {
      Value w = arith::SIToFPOp::create(b, l, v[0].getType(), v[1]);
      return arith::MulFOp::create(b, l, v[0], w);
    };
    Value result = buildContraction(
        rewriter, op.getLoc(), adaptor.getLhs(), adaptor.getPackedRhs(), resultType,
        /*transA=*/false,
        [&](AffineExpr k, AffineExpr n, int64_t dims) {
          SmallVector<AffineExpr> exprs{n.floorDiv(tile)};
          if (batched)
            exprs.push_back(rewriter.getAffineDimExpr(0));
          exprs.append({k, n % tile});
          return AffineMap::get(dims, 0, exprs, rewriter.getContext());
        },
        panelType.getElementType().isInteger(8) ? ContractionTerm(dequantizedTerm) : nullptr);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The 8-bit panels (tile columns x depth rows) are read at (n floordiv
/// tile, k floordiv depth, n mod tile, k mod depth); targets with dot-product
/// instructions replace the generic by their own kernel on buffers.
struct MatMulIntegerPackedLowering : OpConversionPattern<MatMulIntegerPackedOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatMulIntegerPackedOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto panelType = cast<RankedTensorType>(op.getPackedRhs().getType());
    Type aType = op.getLhs().getType();
    int64_t tile = panelType.getDimSize(2), depth = panelType.getDimSize(3);
    Value result = buildContraction(
        rewriter, op.getLoc(), adaptor.getLhs(), adaptor.getPackedRhs(), resultType,
        /*transA=*/false,
        [&](AffineExpr k, AffineExpr n, int64_t dims) {
          return AffineMap::get(dims, 0,
                                {n.floorDiv(tile), k.floorDiv(depth), n % tile, k % depth},
                                rewriter.getContext());
        },
        [&](OpBuilder &b, Location l, ValueRange v) {
          return (Value)arith::MulIOp::create(b, l, widenToI32(b, l, v[0], aType),
                                              widenToI32(b, l, v[1], panelType));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Type t = resultType.getElementType();
    Value product = buildMatmul(rewriter, loc, adaptor.getA(), adaptor.getB(), resultType,
                                op.getTransA(), op.getTransB());
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
    bool isFloat = isFloatLike(t);
    SmallVector<Value> operands{product};
    if (adaptor.getC() && beta != 0)
      operands.push_back(adaptor.getC());
    if (alpha != 1 || operands.size() > 1)
      product = buildElementwise(
          rewriter, loc, resultType, operands, [&](OpBuilder &b, Location l, ValueRange v) {
            Value r = alpha == 1 ? v[0] : mulf(b, l, v[0], scalarConstant(b, l, t, alpha), isFloat);
            if (v.size() > 1)
              r = addf(b, l, r,
                       beta == 1 ? v[1] : mulf(b, l, v[1], scalarConstant(b, l, t, beta), isFloat),
                       isFloat);
            return r;
          });
    rewriter.replaceOp(op, product);
    return success();
  }
};

} // namespace

void lathe::populateNeuralNetToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns,
                                              int64_t attentionColumns) {
  patterns.add<AttentionLowering>(converter, patterns.getContext(), attentionColumns);
  patterns.add<ConvLowering, ConvNhwcLowering, ConvTransposeLowering, PoolLowering<MaxPoolOp, PoolKind::Max>,
               PoolLowering<AveragePoolOp, PoolKind::Average>,
               PoolLowering<LpPoolOp, PoolKind::Lp>, BatchNormLowering, InstanceNormLowering,
               LayerNormLowering, RmsNormLowering, RotaryEmbeddingLowering, MatMulLowering, MatMulIntegerLowering,
               MatMulPackedLowering, MatMulIntegerPackedLowering, GemmLowering>(
      converter, patterns.getContext());
}
