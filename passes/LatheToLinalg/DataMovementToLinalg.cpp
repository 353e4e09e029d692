//===- DataMovementToLinalg.cpp - reshapes, slices, gathers, resizes ------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace lathe;

namespace {

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> result;
  for (int64_t v : values)
    result.push_back(b.getIndexAttr(v));
  return result;
}

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), adaptor.getInput(),
                                        op.getType().getShape()));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                         type.getElementType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(), adaptor.getInput(),
                                                       init, op.getPerm())
                               .getResult()[0]);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    int64_t axis = op.getAxis(), offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto it = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> offsets(type.getRank(), 0), strides(type.getRank(), 1);
      offsets[axis] = offset;
      offset += it.getDimSize(axis);
      if (it.getNumElements() == 0)
        continue;
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             indexAttrs(rewriter, offsets),
                                             indexAttrs(rewriter, it.getShape()),
                                             indexAttrs(rewriter, strides));
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SplitLowering : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = op.getAxis(), offset = 0;
    SmallVector<Value> results;
    for (int64_t size : op.getSizes()) {
      SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
          strides(type.getRank(), 1);
      offsets[axis] = offset;
      sizes[axis] = size;
      offset += size;
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, op.getLoc(), adaptor.getInput(), indexAttrs(rewriter, offsets),
          indexAttrs(rewriter, sizes), indexAttrs(rewriter, strides)));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (type.getNumElements() == 0 || llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                                 rewriter, loc, type, adaptor.getInput(),
                                 indexAttrs(rewriter, starts), indexAttrs(rewriter, type.getShape()),
                                 indexAttrs(rewriter, steps)));
      return success();
    }
    // Negative steps: a copy reading input[start + i * step].
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      exprs.push_back(rewriter.getAffineConstantExpr(starts[d]) +
                      rewriter.getAffineDimExpr(d) * steps[d]);
    SmallVector<AffineMap> maps{AffineMap::get(type.getRank(), 0, exprs, rewriter.getContext()),
                                rewriter.getMultiDimIdentityMap(type.getRank())};
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    rewriter.replaceOp(
        op, linalg::GenericOp::create(
                rewriter, loc, type, adaptor.getInput(), init, maps,
                SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
                [](OpBuilder &b, Location l, ValueRange a) { linalg::YieldOp::create(b, l, a[0]); })
                .getResult(0));
    return success();
  }
};

/// tensor.insert_slice of the update at the clamped run-time position:
/// on the cache's own buffer, a copy of the update alone.
struct CacheWriteLowering : OpConversionPattern<CacheWriteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CacheWriteOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto cache = cast<RankedTensorType>(adaptor.getCache().getType());
    auto update = cast<RankedTensorType>(adaptor.getUpdate().getType());
    auto positionType = cast<RankedTensorType>(adaptor.getPosition().getType());
    int64_t axis = op.getAxis();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value position = tensor::ExtractOp::create(rewriter, loc, adaptor.getPosition(),
                                               SmallVector<Value>(positionType.getRank(), zero));
    Type i64 = rewriter.getI64Type();
    if (!position.getType().isInteger(64))
      position = arith::ExtSIOp::create(rewriter, loc, i64, position);
    Value last = arith::ConstantIntOp::create(rewriter, loc, i64,
                                              cache.getDimSize(axis) - update.getDimSize(axis));
    position = arith::MinSIOp::create(
        rewriter, loc, arith::MaxSIOp::create(rewriter, loc, position,
                                              arith::ConstantIntOp::create(rewriter, loc, i64, 0)),
        last);
    SmallVector<OpFoldResult> offsets(cache.getRank(), rewriter.getIndexAttr(0));
    offsets[axis] = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(), position).getResult();
    rewriter.replaceOp(op, tensor::InsertSliceOp::create(
                               rewriter, loc, adaptor.getUpdate(), adaptor.getCache(), offsets,
                               indexAttrs(rewriter, update.getShape()),
                               indexAttrs(rewriter, SmallVector<int64_t>(cache.getRank(), 1))));
    return success();
  }
};

struct ExpandLowering : OpConversionPattern<ExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, buildElementwise(rewriter, op.getLoc(), type, adaptor.getInput(),
                                            [](OpBuilder &, Location, ValueRange a) {
                                              return a[0];
                                            }));
    return success();
  }
};

struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(adaptor.getInput().getType());
    auto resultType = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (op.getMode() == "constant") {
      // Negative pads crop: pad the positive part, then slice.
      SmallVector<int64_t> low, high, offsets, sizes(resultType.getShape());
      for (int64_t d = 0; d < rank; ++d) {
        low.push_back(std::max<int64_t>(pads[d], 0));
        high.push_back(std::max<int64_t>(pads[d + rank], 0));
        offsets.push_back(std::max<int64_t>(-pads[d], 0));
      }
      Value value = scalarConstant(rewriter, loc, type.getElementType(),
                                   op.getValue().convertToDouble());
      Value padded = buildPad(rewriter, loc, adaptor.getInput(), low, high, value);
      if (padded.getType() != resultType)
        padded = tensor::ExtractSliceOp::create(rewriter, loc, resultType, padded,
                                                indexAttrs(rewriter, offsets),
                                                indexAttrs(rewriter, sizes),
                                                indexAttrs(rewriter, SmallVector<int64_t>(rank, 1)));
      rewriter.replaceOp(op, padded);
      return success();
    }
    // reflect / edge / wrap: every output element reads one input element
    // whose index is the output index mapped back into range.
    StringRef mode = op.getMode();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    Value input = adaptor.getInput();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{}, init,
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> indices;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t n = type.getDimSize(d);
            Value i = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                                 linalg::IndexOp::create(b, l, d));
            Value pos = arith::SubIOp::create(b, l, i, scalarConstant(b, l, b.getI64Type(), pads[d]));
            Value zero = scalarConstant(b, l, b.getI64Type(), 0);
            Value last = scalarConstant(b, l, b.getI64Type(), n - 1);
            Value mapped;
            if (mode == "edge") {
              mapped = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, pos, zero), last);
            } else if (mode == "wrap") {
              Value nn = scalarConstant(b, l, b.getI64Type(), n);
              Value r = arith::RemSIOp::create(b, l, pos, nn);
              Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
              mapped = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, r, nn), r);
            } else {
              // reflect: period 2(n-1); fold into [0, n-1].
              if (n == 1) {
                mapped = zero;
              } else {
                Value period = scalarConstant(b, l, b.getI64Type(), 2 * (n - 1));
                Value r = arith::RemSIOp::create(b, l, pos, period);
                Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
                r = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, r, period), r);
                Value over = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, r, last);
                mapped = arith::SelectOp::create(b, l, over, arith::SubIOp::create(b, l, period, r), r);
              }
            }
            indices.push_back(arith::IndexCastOp::create(b, l, b.getIndexType(), mapped));
          }
          linalg::YieldOp::create(b, l, tensor::ExtractOp::create(b, l, input, indices).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto dataType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto indexType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t axis = op.getAxis(), q = indexType.getRank();
    // out[a..., i..., b...] = data[a..., indices[i...], b...]
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < q; ++d)
      indexExprs.push_back(rewriter.getAffineDimExpr(axis + d));
    SmallVector<AffineMap> maps{AffineMap::get(type.getRank(), 0, indexExprs, rewriter.getContext()),
                                rewriter.getMultiDimIdentityMap(type.getRank())};
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(), type.getElementType());
    Value data = adaptor.getInput();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIndices(), init, maps,
        SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          SmallVector<Value> indices;
          for (int64_t d = 0; d < axis; ++d)
            indices.push_back(linalg::IndexOp::create(b, l, d));
          indices.push_back(clampedIndex(b, l, a[0], dataType.getDimSize(axis)));
          for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
            indices.push_back(linalg::IndexOp::create(b, l, d - 1 + q));
          linalg::YieldOp::create(b, l, tensor::ExtractOp::create(b, l, data, indices).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Resize: each output coordinate maps back to an input coordinate by the
/// coordinate transformation, then reads the nearest input element or
/// interpolates linearly between neighbours (per resized dim).
struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    StringRef mode = op.getMode(), ctm = op.getCoordinateTransformationMode(),
              nearest = op.getNearestMode();
    if (mode == "cubic")
      return rewriter.notifyMatchFailure(op, "cubic resize is not lowered yet");
    if (ctm == "tf_crop_and_resize")
      return rewriter.notifyMatchFailure(op, "tf_crop_and_resize is not lowered yet");
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type t = type.getElementType();
    int64_t rank = type.getRank();
    ArrayRef<float> scales = op.getScales();
    Value input = adaptor.getInput();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(), t);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, init,
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          Type f32 = b.getF32Type();
          auto f = [&](double v) { return scalarConstant(b, l, f32, v); };
          // Per dim: the source coordinate (float) of this output index.
          struct Axis { Value lo, hi, weight; bool resized; };
          SmallVector<Axis> axes;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t in = inType.getDimSize(d), out = type.getDimSize(d);
            Value idx = linalg::IndexOp::create(b, l, d);
            if (in == out && scales[d] == 1.0f) {
              axes.push_back({idx, idx, nullptr, false});
              continue;
            }
            Value x = arith::UIToFPOp::create(
                b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), idx));
            double scale = scales[d];
            Value src;
            if (ctm == "asymmetric") {
              src = arith::DivFOp::create(b, l, x, f(scale));
            } else if (ctm == "align_corners") {
              src = out > 1 ? (Value)arith::MulFOp::create(b, l, x, f(double(in - 1) / double(out - 1)))
                            : f(0);
            } else if (ctm == "pytorch_half_pixel" && out == 1) {
              src = f(0);
            } else { // half_pixel, pytorch_half_pixel
              src = arith::SubFOp::create(
                  b, l, arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, x, f(0.5)), f(scale)),
                  f(0.5));
            }
            auto clampIndex = [&](Value v) -> Value {
              Value i = arith::FPToSIOp::create(b, l, b.getI64Type(), v);
              i = arith::MaxSIOp::create(b, l, i, scalarConstant(b, l, b.getI64Type(), 0));
              i = arith::MinSIOp::create(b, l, i, scalarConstant(b, l, b.getI64Type(), in - 1));
              return arith::IndexCastOp::create(b, l, b.getIndexType(), i);
            };
            if (mode == "nearest") {
              Value r;
              if (nearest == "floor")
                r = math::FloorOp::create(b, l, src);
              else if (nearest == "ceil")
                r = math::CeilOp::create(b, l, src);
              else if (nearest == "round_prefer_ceil")
                r = math::FloorOp::create(b, l, arith::AddFOp::create(b, l, src, f(0.5)));
              else // round_prefer_floor
                r = math::CeilOp::create(b, l, arith::SubFOp::create(b, l, src, f(0.5)));
              Value i = clampIndex(r);
              axes.push_back({i, i, nullptr, false});
              continue;
            }
            // linear: clamp the coordinate into [0, in-1], then lerp.
            Value c = arith::MaximumFOp::create(b, l, src, f(0));
            c = arith::MinimumFOp::create(b, l, c, f(in - 1));
            Value lo = math::FloorOp::create(b, l, c);
            Value w = arith::SubFOp::create(b, l, c, lo);
            Value loI = clampIndex(lo);
            Value hiI = clampIndex(arith::AddFOp::create(b, l, lo, f(1)));
            axes.push_back({loI, hiI, w, true});
          }
          // Sum over the 2^k corners of the resized dims.
          SmallVector<int64_t> lerped;
          for (int64_t d = 0; d < rank; ++d)
            if (axes[d].resized)
              lerped.push_back(d);
          Value acc;
          for (int64_t corner = 0; corner < (int64_t(1) << lerped.size()); ++corner) {
            SmallVector<Value> indices;
            Value weight = f(1);
            for (int64_t d = 0; d < rank; ++d) {
              auto it = llvm::find(lerped, d);
              if (it == lerped.end()) {
                indices.push_back(axes[d].lo);
                continue;
              }
              bool high = corner >> (it - lerped.begin()) & 1;
              indices.push_back(high ? axes[d].hi : axes[d].lo);
              Value w = high ? axes[d].weight : (Value)arith::SubFOp::create(b, l, f(1), axes[d].weight);
              weight = arith::MulFOp::create(b, l, weight, w);
            }
            Value v = tensor::ExtractOp::create(b, l, input, indices);
            if (lerped.empty()) {
              acc = v;
              break;
            }
            Value vf = t == f32 ? v : convertElementScalar(b, l, v, op.getInput().getType().getElementType(), f32);
            Value term = arith::MulFOp::create(b, l, vf, weight);
            acc = acc ? (Value)arith::AddFOp::create(b, l, acc, term) : term;
          }
          if (!lerped.empty() && t != f32)
            acc = convertElementScalar(b, l, acc, f32, op.getType().getElementType());
          linalg::YieldOp::create(b, l, acc);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void lathe::populateDataMovementToLinalgPatterns(const TypeConverter &converter,
                                                 RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, ConcatLowering, SplitLowering, SliceLowering,
               CacheWriteLowering, ExpandLowering, PadLowering, GatherLowering, ResizeLowering>(converter,
                                                                             patterns.getContext());
}
