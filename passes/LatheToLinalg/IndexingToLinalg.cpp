//===- IndexingToLinalg.cpp - data-dependent indexing, scatters, misc -----===//
//
// Ops whose element positions depend on data (gathers, scatters, one-hot,
// reverse-sequence) or on the element's own index (trilu, cumulative sums,
// arg-reductions), and the linear quantizers. Reads that depend on data go
// through tensor.extract with indices clamped into range, so bad data cannot
// read or write outside a buffer.
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

#include <functional>

using namespace mlir;
using namespace lathe;

namespace {

Value indexValue(OpBuilder &b, Location l, int64_t dim) {
  return arith::IndexCastOp::create(b, l, b.getI64Type(), linalg::IndexOp::create(b, l, dim));
}

/// A generic over `type` whose body computes each element from its indices.
Value buildFromIndices(OpBuilder &b, Location loc, RankedTensorType type, ValueRange inputs,
                       ArrayRef<AffineMap> inputMaps,
                       llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  return linalg::GenericOp::create(
             b, loc, type, inputs, init, maps,
             SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
             })
      .getResult(0);
}

struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto dataType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = op.getAxis();
    Value data = adaptor.getInput();
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, adaptor.getIndices(),
        {rewriter.getMultiDimIdentityMap(type.getRank())},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          SmallVector<Value> indices;
          for (int64_t d = 0; d < type.getRank(); ++d)
            indices.push_back(d == axis ? clampedIndex(b, l, a[0], dataType.getDimSize(d))
                                        : (Value)linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, data, indices);
        }));
    return success();
  }
};

struct GatherNDLowering : OpConversionPattern<GatherNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherNDOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto dataType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto indexType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t batch = op.getBatchDims(), q = indexType.getRank(),
            depth = indexType.getShape().back();
    Value data = adaptor.getInput(), indicesTensor = adaptor.getIndices();
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, {}, {}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          // Output dims: indices.shape[:-1], then data.shape[batch + depth:].
          SmallVector<Value> position;
          for (int64_t d = 0; d < q - 1; ++d)
            position.push_back(linalg::IndexOp::create(b, l, d));
          SmallVector<Value> dataIndex(position.begin(), position.begin() + batch);
          for (int64_t j = 0; j < depth; ++j) {
            SmallVector<Value> at(position);
            at.push_back(arith::ConstantIndexOp::create(b, l, j));
            Value raw = tensor::ExtractOp::create(b, l, indicesTensor, at);
            dataIndex.push_back(clampedIndex(b, l, raw, dataType.getDimSize(batch + j)));
          }
          for (int64_t d = q - 1; d < type.getRank(); ++d)
            dataIndex.push_back(linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, data, dataIndex);
        }));
    return success();
  }
};

/// Combines an existing element with an update per a scatter reduction.
Value combine(OpBuilder &b, Location l, StringRef reduction, Value old, Value update, Type original) {
  bool f = isFloatLike(old.getType());
  if (reduction == "add")
    return f ? (Value)arith::AddFOp::create(b, l, old, update) : (Value)arith::AddIOp::create(b, l, old, update);
  if (reduction == "mul")
    return f ? (Value)arith::MulFOp::create(b, l, old, update) : (Value)arith::MulIOp::create(b, l, old, update);
  if (reduction == "max")
    return buildMax(b, l, original, old, update);
  if (reduction == "min")
    return buildMin(b, l, original, old, update);
  return update;
}

/// Nested scf.for loops over `shape`, threading one tensor through them:
/// scatters apply updates in order, as ONNX defines them.
Value buildLoopNest(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value init,
                    llvm::function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  SmallVector<Value> ivs;
  std::function<Value(OpBuilder &, size_t, Value)> nest = [&](OpBuilder &nb, size_t d,
                                                             Value acc) -> Value {
    if (d == shape.size())
      return body(nb, loc, ivs, acc);
    Value lb = arith::ConstantIndexOp::create(nb, loc, 0);
    Value ub = arith::ConstantIndexOp::create(nb, loc, shape[d]);
    Value step = arith::ConstantIndexOp::create(nb, loc, 1);
    auto loop = scf::ForOp::create(nb, loc, lb, ub, step, ValueRange{acc},
                                   [&](OpBuilder &lb2, Location, Value iv, ValueRange iter) {
                                     ivs.push_back(iv);
                                     Value next = nest(lb2, d + 1, iter[0]);
                                     ivs.pop_back();
                                     scf::YieldOp::create(lb2, loc, next);
                                   });
    return loop.getResult(0);
  };
  return nest(b, 0, init);
}

struct ScatterElementsLowering : OpConversionPattern<ScatterElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ScatterElementsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto dataType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto updType = cast<RankedTensorType>(adaptor.getUpdates().getType());
    int64_t axis = op.getAxis();
    StringRef reduction = op.getReduction();
    Type original = op.getInput().getType().getElementType();
    Value indices = adaptor.getIndices(), updates = adaptor.getUpdates();
    Value result = buildLoopNest(
        rewriter, op.getLoc(), updType.getShape(), adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) -> Value {
          Value raw = tensor::ExtractOp::create(b, l, indices, ivs);
          SmallVector<Value> at(ivs);
          at[axis] = clampedIndex(b, l, raw, dataType.getDimSize(axis));
          Value update = tensor::ExtractOp::create(b, l, updates, ivs);
          Value old = tensor::ExtractOp::create(b, l, acc, at);
          return tensor::InsertOp::create(b, l, combine(b, l, reduction, old, update, original),
                                          acc, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ScatterNDLowering : OpConversionPattern<ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ScatterNDOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto dataType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto updType = cast<RankedTensorType>(adaptor.getUpdates().getType());
    auto indexType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t q = indexType.getRank(), depth = indexType.getShape().back();
    StringRef reduction = op.getReduction();
    Type original = op.getInput().getType().getElementType();
    Value indices = adaptor.getIndices(), updates = adaptor.getUpdates();
    Value result = buildLoopNest(
        rewriter, op.getLoc(), updType.getShape(), adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) -> Value {
          SmallVector<Value> at;
          for (int64_t j = 0; j < depth; ++j) {
            SmallVector<Value> where(ivs.begin(), ivs.begin() + (q - 1));
            where.push_back(arith::ConstantIndexOp::create(b, l, j));
            at.push_back(clampedIndex(b, l, tensor::ExtractOp::create(b, l, indices, where),
                                      dataType.getDimSize(j)));
          }
          at.append(ivs.begin() + (q - 1), ivs.end());
          Value update = tensor::ExtractOp::create(b, l, updates, ivs);
          Value old = tensor::ExtractOp::create(b, l, acc, at);
          return tensor::InsertOp::create(b, l, combine(b, l, reduction, old, update, original),
                                          acc, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename OpTy, bool isMax>
struct ArgReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType(), original = op.getInput().getType().getElementType();
    int64_t axis = op.getAxis();
    bool last = op.getSelectLastIndex();
    SmallVector<int64_t> kept;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      iterators.push_back(d == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
      if (d != axis) {
        kept.push_back(type.getDimSize(d));
        outExprs.push_back(rewriter.getAffineDimExpr(d));
      }
    }
    Value bestInit = buildFilled(rewriter, loc, RankedTensorType::get(kept, t),
                                 isMax ? lowestValue(rewriter, loc, original)
                                       : highestValue(rewriter, loc, original));
    Value indexInit = buildFilled(rewriter, loc, RankedTensorType::get(kept, rewriter.getI64Type()),
                                  scalarConstant(rewriter, loc, rewriter.getI64Type(), 0));
    AffineMap out = AffineMap::get(type.getRank(), 0, outExprs, rewriter.getContext());
    bool f = isFloatLike(t), u = isUnsignedInt(original);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{bestInit.getType(), indexInit.getType()}, x,
        ValueRange{bestInit, indexInit},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(type.getRank()), out, out}, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0], best = a[1], bestIndex = a[2];
          Value better;
          if (f)
            better = arith::CmpFOp::create(b, l,
                                           isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                                                 : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT),
                                           v, best);
          else
            better = arith::CmpIOp::create(
                b, l,
                isMax ? (last ? (u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge)
                              : (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt))
                      : (last ? (u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
                              : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)),
                v, best);
          // The first element always wins (the initial value is a sentinel).
          Value i = indexValue(b, l, axis);
          Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                              scalarConstant(b, l, b.getI64Type(), 0));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(b, l, ValueRange{arith::SelectOp::create(b, l, better, v, best),
                                                   arith::SelectOp::create(b, l, better, i, bestIndex)});
        });
    auto resultType = cast<RankedTensorType>(this->getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, buildReshape(rewriter, loc, generic.getResult(1), resultType.getShape()));
    return success();
  }
};

struct TriluLowering : OpConversionPattern<TriluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t r = type.getRank(), k = op.getK();
    bool upper = op.getUpper();
    Type t = type.getElementType();
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, adaptor.getInput(), {rewriter.getMultiDimIdentityMap(r)},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value diff = arith::SubIOp::create(b, l, indexValue(b, l, r - 1), indexValue(b, l, r - 2));
          Value kv = scalarConstant(b, l, b.getI64Type(), k);
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff, kv);
          return arith::SelectOp::create(b, l, keep, a[0], scalarConstant(b, l, t, 0));
        }));
    return success();
  }
};

struct ReverseSequenceLowering : OpConversionPattern<ReverseSequenceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReverseSequenceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t batchAxis = op.getBatchAxis(), timeAxis = op.getTimeAxis();
    int64_t steps = type.getDimSize(timeAxis);
    Value input = adaptor.getInput(), lengths = adaptor.getSequenceLens();
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, {}, {}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Type i64 = b.getI64Type();
          Value batch = linalg::IndexOp::create(b, l, batchAxis);
          Value len = tensor::ExtractOp::create(b, l, lengths, ValueRange{batch});
          len = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, len, scalarConstant(b, l, i64, 0)),
                                       scalarConstant(b, l, i64, steps));
          Value t = indexValue(b, l, timeAxis);
          Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, t, len);
          Value reversed = arith::SubIOp::create(
              b, l, arith::SubIOp::create(b, l, len, scalarConstant(b, l, i64, 1)), t);
          Value src = arith::SelectOp::create(b, l, inside, reversed, t);
          SmallVector<Value> at;
          for (int64_t d = 0; d < type.getRank(); ++d)
            at.push_back(d == timeAxis ? (Value)arith::IndexCastOp::create(b, l, b.getIndexType(), src)
                                       : (Value)linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, input, at);
        }));
    return success();
  }
};

struct TileLowering : OpConversionPattern<TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TileOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Value input = adaptor.getInput();
    if (type.getNumElements() == 0 || inType.getNumElements() == 0) {
      rewriter.replaceOp(op, tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                                     type.getElementType()));
      return success();
    }
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, {}, {}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<Value> at;
          for (int64_t d = 0; d < type.getRank(); ++d)
            at.push_back(arith::RemUIOp::create(b, l, linalg::IndexOp::create(b, l, d),
                                                arith::ConstantIndexOp::create(b, l, inType.getDimSize(d))));
          return tensor::ExtractOp::create(b, l, input, at);
        }));
    return success();
  }
};

/// DepthToSpace and SpaceToDepth are a reshape, a transpose and a reshape.
template <typename OpTy>
struct DepthSpaceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t n = type.getDimSize(0), c = type.getDimSize(1), h = type.getDimSize(2),
            w = type.getDimSize(3), b = op.getBlocksize();
    SmallVector<int64_t> split, perm;
    if constexpr (std::is_same_v<OpTy, DepthToSpaceOp>) {
      if (op.getMode() == "DCR") {
        split = {n, b, b, c / (b * b), h, w};
        perm = {0, 3, 4, 1, 5, 2};
      } else {
        split = {n, c / (b * b), b, b, h, w};
        perm = {0, 1, 4, 2, 5, 3};
      }
    } else {
      split = {n, c, h / b, b, w / b, b};
      perm = {0, 3, 5, 1, 2, 4};
    }
    Value x = buildReshape(rewriter, loc, adaptor.getInput(), split);
    SmallVector<int64_t> permuted;
    for (int64_t p : perm)
      permuted.push_back(split[p]);
    Value init = tensor::EmptyOp::create(rewriter, loc, permuted, type.getElementType());
    Value t = linalg::TransposeOp::create(rewriter, loc, x, init, perm).getResult()[0];
    rewriter.replaceOp(op, buildReshape(rewriter, loc, t, op.getType().getShape()));
    return success();
  }
};

/// out[i] = sum over j of x[j] for j <= i (j < i when exclusive; mirrored
/// when reverse), along one axis.
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    Type t = type.getElementType();
    int64_t rank = type.getRank(), axis = op.getAxis();
    bool exclusive = op.getExclusive(), reverse = op.getReverse(), f = isFloatLike(t);
    // Iteration dims: the output's, then j (reduction) over the axis.
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(rewriter.getAffineDimExpr(d == axis ? rank : d));
    Value init = buildFilled(rewriter, loc, type, scalarConstant(rewriter, loc, t, 0));
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getInput(), init,
        SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, inExprs, rewriter.getContext()),
                               AffineMap::get(rank + 1, 0, rewriter.getMultiDimIdentityMap(rank).getResults(),
                                              rewriter.getContext())},
        iterators, [&](OpBuilder &b, Location l, ValueRange a) {
          Value i = indexValue(b, l, axis), j = indexValue(b, l, rank);
          arith::CmpIPredicate p = reverse ? (exclusive ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
                                           : (exclusive ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sle);
          Value take = arith::CmpIOp::create(b, l, p, j, i);
          Value sum = f ? (Value)arith::AddFOp::create(b, l, a[1], a[0]) : (Value)arith::AddIOp::create(b, l, a[1], a[0]);
          linalg::YieldOp::create(b, l, ValueRange{arith::SelectOp::create(b, l, take, sum, a[1])});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t axis = op.getAxis(), depth = op.getDepth();
    Type indexElement = op.getIndices().getType().getElementType();
    Value indices = adaptor.getIndices(), values = adaptor.getValues();
    auto valuesType = cast<RankedTensorType>(values.getType());
    rewriter.replaceOp(op, buildFromIndices(
        rewriter, op.getLoc(), type, {}, {}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<Value> at;
          for (int64_t d = 0; d < type.getRank(); ++d)
            if (d != axis)
              at.push_back(linalg::IndexOp::create(b, l, d));
          Value raw = tensor::ExtractOp::create(b, l, indices, at);
          Value idx = convertElementScalar(b, l, raw, indexElement, b.getI64Type());
          Value n = scalarConstant(b, l, b.getI64Type(), depth);
          Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx,
                                            scalarConstant(b, l, b.getI64Type(), 0));
          idx = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, idx, n), idx);
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, idx, indexValue(b, l, axis));
          SmallVector<Value> off, on;
          for (int64_t d = 0; d + 1 < valuesType.getRank(); ++d) {
            off.push_back(arith::ConstantIndexOp::create(b, l, 0));
            on.push_back(arith::ConstantIndexOp::create(b, l, 0));
          }
          off.push_back(arith::ConstantIndexOp::create(b, l, 0));
          on.push_back(arith::ConstantIndexOp::create(b, l, 1));
          if (valuesType.getRank() == 0)
            return tensor::ExtractOp::create(b, l, values, ValueRange{});
          return arith::SelectOp::create(b, l, hit, tensor::ExtractOp::create(b, l, values, on),
                                         tensor::ExtractOp::create(b, l, values, off));
        }));
    return success();
  }
};

/// Scale and zero point along `axis` (or scalars), broadcast to `rank` dims.
Value alongAxis(OpBuilder &b, Location loc, Value v, int64_t axis, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 0 || type.getNumElements() == 1)
    return buildReshape(b, loc, v, {});
  SmallVector<int64_t> shape(rank - axis, 1);
  shape[0] = type.getNumElements();
  return buildReshape(b, loc, v, shape);
}

/// saturate(round_half_even(scaled) + zp) in the integer type `q`, with
/// `scaled` and the arithmetic in the float type `ft` and `zp` of type `q`.
Value roundToQuantized(OpBuilder &b, Location l, Value scaled, Value zp, Type ft, Type q) {
  unsigned width = q.getIntOrFloatBitWidth();
  bool u = isUnsignedInt(q);
  double lo = u ? 0 : -std::ldexp(1.0, width - 1),
         hi = u ? std::ldexp(1.0, width) - 1 : std::ldexp(1.0, width - 1) - 1;
  Value v = arith::AddFOp::create(b, l, math::RoundEvenOp::create(b, l, scaled),
                                  convertElementScalar(b, l, zp, q, ft));
  v = arith::MinimumFOp::create(b, l, arith::MaximumFOp::create(b, l, v, scalarConstant(b, l, ft, lo)),
                                scalarConstant(b, l, ft, hi));
  return convertElementScalar(b, l, v, ft, q);
}

struct QuantizeLinearLowering : OpConversionPattern<QuantizeLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank(), axis = op.getAxis();
    Type q = op.getType().getElementType(), ft = cast<RankedTensorType>(adaptor.getInput().getType()).getElementType();
    Value scale = alongAxis(rewriter, loc, adaptor.getScale(), axis, rank);
    Value zp = alongAxis(rewriter, loc, adaptor.getZeroPoint(), axis, rank);
    rewriter.replaceOp(op, buildElementwise(
        rewriter, loc, type, {adaptor.getInput(), scale, zp},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return roundToQuantized(b, l, arith::DivFOp::create(b, l, a[0], a[1]), a[2], ft, q);
        }));
    return success();
  }
};

struct RequantizeLowering : OpConversionPattern<RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RequantizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    Type q = op.getType().getElementType(), ft = rewriter.getF32Type();
    Value multiplier = alongAxis(rewriter, loc, adaptor.getMultiplier(), op.getAxis(), rank);
    Value zp = alongAxis(rewriter, loc, adaptor.getZeroPoint(), 0, rank);
    rewriter.replaceOp(op, buildElementwise(
        rewriter, loc, type, {adaptor.getInput(), multiplier, zp},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value acc = arith::SIToFPOp::create(b, l, ft, a[0]);
          return roundToQuantized(b, l, arith::MulFOp::create(b, l, acc, a[1]), a[2], ft, q);
        }));
    return success();
  }
};

struct DequantizeLinearLowering : OpConversionPattern<DequantizeLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(DequantizeLinearOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank(), axis = op.getAxis();
    Type q = op.getInput().getType().getElementType(), ft = type.getElementType();
    Value scale = alongAxis(rewriter, loc, adaptor.getScale(), axis, rank);
    Value zp = alongAxis(rewriter, loc, adaptor.getZeroPoint(), axis, rank);
    rewriter.replaceOp(op, buildElementwise(
        rewriter, loc, type, {adaptor.getInput(), scale, zp},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // (x - zp) in integers (i32 holds it exactly), then scaled.
          Type i64 = b.getI64Type();
          Value x = convertElementScalar(b, l, a[0], q, i64);
          Value z = convertElementScalar(b, l, a[2], q, i64);
          Value diff = convertElementScalar(b, l, arith::SubIOp::create(b, l, x, z), i64, ft);
          return arith::MulFOp::create(b, l, diff, a[1]);
        }));
    return success();
  }
};

/// LRN: x / (bias + alpha / size * sum of squares over a channel window)^beta.
struct LrnLowering : OpConversionPattern<LrnOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LrnOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType();
    int64_t size = op.getSize(), rank = type.getRank();
    int64_t before = (size - 1) / 2, after = size - 1 - before;
    Value squares = buildElementwise(rewriter, loc, type, x, [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::MulFOp::create(b, l, a[0], a[0]);
    });
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    low[1] = before;
    high[1] = after;
    Value padded = buildPad(rewriter, loc, squares, low, high, scalarConstant(rewriter, loc, t, 0));
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(d == 1 ? rewriter.getAffineDimExpr(1) + rewriter.getAffineDimExpr(rank)
                               : rewriter.getAffineDimExpr(d));
    Value window = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{size}, t);
    Value init = buildFilled(rewriter, loc, type, scalarConstant(rewriter, loc, t, 0));
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value sums = linalg::GenericOp::create(
                     rewriter, loc, type, ValueRange{padded, window}, init,
                     SmallVector<AffineMap>{
                         AffineMap::get(rank + 1, 0, inExprs, rewriter.getContext()),
                         AffineMap::get(rank + 1, 0, rewriter.getAffineDimExpr(rank)),
                         AffineMap::get(rank + 1, 0, rewriter.getMultiDimIdentityMap(rank).getResults(),
                                        rewriter.getContext())},
                     iterators,
                     [](OpBuilder &b, Location l, ValueRange a) {
                       Value s = arith::AddFOp::create(b, l, a[2], a[0]);
                       linalg::YieldOp::create(b, l, s);
                     })
                     .getResult(0);
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble(),
           bias = op.getBias().convertToDouble();
    rewriter.replaceOp(op, buildElementwise(
        rewriter, loc, type, {x, sums}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value d = arith::AddFOp::create(
              b, l, scalarConstant(b, l, t, bias),
              arith::MulFOp::create(b, l, a[1], scalarConstant(b, l, t, alpha / size)));
          return arith::DivFOp::create(b, l, a[0], math::PowFOp::create(b, l, d, scalarConstant(b, l, t, beta)));
        }));
    return success();
  }
};

/// TopK by ranking: each element's rank along the axis is the number of
/// elements ahead of it (greater, or equal at a lower index, for largest);
/// elements ranked below k are written to their rank's position. Ties keep
/// index order, as ONNX asks.
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType(), original = op.getInput().getType().getElementType();
    int64_t rank = type.getRank(), axis = op.getAxis(), k = op.getK();
    bool largest = op.getLargest(), f = isFloatLike(t), u = isUnsignedInt(original);
    // rank[i...] = sum over j of ahead(x[..j..], x[..i..]).
    SmallVector<AffineExpr> otherExprs;
    for (int64_t d = 0; d < rank; ++d)
      otherExprs.push_back(rewriter.getAffineDimExpr(d == axis ? rank : d));
    auto i64 = rewriter.getI64Type();
    auto rankType = RankedTensorType::get(type.getShape(), i64);
    Value init = buildFilled(rewriter, loc, rankType, scalarConstant(rewriter, loc, i64, 0));
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    AffineMap self = AffineMap::get(rank + 1, 0, rewriter.getMultiDimIdentityMap(rank).getResults(),
                                    rewriter.getContext());
    Value ranks =
        linalg::GenericOp::create(
            rewriter, loc, rankType, ValueRange{x, x}, init,
            SmallVector<AffineMap>{self, AffineMap::get(rank + 1, 0, otherExprs, rewriter.getContext()), self},
            iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value mine = a[0], other = a[1];
              Value beats, ties;
              if (f) {
                beats = arith::CmpFOp::create(b, l, largest ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, other, mine);
                ties = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, other, mine);
              } else {
                beats = arith::CmpIOp::create(b, l, largest ? (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                                                            : (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt),
                                              other, mine);
                ties = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, other, mine);
              }
              Value earlier = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                    indexValue(b, l, rank), indexValue(b, l, axis));
              Value ahead = arith::OrIOp::create(b, l, beats, arith::AndIOp::create(b, l, ties, earlier));
              Value one = arith::ExtUIOp::create(b, l, b.getI64Type(), ahead);
              linalg::YieldOp::create(b, l, ValueRange{arith::AddIOp::create(b, l, a[2], one)});
            })
            .getResult(0);
    auto valuesType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getValues().getType()));
    auto indicesType = cast<RankedTensorType>(op.getIndices().getType());
    Value values = tensor::EmptyOp::create(rewriter, loc, valuesType.getShape(), t);
    Value indices = tensor::EmptyOp::create(rewriter, loc, indicesType.getShape(), i64);
    // Scatter the k best into place; loops thread both results.
    SmallVector<Value> ivs;
    std::function<SmallVector<Value>(OpBuilder &, int64_t, ValueRange)> nest =
        [&](OpBuilder &b, int64_t d, ValueRange acc) -> SmallVector<Value> {
      if (d == rank) {
        Value r = tensor::ExtractOp::create(b, loc, ranks, ivs);
        Value keep = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r,
                                           scalarConstant(b, loc, i64, k));
        auto branch = scf::IfOp::create(
            b, loc, keep,
            [&](OpBuilder &tb, Location l) {
              SmallVector<Value> at(ivs);
              at[axis] = arith::IndexCastOp::create(tb, l, tb.getIndexType(), r);
              Value v = tensor::ExtractOp::create(tb, l, x, ivs);
              Value i = arith::IndexCastOp::create(tb, l, i64, ivs[axis]);
              scf::YieldOp::create(tb, l, ValueRange{tensor::InsertOp::create(tb, l, v, acc[0], at),
                                                      tensor::InsertOp::create(tb, l, i, acc[1], at)});
            },
            [&](OpBuilder &eb, Location l) { scf::YieldOp::create(eb, l, acc); });
        return SmallVector<Value>(branch.getResults());
      }
      Value lb = arith::ConstantIndexOp::create(b, loc, 0);
      Value ub = arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
      Value step = arith::ConstantIndexOp::create(b, loc, 1);
      auto loop = scf::ForOp::create(b, loc, lb, ub, step, acc,
                                     [&](OpBuilder &lb2, Location, Value iv, ValueRange iter) {
                                       ivs.push_back(iv);
                                       SmallVector<Value> next = nest(lb2, d + 1, iter);
                                       ivs.pop_back();
                                       scf::YieldOp::create(lb2, loc, next);
                                     });
      return SmallVector<Value>(loop.getResults());
    };
    SmallVector<Value> results = nest(rewriter, 0, ValueRange{values, indices});
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// x / ||x|| along one axis (p = 1: sum of |x|; p = 2: root of the sum of squares).
struct LpNormLowering : OpConversionPattern<LpNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LpNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    bool p1 = op.getP() == 1;
    Value terms = buildElementwise(rewriter, loc, type, x, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
      return p1 ? (Value)math::AbsFOp::create(b, l, a[0]) : (Value)arith::MulFOp::create(b, l, a[0], a[0]);
    });
    int64_t count;
    Value sums = buildKeptSum(rewriter, loc, terms, {(int64_t)op.getAxis()}, count);
    rewriter.replaceOp(op, buildElementwise(rewriter, loc, type, {x, sums},
                                            [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                              Value norm = p1 ? a[1] : (Value)math::SqrtOp::create(b, l, a[1]);
                                              return arith::DivFOp::create(b, l, a[0], norm);
                                            }));
    return success();
  }
};

} // namespace

void lathe::populateIndexingToLinalgPatterns(const TypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<GatherElementsLowering, GatherNDLowering, ScatterElementsLowering,
               ScatterNDLowering, ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>, TriluLowering, ReverseSequenceLowering,
               TileLowering, DepthSpaceLowering<DepthToSpaceOp>,
               DepthSpaceLowering<SpaceToDepthOp>, CumSumLowering, OneHotLowering,
               QuantizeLinearLowering, RequantizeLowering, DequantizeLinearLowering, LrnLowering, TopKLowering,
               LpNormLowering>(
      converter, patterns.getContext());
}
