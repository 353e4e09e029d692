//===- ElementwiseToLinalg.cpp - elementwise lathe ops to linalg ----------===//
//
// Each elementwise op becomes one linalg.generic over its result; the
// scalar computation follows ONNX's definition for the element type (signed
// or unsigned integer, float).
//
//===----------------------------------------------------------------------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace lathe;

namespace {

Value cst(OpBuilder &b, Location loc, Type type, double v) {
  return scalarConstant(b, loc, type, v);
}

Value cmpf(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x, Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}

/// Converts a scalar between element types with ONNX Cast semantics
/// (float to int truncates; to bool is "not zero").
Value convertScalar(OpBuilder &b, Location loc, Value x, Type from, Type to) {
  if (from == to)
    return x;
  Type toStorage = to.isInteger() ? (Type)b.getIntegerType(to.getIntOrFloatBitWidth()) : to;
  if (to.isInteger(1)) {
    if (isFloatLike(from))
      return cmpf(b, loc, arith::CmpFPredicate::UNE, x, cst(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, cst(b, loc, from, 0));
  }
  bool fromUnsigned = isUnsignedInt(from) || from.isInteger(1);
  if (isFloatLike(from) && isFloatLike(to)) {
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, x);
    if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
      return arith::TruncFOp::create(b, loc, to, x);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (isFloatLike(from))
    return isUnsignedInt(to) ? (Value)arith::FPToUIOp::create(b, loc, toStorage, x)
                             : (Value)arith::FPToSIOp::create(b, loc, toStorage, x);
  if (isFloatLike(to))
    return fromUnsigned ? (Value)arith::UIToFPOp::create(b, loc, to, x)
                        : (Value)arith::SIToFPOp::create(b, loc, to, x);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw == tw)
    return x;
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, toStorage, x);
  return fromUnsigned ? (Value)arith::ExtUIOp::create(b, loc, toStorage, x)
                      : (Value)arith::ExtSIOp::create(b, loc, toStorage, x);
}

Value compare(OpBuilder &b, Location loc, Type t, arith::CmpFPredicate fp,
              arith::CmpIPredicate sp, arith::CmpIPredicate up, Value x, Value y) {
  if (isFloatLike(t))
    return cmpf(b, loc, fp, x, y);
  return arith::CmpIOp::create(b, loc, isUnsignedInt(t) || t.isInteger(1) ? up : sp, x, y);
}

Value sigmoid(OpBuilder &b, Location loc, Type t, Value x) {
  Value one = cst(b, loc, t, 1);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

/// The scalar body of `op` given its operands' scalars.
Value scalarBody(Operation *op, OpBuilder &b, Location loc, ValueRange args) {
  Type t = args[0].getType();                 // storage type of operand 0
  Type et = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  Value x = args[0];
  bool f = isFloatLike(t);
  auto unary = [&](auto opTag) -> Value {
    using MathOp = decltype(opTag);
    return MathOp::create(b, loc, x);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      // Arithmetic.
      .Case([&](AddOp) {
        return f ? (Value)arith::AddFOp::create(b, loc, x, args[1])
                 : (Value)arith::AddIOp::create(b, loc, x, args[1]);
      })
      .Case([&](SubOp) {
        return f ? (Value)arith::SubFOp::create(b, loc, x, args[1])
                 : (Value)arith::SubIOp::create(b, loc, x, args[1]);
      })
      .Case([&](MulOp) {
        return f ? (Value)arith::MulFOp::create(b, loc, x, args[1])
                 : (Value)arith::MulIOp::create(b, loc, x, args[1]);
      })
      .Case([&](DivOp) -> Value {
        if (f)
          return arith::DivFOp::create(b, loc, x, args[1]);
        // Integer division by zero is undefined in ONNX; divide by one
        // instead of trapping.
        Value zero = cst(b, loc, t, 0);
        Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, args[1], zero);
        Value divisor = arith::SelectOp::create(b, loc, isZero, cst(b, loc, t, 1), args[1]);
        return isUnsignedInt(et) ? (Value)arith::DivUIOp::create(b, loc, x, divisor)
                                 : (Value)arith::DivSIOp::create(b, loc, x, divisor);
      })
      .Case([&](MaxOp) { return buildMax(b, loc, et, x, args[1]); })
      .Case([&](MinOp) { return buildMin(b, loc, et, x, args[1]); })
      .Case([&](PowOp) -> Value {
        Type yt = cast<RankedTensorType>(op->getOperand(1).getType()).getElementType();
        if (f) {
          Value y = convertScalar(b, loc, args[1], yt, et);
          return math::PowFOp::create(b, loc, x, y);
        }
        // Integer base: compute in f64 and truncate, as ONNX Runtime does.
        Value xf = convertScalar(b, loc, x, et, b.getF64Type());
        Value yf = convertScalar(b, loc, args[1], yt, b.getF64Type());
        return convertScalar(b, loc, math::PowFOp::create(b, loc, xf, yf), b.getF64Type(), et);
      })
      .Case([&](ModOp mod) -> Value {
        if (f)
          return arith::RemFOp::create(b, loc, x, args[1]);
        Value zero = cst(b, loc, t, 0);
        Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, args[1], zero);
        Value divisor = arith::SelectOp::create(b, loc, isZero, cst(b, loc, t, 1), args[1]);
        if (isUnsignedInt(et))
          return arith::RemUIOp::create(b, loc, x, divisor);
        Value r = arith::RemSIOp::create(b, loc, x, divisor);
        if (mod.getFmod())
          return r;
        // Python-style modulo: the result takes the divisor's sign.
        Value rNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
        Value dNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, divisor, zero);
        Value rNonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
        Value fix = arith::AndIOp::create(
            b, loc, rNonZero, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rNeg, dNeg));
        return arith::SelectOp::create(b, loc, fix, arith::AddIOp::create(b, loc, r, divisor), r);
      })
      .Case([&](BitShiftOp shift) -> Value {
        // Shifting by the width or more gives 0.
        Value width = cst(b, loc, t, t.getIntOrFloatBitWidth());
        Value tooFar = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, args[1], width);
        Value shifted = shift.getLeft() ? (Value)arith::ShLIOp::create(b, loc, x, args[1])
                                        : (Value)arith::ShRUIOp::create(b, loc, x, args[1]);
        return arith::SelectOp::create(b, loc, tooFar, cst(b, loc, t, 0), shifted);
      })
      .Case([&](AndOp) { return arith::AndIOp::create(b, loc, x, args[1]); })
      .Case([&](OrOp) { return arith::OrIOp::create(b, loc, x, args[1]); })
      .Case([&](XorOp) { return arith::XOrIOp::create(b, loc, x, args[1]); })
      .Case([&](EqualOp) {
        return compare(b, loc, et, arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq,
                       arith::CmpIPredicate::eq, x, args[1]);
      })
      .Case([&](LessOp) {
        return compare(b, loc, et, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
                       arith::CmpIPredicate::ult, x, args[1]);
      })
      .Case([&](GreaterOp) {
        return compare(b, loc, et, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
                       arith::CmpIPredicate::ugt, x, args[1]);
      })
      .Case([&](LessOrEqualOp) {
        return compare(b, loc, et, arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle,
                       arith::CmpIPredicate::ule, x, args[1]);
      })
      .Case([&](GreaterOrEqualOp) {
        return compare(b, loc, et, arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge,
                       arith::CmpIPredicate::uge, x, args[1]);
      })
      .Case([&](WhereOp) {
        return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
      })
      .Case([&](PReluOp) -> Value {
        Value zero = cst(b, loc, t, 0);
        if (f) {
          Value neg = cmpf(b, loc, arith::CmpFPredicate::OLT, x, zero);
          return arith::SelectOp::create(b, loc, neg, arith::MulFOp::create(b, loc, x, args[1]),
                                         x);
        }
        Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
        return arith::SelectOp::create(b, loc, neg, arith::MulIOp::create(b, loc, x, args[1]), x);
      })
      // Unary.
      .Case([&](AbsOp) {
        return f ? (Value)math::AbsFOp::create(b, loc, x)
                 : isUnsignedInt(et) ? x : (Value)math::AbsIOp::create(b, loc, x);
      })
      .Case([&](NegOp) {
        return f ? (Value)arith::NegFOp::create(b, loc, x)
                 : (Value)arith::SubIOp::create(b, loc, cst(b, loc, t, 0), x);
      })
      .Case([&](SignOp) -> Value {
        Value zero = cst(b, loc, t, 0);
        Value pos = compare(b, loc, et, arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
                            arith::CmpIPredicate::ugt, x, zero);
        Value neg = compare(b, loc, et, arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
                            arith::CmpIPredicate::ult, x, zero);
        Value signOrZero = arith::SelectOp::create(b, loc, neg, cst(b, loc, t, -1), zero);
        Value result = arith::SelectOp::create(b, loc, pos, cst(b, loc, t, 1), signOrZero);
        // NaN stays NaN.
        if (f)
          return arith::SelectOp::create(b, loc, cmpf(b, loc, arith::CmpFPredicate::UNO, x, x),
                                         x, result);
        return result;
      })
      .Case([&](ReluOp) { return buildMax(b, loc, et, x, cst(b, loc, t, 0)); })
      .Case([&](ExpOp) { return unary(math::ExpOp()); })
      .Case([&](LogOp) { return unary(math::LogOp()); })
      .Case([&](SqrtOp) { return unary(math::SqrtOp()); })
      .Case([&](ReciprocalOp) {
        return (Value)arith::DivFOp::create(b, loc, cst(b, loc, t, 1), x);
      })
      .Case([&](FloorOp) { return unary(math::FloorOp()); })
      .Case([&](CeilOp) { return unary(math::CeilOp()); })
      .Case([&](RoundOp) { return unary(math::RoundEvenOp()); })
      .Case([&](SinOp) { return unary(math::SinOp()); })
      .Case([&](CosOp) { return unary(math::CosOp()); })
      .Case([&](TanOp) { return unary(math::TanOp()); })
      .Case([&](AsinOp) { return unary(math::AsinOp()); })
      .Case([&](AcosOp) { return unary(math::AcosOp()); })
      .Case([&](AtanOp) { return unary(math::AtanOp()); })
      .Case([&](SinhOp) { return unary(math::SinhOp()); })
      .Case([&](CoshOp) { return unary(math::CoshOp()); })
      .Case([&](AsinhOp) { return unary(math::AsinhOp()); })
      .Case([&](AcoshOp) { return unary(math::AcoshOp()); })
      .Case([&](AtanhOp) { return unary(math::AtanhOp()); })
      .Case([&](TanhOp) { return unary(math::TanhOp()); })
      .Case([&](ErfOp) { return unary(math::ErfOp()); })
      .Case([&](SigmoidOp) { return sigmoid(b, loc, t, x); })
      .Case([&](SiluOp) -> Value { return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, t, x)); })
      .Case([&](GeluOp) -> Value {
        Value e = math::ErfOp::create(
            b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, t, 0.70710678118654752)));
        Value half = arith::MulFOp::create(b, loc, x, cst(b, loc, t, 0.5));
        return arith::MulFOp::create(b, loc, half,
                                     arith::AddFOp::create(b, loc, e, cst(b, loc, t, 1)));
      })
      .Case([&](SoftplusOp) -> Value {
        // log(1 + e^x), written to neither overflow nor lose small values:
        // max(x, 0) + log1p(e^-|x|).
        Value absx = math::AbsFOp::create(b, loc, x);
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absx));
        return arith::AddFOp::create(b, loc, buildMax(b, loc, t, x, cst(b, loc, t, 0)),
                                     math::Log1pOp::create(b, loc, e));
      })
      .Case([&](SoftsignOp) -> Value {
        Value denom = arith::AddFOp::create(b, loc, cst(b, loc, t, 1),
                                            math::AbsFOp::create(b, loc, x));
        return arith::DivFOp::create(b, loc, x, denom);
      })
      .Case([&](HardSwishOp) -> Value {
        Value hs = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, t, 1.0 / 6.0)),
            cst(b, loc, t, 0.5));
        hs = buildMin(b, loc, t, buildMax(b, loc, t, hs, cst(b, loc, t, 0)), cst(b, loc, t, 1));
        return arith::MulFOp::create(b, loc, x, hs);
      })
      .Case([&](NotOp) { return arith::XOrIOp::create(b, loc, x, cst(b, loc, t, 1)); })
      .Case([&](IsNaNOp) { return cmpf(b, loc, arith::CmpFPredicate::UNO, x, x); })
      .Case([&](IsInfOp inf) -> Value {
        Value posInf = highestValue(b, loc, t), negInf = lowestValue(b, loc, t);
        Value isPos = cmpf(b, loc, arith::CmpFPredicate::OEQ, x, posInf);
        Value isNeg = cmpf(b, loc, arith::CmpFPredicate::OEQ, x, negInf);
        Value no = cst(b, loc, b.getI1Type(), 0);
        Value pos = inf.getDetectPositive() ? isPos : no;
        Value neg = inf.getDetectNegative() ? isNeg : no;
        return arith::OrIOp::create(b, loc, pos, neg);
      })
      .Case([&](LeakyReluOp op) -> Value {
        Value neg = cmpf(b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, t, 0));
        Value scaled = arith::MulFOp::create(b, loc, x, cst(b, loc, t, op.getAlpha().convertToDouble()));
        return arith::SelectOp::create(b, loc, neg, scaled, x);
      })
      .Case([&](EluOp op) -> Value {
        Value neg = cmpf(b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, t, 0));
        Value em1 = math::ExpM1Op::create(b, loc, x);
        Value scaled = arith::MulFOp::create(b, loc, em1, cst(b, loc, t, op.getAlpha().convertToDouble()));
        return arith::SelectOp::create(b, loc, neg, scaled, x);
      })
      .Case([&](CeluOp op) -> Value {
        double alpha = op.getAlpha().convertToDouble();
        Value em1 = math::ExpM1Op::create(
            b, loc, arith::DivFOp::create(b, loc, x, cst(b, loc, t, alpha)));
        Value negPart = buildMin(b, loc, t, cst(b, loc, t, 0),
                              arith::MulFOp::create(b, loc, em1, cst(b, loc, t, alpha)));
        return arith::AddFOp::create(b, loc, buildMax(b, loc, t, x, cst(b, loc, t, 0)), negPart);
      })
      .Case([&](SeluOp op) -> Value {
        Value neg = cmpf(b, loc, arith::CmpFPredicate::OLE, x, cst(b, loc, t, 0));
        Value em1 = math::ExpM1Op::create(b, loc, x);
        Value negPart = arith::MulFOp::create(b, loc, em1, cst(b, loc, t, op.getAlpha().convertToDouble()));
        Value chosen = arith::SelectOp::create(b, loc, neg, negPart, x);
        return arith::MulFOp::create(b, loc, chosen, cst(b, loc, t, op.getGamma().convertToDouble()));
      })
      .Case([&](ThresholdedReluOp op) -> Value {
        Value above = cmpf(b, loc, arith::CmpFPredicate::OGT, x, cst(b, loc, t, op.getAlpha().convertToDouble()));
        return arith::SelectOp::create(b, loc, above, x, cst(b, loc, t, 0));
      })
      .Case([&](HardSigmoidOp op) -> Value {
        Value y = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, t, op.getAlpha().convertToDouble())),
            cst(b, loc, t, op.getBeta().convertToDouble()));
        return buildMin(b, loc, t, buildMax(b, loc, t, y, cst(b, loc, t, 0)), cst(b, loc, t, 1));
      })
      .Case([&](ShrinkOp op) -> Value {
        double lambd = op.getLambd().convertToDouble(), bias = op.getBias().convertToDouble();
        Value below = cmpf(b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, t, -lambd));
        Value above = cmpf(b, loc, arith::CmpFPredicate::OGT, x, cst(b, loc, t, lambd));
        Value up = arith::AddFOp::create(b, loc, x, cst(b, loc, t, bias));
        Value down = arith::SubFOp::create(b, loc, x, cst(b, loc, t, bias));
        return arith::SelectOp::create(b, loc, below, up,
                                       arith::SelectOp::create(b, loc, above, down, cst(b, loc, t, 0)));
      })
      .Case([&](ClipOp op) -> Value {
        Value y = x;
        if (auto lo = op.getMin())
          y = buildMax(b, loc, et, y, cst(b, loc, t, lo->convertToDouble()));
        if (auto hi = op.getMax())
          y = buildMin(b, loc, et, y, cst(b, loc, t, hi->convertToDouble()));
        return y;
      })
      .Case([&](CastOp op) {
        return convertScalar(b, loc, x, et, op.getType().getElementType());
      })
      .Default([](Operation *) -> Value { return nullptr; });
}

template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(
        this->getTypeConverter()->convertType(op->getResult(0).getType()));
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalarBody(op, b, loc, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// x / c for a float constant c is x * (1 / c): a multiply, which also makes
/// the op cheap enough to fuse into broadcasting consumers.
struct DivByConstantLowering : OpConversionPattern<DivOp> {
  DivByConstantLowering(const TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern<DivOp>(converter, context, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(DivOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    DenseElementsAttr divisor;
    if (!isFloatLike(type.getElementType()) || !matchPattern(op.getRhs(), m_Constant(&divisor)) ||
        !divisor.isSplat())
      return failure();
    double c = divisor.getSplatValue<APFloat>().convertToDouble();
    if (c == 0 || !std::isfinite(c))
      return failure();
    Value result = buildElementwise(rewriter, op.getLoc(), type, adaptor.getLhs(),
                                    [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                                      return arith::MulFOp::create(
                                          b, l, args[0], cst(b, l, args[0].getType(), 1.0 / c));
                                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

Value lathe::convertElementScalar(OpBuilder &b, Location loc, Value x, Type from, Type to) {
  return convertScalar(b, loc, x, from, to);
}

void lathe::populateElementwiseToLinalgPatterns(const TypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseLowering<AddOp>, ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
      ElementwiseLowering<DivOp>, ElementwiseLowering<MaxOp>, ElementwiseLowering<MinOp>,
      ElementwiseLowering<PowOp>, ElementwiseLowering<ModOp>, ElementwiseLowering<BitShiftOp>,
      ElementwiseLowering<AndOp>, ElementwiseLowering<OrOp>, ElementwiseLowering<XorOp>,
      ElementwiseLowering<EqualOp>, ElementwiseLowering<LessOp>, ElementwiseLowering<GreaterOp>,
      ElementwiseLowering<LessOrEqualOp>, ElementwiseLowering<GreaterOrEqualOp>,
      ElementwiseLowering<WhereOp>, ElementwiseLowering<PReluOp>, ElementwiseLowering<AbsOp>,
      ElementwiseLowering<NegOp>, ElementwiseLowering<SignOp>, ElementwiseLowering<ReluOp>,
      ElementwiseLowering<ExpOp>, ElementwiseLowering<LogOp>, ElementwiseLowering<SqrtOp>,
      ElementwiseLowering<ReciprocalOp>, ElementwiseLowering<FloorOp>,
      ElementwiseLowering<CeilOp>, ElementwiseLowering<RoundOp>, ElementwiseLowering<SinOp>,
      ElementwiseLowering<CosOp>, ElementwiseLowering<TanOp>, ElementwiseLowering<AsinOp>,
      ElementwiseLowering<AcosOp>, ElementwiseLowering<AtanOp>, ElementwiseLowering<SinhOp>,
      ElementwiseLowering<CoshOp>, ElementwiseLowering<AsinhOp>, ElementwiseLowering<AcoshOp>,
      ElementwiseLowering<AtanhOp>, ElementwiseLowering<TanhOp>, ElementwiseLowering<ErfOp>,
      ElementwiseLowering<SigmoidOp>, ElementwiseLowering<SoftplusOp>,
      ElementwiseLowering<SiluOp>, ElementwiseLowering<GeluOp>,
      ElementwiseLowering<SoftsignOp>, ElementwiseLowering<HardSwishOp>,
      ElementwiseLowering<NotOp>, ElementwiseLowering<IsNaNOp>, ElementwiseLowering<IsInfOp>,
      ElementwiseLowering<LeakyReluOp>, ElementwiseLowering<EluOp>, ElementwiseLowering<CeluOp>,
      ElementwiseLowering<SeluOp>, ElementwiseLowering<ThresholdedReluOp>,
      ElementwiseLowering<HardSigmoidOp>, ElementwiseLowering<ShrinkOp>,
      ElementwiseLowering<ClipOp>, ElementwiseLowering<CastOp>, DivByConstantLowering>(
      converter, patterns.getContext());
}
