//===- LinalgBuilders.cpp - building blocks of the lathe lowering ---------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace lathe;

bool lathe::isFloatLike(Type type) { return isa<FloatType>(type); }
bool lathe::isUnsignedInt(Type type) { return type.isUnsignedInteger(); }

AffineMap lathe::broadcastMap(MLIRContext *context, ArrayRef<int64_t> operandShape,
                              ArrayRef<int64_t> resultShape) {
  size_t offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < operandShape.size(); ++i) {
    bool broadcast = operandShape[i] == 1 && resultShape[i + offset] != 1;
    exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                              : getAffineDimExpr(i + offset, context));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, context);
}

Value lathe::buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                              ValueRange operands, ScalarBody body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(context, cast<RankedTensorType>(operand.getType()).getShape(),
                                resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(), resultType.getElementType());
  SmallVector<utils::IteratorType> iterators(resultType.getRank(), utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, operands, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value lathe::scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  // Integer attributes of arith.constant are signless.
  auto intType = IntegerType::get(b.getContext(), type.getIntOrFloatBitWidth());
  Value c = arith::ConstantOp::create(b, loc, b.getIntegerAttr(intType, (int64_t)value));
  return c;
}

static Value extremeValue(OpBuilder &b, Location loc, Type type, bool highest) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc, b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                          /*Negative=*/!highest)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = isUnsignedInt(type) || width == 1
                ? (highest ? APInt::getMaxValue(width) : APInt::getMinValue(width))
                : (highest ? APInt::getSignedMaxValue(width) : APInt::getSignedMinValue(width));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(b.getIntegerType(width), v));
}

Value lathe::lowestValue(OpBuilder &b, Location loc, Type type) {
  return extremeValue(b, loc, type, false);
}
Value lathe::highestValue(OpBuilder &b, Location loc, Type type) {
  return extremeValue(b, loc, type, true);
}

Value lathe::buildFilled(OpBuilder &b, Location loc, RankedTensorType type, Value value) {
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, value, init).getResult(0);
}

Value lathe::buildReshape(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  auto target = RankedTensorType::get(shape, type.getElementType());
  // Collapse to 1-D (or 0-D), then expand to the target.
  Value flat = input;
  if (type.getRank() != 1) {
    SmallVector<ReassociationIndices> collapse;
    if (type.getRank() > 0)
      collapse.push_back(llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
    auto flatType =
        RankedTensorType::get(type.getRank() ? ArrayRef<int64_t>{type.getNumElements()}
                                             : ArrayRef<int64_t>{},
                              type.getElementType());
    if (type.getRank() == 0) {
      flatType = RankedTensorType::get({1}, type.getElementType());
      flat = tensor::ExpandShapeOp::create(b, loc, flatType, input,
                                           ArrayRef<ReassociationIndices>{});
    } else {
      flat = tensor::CollapseShapeOp::create(b, loc, flatType, input, collapse);
    }
  }
  if (target.getRank() == 1)
    return flat;
  if (target.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, target, flat,
                                           ArrayRef<ReassociationIndices>{});
  SmallVector<ReassociationIndices> expand{
      llvm::to_vector(llvm::seq<int64_t>(0, target.getRank()))};
  return tensor::ExpandShapeOp::create(b, loc, target, flat, expand);
}

Value lathe::buildPad(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                      ArrayRef<int64_t> high, Value value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    shape.push_back(type.getDimSize(d) + low[d] + high[d]);
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> lo, hi;
  for (auto [l, h] : llvm::zip(low, high)) {
    lo.push_back(b.getIndexAttr(l));
    hi.push_back(b.getIndexAttr(h));
  }
  return tensor::PadOp::create(b, loc, padded, input, lo, hi, value);
}

Value lathe::clampedIndex(OpBuilder &b, Location l, Value v, int64_t extent) {
  Type i64 = b.getI64Type();
  Value i = v.getType().isInteger(64) ? v
            : v.getType().isIndex()   ? (Value)arith::IndexCastOp::create(b, l, i64, v)
                                      : (Value)arith::ExtSIOp::create(b, l, i64, v);
  Value zero = scalarConstant(b, l, i64, 0), n = scalarConstant(b, l, i64, extent);
  Value negative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, l, negative, arith::AddIOp::create(b, l, i, n), i);
  i = arith::MaxSIOp::create(b, l, i, zero);
  i = arith::MinSIOp::create(b, l, i, scalarConstant(b, l, i64, std::max<int64_t>(extent - 1, 0)));
  return arith::IndexCastOp::create(b, l, b.getIndexType(), i);
}

Value lathe::buildMax(OpBuilder &b, Location loc, Type type, Value x, Value y) {
  if (isFloatLike(type))
    return arith::MaximumFOp::create(b, loc, x, y);
  return isUnsignedInt(type) || type.isInteger(1) ? (Value)arith::MaxUIOp::create(b, loc, x, y)
                                                  : (Value)arith::MaxSIOp::create(b, loc, x, y);
}

Value lathe::buildMin(OpBuilder &b, Location loc, Type type, Value x, Value y) {
  if (isFloatLike(type))
    return arith::MinimumFOp::create(b, loc, x, y);
  return isUnsignedInt(type) || type.isInteger(1) ? (Value)arith::MinUIOp::create(b, loc, x, y)
                                                  : (Value)arith::MinSIOp::create(b, loc, x, y);
}

Value lathe::buildKeptSum(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes,
                          int64_t &count) {
  auto type = cast<RankedTensorType>(x.getType());
  Type t = type.getElementType();
  count = 1;
  SmallVector<int64_t> kept(type.getShape()), reduced;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool isReduced = llvm::is_contained(axes, d);
    if (isReduced) {
      count *= type.getDimSize(d);
      kept[d] = 1;
    } else {
      reduced.push_back(type.getDimSize(d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
    iterators.push_back(isReduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
  }
  auto reducedType = RankedTensorType::get(reduced, t);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(type.getRank()),
                              AffineMap::get(type.getRank(), 0, outExprs, b.getContext())};
  Value init = buildFilled(b, loc, reducedType, scalarConstant(b, loc, t, 0));
  Value sum = linalg::GenericOp::create(b, loc, reducedType, x, init, maps, iterators,
                                        [](OpBuilder &nb, Location l, ValueRange a) {
                                          Value s = arith::AddFOp::create(nb, l, a[1], a[0]);
                                          linalg::YieldOp::create(nb, l, s);
                                        })
                  .getResult(0);
  return buildReshape(b, loc, sum, kept);
}

