//===- ReductionToLinalg.cpp - reductions and normalized exponentials -----===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace lathe;

namespace {

enum class Combine { Sum, Prod, Max, Min };

/// Reduces `input` over `axes` (sorted) into a tensor without those dims;
/// `map` transforms each element before it is combined.
Value buildReduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
                  Combine combine, Type originalElement,
                  llvm::function_ref<Value(OpBuilder &, Location, Value)> map = nullptr) {
  auto type = cast<RankedTensorType>(input.getType());
  Type t = type.getElementType();
  // A float min or max over many trailing elements (DynamicQuantizeLinear's
  // range of a whole tensor): first into 16 lanes, a reduction whose
  // innermost loop is parallel and contiguous and so runs as vectors, then
  // across the lanes. The same result: min and max do not depend on order.
  constexpr int64_t kLanes = 16;
  int64_t rank = type.getRank(), reducedCount = 1;
  for (int64_t a : axes)
    reducedCount *= type.getDimSize(a);
  bool trailing = !axes.empty() && axes.back() == rank - 1 &&
                  axes.front() == rank - (int64_t)axes.size();
  if ((combine == Combine::Max || combine == Combine::Min) && !map && isFloatLike(t) &&
      trailing && type.hasStaticShape() && reducedCount % kLanes == 0 &&
      reducedCount >= 4 * kLanes) {
    SmallVector<int64_t> laned(type.getShape().drop_back(axes.size()));
    int64_t keptRank = laned.size();
    laned.append({reducedCount / kLanes, kLanes});
    Value lanes = buildReduce(b, loc, buildReshape(b, loc, input, laned), {keptRank}, combine,
                              originalElement);
    return buildReduce(b, loc, lanes, {keptRank}, combine, originalElement);
  }
  SmallVector<int64_t> kept;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (!reduced) {
      kept.push_back(type.getDimSize(d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  Value identity = combine == Combine::Sum    ? scalarConstant(b, loc, t, 0)
                   : combine == Combine::Prod ? scalarConstant(b, loc, t, 1)
                   : combine == Combine::Max  ? lowestValue(b, loc, originalElement)
                                              : highestValue(b, loc, originalElement);
  Value init = buildFilled(b, loc, RankedTensorType::get(kept, t), identity);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(type.getRank()),
                              AffineMap::get(type.getRank(), 0, outExprs, b.getContext())};
  bool isFloat = isFloatLike(t);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), input, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = map ? map(nb, nl, args[0]) : args[0], acc = args[1], r;
        switch (combine) {
        case Combine::Sum:
          r = isFloat ? (Value)arith::AddFOp::create(nb, nl, acc, x)
                      : (Value)arith::AddIOp::create(nb, nl, acc, x);
          break;
        case Combine::Prod:
          r = isFloat ? (Value)arith::MulFOp::create(nb, nl, acc, x)
                      : (Value)arith::MulIOp::create(nb, nl, acc, x);
          break;
        case Combine::Max:
          r = buildMax(nb, nl, originalElement, acc, x);
          break;
        case Combine::Min:
          r = buildMin(nb, nl, originalElement, acc, x);
          break;
        }
        linalg::YieldOp::create(nb, nl, r);
      });
  return generic.getResult(0);
}

/// The reduced shape with each reduced dim kept as 1.
SmallVector<int64_t> keptShape(RankedTensorType type, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return shape;
}

template <typename OpTy>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType();
    Type original = op.getInput().getType().getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    bool isFloat = isFloatLike(t);
    int64_t count = 1;
    for (int64_t a : axes)
      count *= type.getDimSize(a);
    auto square = [&](OpBuilder &b, Location l, Value v) -> Value {
      return isFloat ? (Value)arith::MulFOp::create(b, l, v, v)
                     : (Value)arith::MulIOp::create(b, l, v, v);
    };
    auto absolute = [&](OpBuilder &b, Location l, Value v) -> Value {
      return isFloat ? (Value)math::AbsFOp::create(b, l, v)
             : isUnsignedInt(original) ? v : (Value)math::AbsIOp::create(b, l, v);
    };
    RankedTensorType reducedType;
    Value reduced;
    if constexpr (std::is_same_v<OpTy, ReduceLogSumExpOp>) {
      // m + log(sum(exp(x - m))), m the max: no overflow for large x.
      Value m = buildReduce(rewriter, loc, x, axes, Combine::Max, original);
      Value mKept = buildReshape(rewriter, loc, m, keptShape(type, axes));
      Value shifted = buildElementwise(rewriter, loc, type, {x, mKept},
                                       [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                         return math::ExpOp::create(
                                             b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                                       });
      Value s = buildReduce(rewriter, loc, shifted, axes, Combine::Sum, original);
      reduced = buildElementwise(rewriter, loc, cast<RankedTensorType>(s.getType()), {s, m},
                                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return arith::AddFOp::create(
                                       b, l, math::LogOp::create(b, l, a[0]), a[1]);
                                 });
    } else {
      Combine combine = Combine::Sum;
      llvm::function_ref<Value(OpBuilder &, Location, Value)> map = nullptr;
      if constexpr (std::is_same_v<OpTy, ReduceMaxOp>)
        combine = Combine::Max;
      if constexpr (std::is_same_v<OpTy, ReduceMinOp>)
        combine = Combine::Min;
      if constexpr (std::is_same_v<OpTy, ReduceProdOp>)
        combine = Combine::Prod;
      if constexpr (std::is_same_v<OpTy, ReduceL1Op>)
        map = absolute;
      if constexpr (std::is_same_v<OpTy, ReduceL2Op> || std::is_same_v<OpTy, ReduceSumSquareOp>)
        map = square;
      reduced = buildReduce(rewriter, loc, x, axes, combine, original, map);
      reducedType = cast<RankedTensorType>(reduced.getType());
      auto post = [&](auto fn) {
        reduced = buildElementwise(rewriter, loc, reducedType, reduced,
                                   [&](OpBuilder &b, Location l, ValueRange a) {
                                     return fn(b, l, a[0]);
                                   });
      };
      if constexpr (std::is_same_v<OpTy, ReduceMeanOp>)
        post([&](OpBuilder &b, Location l, Value v) -> Value {
          if (isFloat)
            return arith::MulFOp::create(b, l, v, scalarConstant(b, l, t, 1.0 / count));
          return arith::DivSIOp::create(b, l, v, scalarConstant(b, l, t, count));
        });
      if constexpr (std::is_same_v<OpTy, ReduceL2Op>)
        post([&](OpBuilder &b, Location l, Value v) -> Value {
          if (isFloat)
            return math::SqrtOp::create(b, l, v);
          Value f = convertElementScalar(b, l, v, original, b.getF64Type());
          return convertElementScalar(b, l, math::SqrtOp::create(b, l, f), b.getF64Type(),
                                      original);
        });
      if constexpr (std::is_same_v<OpTy, ReduceLogSumOp>)
        post([&](OpBuilder &b, Location l, Value v) -> Value {
          return math::LogOp::create(b, l, v);
        });
    }
    auto resultType = cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, buildReshape(rewriter, loc, reduced, resultType.getShape()));
    return success();
  }
};

/// Softmax, LogSoftmax and Hardmax along one axis.
template <typename OpTy>
struct AxisNormalizeLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType();
    int64_t axis = op.getAxis();
    SmallVector<int64_t> axes{axis};
    SmallVector<int64_t> kept = keptShape(type, axes);
    Value m = buildReshape(rewriter, loc, buildReduce(rewriter, loc, x, axes, Combine::Max, t),
                           kept);
    if constexpr (std::is_same_v<OpTy, HardmaxOp>) {
      // 1 at the first maximum along the axis: a maximum whose position is
      // the smallest index holding the maximum.
      Value isMax = buildElementwise(
          rewriter, loc, RankedTensorType::get(type.getShape(), rewriter.getI64Type()), {x, m},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value eq = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0], a[1]);
            Value idx = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                                   linalg::IndexOp::create(b, l, axis));
            return arith::SelectOp::create(b, l, eq, idx, highestValue(b, l, b.getI64Type()));
          });
      Value first = buildReshape(
          rewriter, loc,
          buildReduce(rewriter, loc, isMax, axes, Combine::Min, rewriter.getI64Type()), kept);
      Value result = buildElementwise(
          rewriter, loc, type, {first},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value idx = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                                   linalg::IndexOp::create(b, l, axis));
            Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, idx, a[0]);
            return arith::SelectOp::create(b, l, hit, scalarConstant(b, l, t, 1),
                                           scalarConstant(b, l, t, 0));
          });
      rewriter.replaceOp(op, result);
      return success();
    }
    Value e = buildElementwise(rewriter, loc, type, {x, m},
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 return math::ExpOp::create(
                                     b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                               });
    Value s = buildReshape(rewriter, loc, buildReduce(rewriter, loc, e, axes, Combine::Sum, t),
                           kept);
    Value result;
    if constexpr (std::is_same_v<OpTy, SoftmaxOp>)
      result = buildElementwise(rewriter, loc, type, {e, s},
                                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::DivFOp::create(b, l, a[0], a[1]);
                                });
    else
      result = buildElementwise(
          rewriter, loc, type, {x, m, s}, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value shifted = arith::SubFOp::create(b, l, a[0], a[1]);
            return arith::SubFOp::create(b, l, shifted, math::LogOp::create(b, l, a[2]));
          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename OpTy>
struct GlobalPoolLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type t = type.getElementType();
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t d = 2; d < type.getRank(); ++d) {
      axes.push_back(d);
      count *= type.getDimSize(d);
    }
    Value reduced;
    if constexpr (std::is_same_v<OpTy, GlobalMaxPoolOp>) {
      reduced = buildReduce(rewriter, loc, x, axes, Combine::Max, t);
    } else if constexpr (std::is_same_v<OpTy, GlobalAveragePoolOp>) {
      Value sum = buildReduce(rewriter, loc, x, axes, Combine::Sum, t);
      reduced = buildElementwise(rewriter, loc, cast<RankedTensorType>(sum.getType()), sum,
                                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return arith::MulFOp::create(
                                       b, l, a[0], scalarConstant(b, l, t, 1.0 / count));
                                 });
    } else {
      double p = (double)op.getP();
      Value sum = buildReduce(rewriter, loc, x, axes, Combine::Sum, t,
                              [&](OpBuilder &b, Location l, Value v) -> Value {
                                return math::PowFOp::create(b, l, math::AbsFOp::create(b, l, v),
                                                            scalarConstant(b, l, t, p));
                              });
      reduced = buildElementwise(rewriter, loc, cast<RankedTensorType>(sum.getType()), sum,
                                 [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                   return math::PowFOp::create(b, l, a[0],
                                                               scalarConstant(b, l, t, 1.0 / p));
                                 });
    }
    rewriter.replaceOp(op, buildReshape(rewriter, loc, reduced, op.getType().getShape()));
    return success();
  }
};

} // namespace

void lathe::populateReductionToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
               ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceMinOp>,
               ReduceLowering<ReduceProdOp>, ReduceLowering<ReduceL1Op>,
               ReduceLowering<ReduceL2Op>, ReduceLowering<ReduceLogSumOp>,
               ReduceLowering<ReduceLogSumExpOp>, ReduceLowering<ReduceSumSquareOp>,
               AxisNormalizeLowering<SoftmaxOp>, AxisNormalizeLowering<LogSoftmaxOp>,
               AxisNormalizeLowering<HardmaxOp>, GlobalPoolLowering<GlobalAveragePoolOp>,
               GlobalPoolLowering<GlobalMaxPoolOp>, GlobalPoolLowering<GlobalLpPoolOp>>(
      converter, patterns.getContext());
}
