//===- IntegerQdqGroups.cpp - QDQ groups as integer matmuls and convolutions ===//
//
// A quantized model, as exporters and ONNX Runtime's quantizer write it,
// computes each layer in float between DequantizeLinear and QuantizeLinear:
//   Q(relu?(DQ(x) * DQ(w) + DQ(bias)?), sy, zy)
// The group runs in integers when its scales and zero points are
// constants: 8-bit operands, an i32 accumulator with the zero points folded
// in, the bias in the accumulator's scale (sx * sw), and the requantization
// round(acc * sx * sw / sy) + zy as its epilogue; a ReLU clamps the
// accumulator at zero. A group that cannot run so stays in float, and a
// remark on its QuantizeLinear says why (`lathe compile --stats` lists
// them).
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

namespace lathe {
#define GEN_PASS_DEF_INTEGERQDQGROUPS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// Constant quantization parameters: one scale and zero point, or one per
/// index of `axis`.
struct Params {
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  int64_t axis = 0;
  bool perTensor() const { return scales.size() == 1; }
  float scale(size_t i) const { return perTensor() ? scales[0] : scales[i]; }
  int64_t zeroPoint(size_t i) const { return perTensor() ? zeroPoints[0] : zeroPoints[i]; }
};

/// The parameters of a DequantizeLinear or QuantizeLinear, if constant.
FailureOr<Params> constantParams(Value scale, Value zeroPoint, int64_t axis) {
  std::optional<std::vector<float>> scales = constantFloats(scale);
  std::optional<std::vector<int64_t>> zeroPoints = constantIntegers(zeroPoint);
  if (!scales || !zeroPoints || scales->size() != zeroPoints->size() || scales->empty())
    return failure();
  return Params{*scales, *zeroPoints, axis};
}

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A group rooted at a QuantizeLinear, from its output back to the
/// DequantizeLinears of the product's operands.
struct Group {
  QuantizeLinearOp output;
  ReluOp relu;
  AddOp biasAdd;
  Value bias;
  Operation *product = nullptr;
  DequantizeLinearOp input, weight;
};

/// The float ops between the QuantizeLinear and the product, if they are
/// a group's shape. No group (and no remark) when the product's operands
/// are not both dequantized.
std::optional<Group> matchGroup(QuantizeLinearOp q) {
  Group g;
  g.output = q;
  Value v = q.getInput();
  if ((g.relu = v.getDefiningOp<ReluOp>()))
    v = g.relu.getInput();
  if ((g.biasAdd = v.getDefiningOp<AddOp>())) {
    Value lhs = g.biasAdd.getLhs(), rhs = g.biasAdd.getRhs();
    bool lhsProduct = lhs.getDefiningOp<MatMulOp>() != nullptr;
    v = lhsProduct ? lhs : rhs;
    g.bias = lhsProduct ? rhs : lhs;
  }
  g.product = v.getDefiningOp();
  if (auto matmul = dyn_cast_if_present<MatMulOp>(g.product)) {
    g.input = matmul.getLhs().getDefiningOp<DequantizeLinearOp>();
    g.weight = matmul.getRhs().getDefiningOp<DequantizeLinearOp>();
  } else if (auto gemm = dyn_cast_if_present<GemmOp>(g.product)) {
    if (g.biasAdd || gemm.getTransA() || gemm.getAlpha().convertToDouble() != 1.0 ||
        (gemm.getC() && gemm.getBeta().convertToDouble() != 1.0))
      return std::nullopt;
    g.input = gemm.getA().getDefiningOp<DequantizeLinearOp>();
    g.weight = gemm.getB().getDefiningOp<DequantizeLinearOp>();
    g.bias = gemm.getC();
  } else if (auto conv = dyn_cast_if_present<ConvOp>(g.product)) {
    if (g.biasAdd)
      return std::nullopt;
    g.input = conv.getInput().getDefiningOp<DequantizeLinearOp>();
    g.weight = conv.getWeight().getDefiningOp<DequantizeLinearOp>();
    g.bias = conv.getBias();
  } else {
    return std::nullopt;
  }
  if (!g.input || !g.weight)
    return std::nullopt;
  return g;
}

/// The bias in the accumulator's scale (sx * sw[c]), one per output
/// channel, from a dequantized i32 bias or a float constant.
FailureOr<std::vector<int64_t>> integerBias(Value bias, const Params &x, const Params &w,
                                            int64_t channels, std::string &why) {
  std::vector<double> real(channels);
  if (auto dq = bias.getDefiningOp<DequantizeLinearOp>()) {
    FailureOr<Params> p = constantParams(dq.getScale(), dq.getZeroPoint(), dq.getAxis());
    std::optional<std::vector<int64_t>> values = constantIntegers(dq.getInput());
    if (failed(p) || !values || (int64_t)values->size() != channels ||
        (!p->perTensor() && (int64_t)p->scales.size() != channels)) {
      why = "the bias is not a constant dequantized per tensor or per output channel";
      return failure();
    }
    for (int64_t c = 0; c < channels; ++c)
      real[c] = double((*values)[c] - p->zeroPoint(c)) * p->scale(c);
  } else if (std::optional<std::vector<float>> values = constantFloats(bias)) {
    if ((int64_t)values->size() != channels) {
      why = "the bias is not one value per output channel";
      return failure();
    }
    real.assign(values->begin(), values->end());
  } else {
    why = "the bias is not a constant";
    return failure();
  }
  std::vector<int64_t> result(channels);
  for (int64_t c = 0; c < channels; ++c) {
    // ONNX Runtime's quantizer stores the bias with exactly this scale, and
    // then the division gives back its integers.
    double accScale = double(x.scale(0) * w.scale(c));
    double q = std::nearbyint(real[c] / accScale);
    if (!(std::fabs(q) <= (double)std::numeric_limits<int32_t>::max())) {
      why = "the bias does not fit the i32 accumulator";
      return failure();
    }
    result[c] = (int64_t)q;
  }
  return result;
}

Value i32Constant(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> shape,
                  ArrayRef<int64_t> values, StringRef name) {
  return makeIntegerConstant(rewriter, loc, RankedTensorType::get(shape, rewriter.getI32Type()),
                             values, name);
}

/// Zero point `zp` as a scalar constant of the quantized `element` type.
Value zeroPointConstant(PatternRewriter &rewriter, Location loc, Type element, int64_t zp) {
  return makeIntegerConstant(rewriter, loc, RankedTensorType::get({}, element), {zp},
                             "zero_point");
}

/// A quantized tensor less its zero point, widened to i32; `channelAxis`
/// says which dim a per-channel zero point runs along.
Value centeredI32(PatternRewriter &rewriter, Location loc, Value q, const Params &p,
                  int64_t channelAxis) {
  RankedTensorType type = tensorType(q);
  auto i32Type = RankedTensorType::get(type.getShape(), rewriter.getI32Type());
  if (std::optional<std::vector<int64_t>> values = constantIntegers(q)) {
    // Constant weights are centered at compile time.
    int64_t inner = 1;
    for (int64_t d = channelAxis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    int64_t channels = type.getDimSize(channelAxis);
    std::vector<int64_t> centered(*values);
    for (size_t i = 0; i < centered.size(); ++i)
      centered[i] -= p.zeroPoint((i / inner) % channels);
    return makeIntegerConstant(rewriter, loc, i32Type, centered, "centered_weight");
  }
  Value wide = CastOp::create(rewriter, loc, i32Type, q, TypeAttr::get(rewriter.getI32Type()));
  if (llvm::all_of(p.zeroPoints, [](int64_t z) { return z == 0; }))
    return wide;
  SmallVector<int64_t> zpShape;
  if (!p.perTensor()) {
    zpShape.assign(type.getRank() - channelAxis, 1);
    zpShape[0] = p.zeroPoints.size();
  }
  return SubOp::create(rewriter, loc, wide, i32Constant(rewriter, loc, zpShape, p.zeroPoints, "zero_point"));
}

/// What a group computes in integers: its parameters and integer bias.
struct IntegerPlan {
  Params x, w, y;
  std::optional<std::vector<int64_t>> bias;
  int64_t channelAxis, channels;
};

/// Whether `g` can run in integers, and how; `why` says why not.
FailureOr<IntegerPlan> planGroup(Group g, std::string &why) {
  auto matmul = dyn_cast<MatMulOp>(g.product);
  auto gemm = dyn_cast<GemmOp>(g.product);
  RankedTensorType outType = tensorType(g.output.getResult());
  int64_t rank = outType.getRank();
  IntegerPlan plan;
  // The dims of the result and of the weight that the output channels run
  // along.
  plan.channelAxis = matmul || gemm ? rank - 1 : 1;
  plan.channels = outType.getDimSize(plan.channelAxis);
  int64_t weightRank = tensorType(g.weight.getInput()).getRank();
  int64_t weightAxis = matmul ? weightRank - 1 : gemm ? (gemm.getTransB() ? 0 : 1) : 0;

  for (Operation *op : {g.product, g.biasAdd.getOperation(), g.relu.getOperation()})
    if (op && !op->hasOneUse()) {
      why = "a float result inside the group has other users";
      return failure();
    }
  FailureOr<Params> x = constantParams(g.input.getScale(), g.input.getZeroPoint(), g.input.getAxis());
  FailureOr<Params> w = constantParams(g.weight.getScale(), g.weight.getZeroPoint(), g.weight.getAxis());
  FailureOr<Params> y = constantParams(g.output.getScale(), g.output.getZeroPoint(), g.output.getAxis());
  if (failed(x) || failed(w) || failed(y)) {
    why = "a scale or zero point is not a constant";
    return failure();
  }
  if (!x->perTensor() || !y->perTensor()) {
    why = "activations are quantized per axis, not per tensor";
    return failure();
  }
  if (!w->perTensor() && (w->axis != weightAxis || (int64_t)w->scales.size() != plan.channels)) {
    why = "the weight is quantized along axis " + std::to_string(w->axis) +
          ", not along its output channels (axis " + std::to_string(weightAxis) + ")";
    return failure();
  }
  if (matmul && weightRank != 2 && !w->perTensor()) {
    why = "a batched weight is quantized per channel";
    return failure();
  }
  if (llvm::any_of(w->scales, [](float s) { return !(s > 0); }) || !(x->scales[0] > 0) ||
      !(y->scales[0] > 0)) {
    why = "a scale is not positive";
    return failure();
  }
  if (!tensorType(g.input.getInput()).getElementType().isInteger(8) ||
      !tensorType(g.weight.getInput()).getElementType().isInteger(8)) {
    why = "an operand is not 8-bit";
    return failure();
  }
  if (g.bias) {
    FailureOr<std::vector<int64_t>> b = integerBias(g.bias, *x, *w, plan.channels, why);
    if (failed(b))
      return failure();
    plan.bias = *b;
  }
  plan.x = *x;
  plan.w = *w;
  plan.y = *y;
  return plan;
}

/// A 2-D 8-bit matrix transposed: at compile time if it is a constant (the
/// packing passes read constant weights).
Value transposed(PatternRewriter &rewriter, Location loc, Value matrix) {
  RankedTensorType type = tensorType(matrix);
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  auto result = RankedTensorType::get({cols, rows}, type.getElementType());
  if (std::optional<std::vector<int64_t>> values = constantIntegers(matrix)) {
    std::vector<int64_t> t(values->size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        t[c * rows + r] = (*values)[r * cols + c];
    return makeIntegerConstant(rewriter, loc, result, t, "transposed_weight");
  }
  return TransposeOp::create(rewriter, loc, result, matrix, rewriter.getDenseI64ArrayAttr({1, 0}));
}

/// A 2-D convolution as one 8-bit matmul: its input's windows as rows.
struct ConvolutionAsMatMul {
  /// The i32 product (N, OH * OW, M).
  Value product;
  /// (N, OH, OW, M).
  SmallVector<int64_t> channelsLastShape;
};

/// conv(x, w) with 8-bit x (N, C, H, W) and constant 8-bit w (M, C, KH, KW),
/// group 1, as matmul_integer(rows, W', zx, zw): x channels last and padded
/// with its zero point (zero once centered), each output pixel's window one
/// row (N, OH * OW, KH * KW * C), and W' (KH * KW * C, M) laid out at compile
/// time. The dot-product kernels then run it (lathe-pack-integer-weights).
/// Windows overlap, so the rows hold each input byte up to KH * KW times; a
/// 1x1 convolution at stride 1 reads the input as it is. Channels last, the
/// transposes between consecutive layers cancel (lathe-sink-transposes).
std::optional<ConvolutionAsMatMul> convolutionAsMatMul(PatternRewriter &rewriter, Location loc,
                                                       ConvOp conv, Value x, Value w,
                                                       const Params &px, const Params &pw) {
  RankedTensorType xType = tensorType(x), wType = tensorType(w);
  RankedTensorType outType = tensorType(conv.getOutput());
  std::optional<std::vector<int64_t>> weights = constantIntegers(w);
  if (conv.getGroup() != 1 || xType.getRank() != 4 || !weights)
    return std::nullopt;
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
  int64_t h = xType.getDimSize(2), wd = xType.getDimSize(3);
  int64_t m = wType.getDimSize(0), kh = wType.getDimSize(2), kw = wType.getDimSize(3);
  int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3), window = kh * kw;
  ArrayRef<int64_t> strides = conv.getStrides(), dilations = conv.getDilations(),
                    pads = conv.getPads();
  Type xElement = xType.getElementType(), wElement = wType.getElementType();

  Value image = TransposeOp::create(rewriter, loc, RankedTensorType::get({n, h, wd, c}, xElement),
                                    x, rewriter.getDenseI64ArrayAttr({0, 2, 3, 1}));
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    h += pads[0] + pads[2];
    wd += pads[1] + pads[3];
    image = PadOp::create(rewriter, loc, RankedTensorType::get({n, h, wd, c}, xElement), image,
                          rewriter.getDenseI64ArrayAttr({0, pads[0], pads[1], 0, 0, pads[2], pads[3], 0}),
                          rewriter.getStringAttr("constant"),
                          rewriter.getF64FloatAttr((double)px.zeroPoints[0]));
  }
  // (N, OH, OW, KH * KW * C): one strided slice of the image per kernel tap,
  // side by side.
  Value windows = image;
  if (window != 1 || strides[0] != 1 || strides[1] != 1) {
    SmallVector<Value> taps;
    auto tapType = RankedTensorType::get({n, oh, ow, c}, xElement);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        int64_t top = i * dilations[0], left = j * dilations[1];
        taps.push_back(SliceOp::create(
            rewriter, loc, tapType, image, rewriter.getDenseI64ArrayAttr({0, top, left, 0}),
            rewriter.getDenseI64ArrayAttr(
                {n, top + (oh - 1) * strides[0] + 1, left + (ow - 1) * strides[1] + 1, c}),
            rewriter.getDenseI64ArrayAttr({1, strides[0], strides[1], 1})));
      }
    windows = taps.size() == 1
                  ? taps.front()
                  : (Value)ConcatOp::create(rewriter, loc,
                                            RankedTensorType::get({n, oh, ow, window * c}, xElement),
                                            taps, rewriter.getI64IntegerAttr(3));
  }
  SmallVector<int64_t> rowsShape{n, oh * ow, window * c};
  Value rows = ReshapeOp::create(rewriter, loc, RankedTensorType::get(rowsShape, xElement), windows,
                                 rewriter.getDenseI64ArrayAttr(rowsShape));

  // W' (KH * KW * C, M): row tap * C + channel, as the rows' columns.
  int64_t depth = c * window;
  std::vector<int64_t> matrix(depth * m);
  for (int64_t filter = 0; filter < m; ++filter)
    for (int64_t channel = 0; channel < c; ++channel)
      for (int64_t tap = 0; tap < window; ++tap)
        matrix[(tap * c + channel) * m + filter] = (*weights)[(filter * c + channel) * window + tap];
  Value weightMatrix = makeIntegerConstant(
      rewriter, loc, RankedTensorType::get({depth, m}, wElement), matrix, "convolution_weight");
  Value zx = zeroPointConstant(rewriter, loc, xElement, px.zeroPoints[0]);
  Value zw = llvm::all_equal(pw.zeroPoints)
                 ? zeroPointConstant(rewriter, loc, wElement, pw.zeroPoints[0])
                 : makeIntegerConstant(rewriter, loc, RankedTensorType::get({m}, wElement),
                                       pw.zeroPoints, "zero_point");
  auto productType = RankedTensorType::get({n, oh * ow, m}, rewriter.getI32Type());
  Value product = MatMulIntegerOp::create(rewriter, loc, productType, rows, weightMatrix, zx, zw);
  return ConvolutionAsMatMul{product, {n, oh, ow, m}};
}

struct QdqGroupAsInteger : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeLinearOp q, PatternRewriter &rewriter) const override {
    std::optional<Group> g = matchGroup(q);
    if (!g)
      return rewriter.notifyMatchFailure(q, "not a quantized matmul or convolution");
    std::string why;
    FailureOr<IntegerPlan> plan = planGroup(*g, why);
    if (failed(plan))
      return rewriter.notifyMatchFailure(q, why);
    const Params &x = plan->x, &w = plan->w, &y = plan->y;
    int64_t channels = plan->channels;
    Location loc = q.getLoc();
    RankedTensorType outType = tensorType(q.getResult());
    auto accType = RankedTensorType::get(outType.getShape(), rewriter.getI32Type());
    Value acc;
    // The accumulator's channel dim, and for a convolution computed as a
    // matmul the (N, OH, OW, M) shape its result comes back from.
    int64_t accChannelAxis = plan->channelAxis;
    SmallVector<int64_t> channelsLastShape;
    if (isa<MatMulOp, GemmOp>(g->product)) {
      Value weight = g->weight.getInput();
      auto gemm = dyn_cast<GemmOp>(g->product);
      if (gemm && gemm.getTransB())
        weight = transposed(rewriter, loc, weight);
      Type xElement = tensorType(g->input.getInput()).getElementType();
      Type wElement = tensorType(g->weight.getInput()).getElementType();
      Value za = zeroPointConstant(rewriter, loc, xElement, x.zeroPoints[0]);
      bool oneZeroPoint = llvm::all_equal(w.zeroPoints);
      Value zb = oneZeroPoint
                     ? zeroPointConstant(rewriter, loc, wElement, w.zeroPoints[0])
                     : makeIntegerConstant(rewriter, loc, RankedTensorType::get({channels}, wElement),
                                           w.zeroPoints, "zero_point");
      acc = MatMulIntegerOp::create(rewriter, loc, accType, g->input.getInput(), weight, za, zb);
      if (plan->bias)
        acc = AddOp::create(rewriter, loc, acc,
                            i32Constant(rewriter, loc, {channels}, *plan->bias, "bias"));
    } else if (std::optional<ConvolutionAsMatMul> asMatMul =
                   convolutionAsMatMul(rewriter, loc, cast<ConvOp>(g->product), g->input.getInput(),
                                       g->weight.getInput(), x, w)) {
      // Channels last from here to the requantized result.
      acc = asMatMul->product;
      accChannelAxis = 2;
      channelsLastShape = asMatMul->channelsLastShape;
      if (plan->bias)
        acc = AddOp::create(rewriter, loc, acc,
                            i32Constant(rewriter, loc, {channels}, *plan->bias, "bias"));
    } else {
      SmallVector<Value> operands{centeredI32(rewriter, loc, g->input.getInput(), x, 1),
                                  centeredI32(rewriter, loc, g->weight.getInput(), w, 0)};
      if (plan->bias)
        operands.push_back(i32Constant(rewriter, loc, {channels}, *plan->bias, "bias"));
      acc = ConvOp::create(rewriter, loc, accType, operands, g->product->getAttrs());
    }
    if (g->relu)
      acc = MaxOp::create(rewriter, loc, acc, i32Constant(rewriter, loc, {}, {0}, "zero"));

    // The multiplier in f32, as ONNX Runtime computes it.
    std::vector<float> multiplier(w.scales.size());
    for (size_t c = 0; c < multiplier.size(); ++c)
      multiplier[c] = x.scales[0] * w.scales[c] / y.scales[0];
    SmallVector<int64_t> multiplierShape;
    if (multiplier.size() != 1)
      multiplierShape.push_back(channels);
    Value m = makeFloatConstant(rewriter, loc,
                                RankedTensorType::get(multiplierShape, rewriter.getF32Type()),
                                multiplier, "requantize_multiplier");
    Value zy = zeroPointConstant(rewriter, loc, outType.getElementType(), y.zeroPoints[0]);
    auto requantizedType = RankedTensorType::get(tensorType(acc).getShape(), outType.getElementType());
    Value result = RequantizeOp::create(rewriter, loc, requantizedType, acc, m, zy,
                                        rewriter.getI64IntegerAttr(accChannelAxis));
    if (!channelsLastShape.empty()) {
      Value image = ReshapeOp::create(rewriter, loc, result,
                                      rewriter.getDenseI64ArrayAttr(channelsLastShape));
      result = TransposeOp::create(rewriter, loc, outType, image,
                                   rewriter.getDenseI64ArrayAttr({0, 3, 1, 2}));
    }
    rewriter.replaceOp(q, result);
    return success();
  }
};

/// Q(constant float weight) read only by DequantizeLinear: fake-quantized
/// weights as PyTorch exports them, quantized once at compile time.
struct QuantizeConstantWeights : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp q, PatternRewriter &rewriter) const override {
    if (q->use_empty() || !llvm::all_of(q->getUsers(), llvm::IsaPred<DequantizeLinearOp>))
      return rewriter.notifyMatchFailure(q, "not read by DequantizeLinear alone");
    std::optional<std::vector<float>> values = constantFloats(q.getInput());
    FailureOr<Params> p = constantParams(q.getScale(), q.getZeroPoint(), q.getAxis());
    if (!values || failed(p))
      return rewriter.notifyMatchFailure(q, "not a constant quantized with constants");
    RankedTensorType type = tensorType(q.getResult());
    Type element = type.getElementType();
    bool isUnsigned = element.isUnsignedInteger();
    double lo = isUnsigned ? 0 : -128, hi = isUnsigned ? 255 : 127;
    int64_t inner = 1, channels = p->perTensor() ? 1 : type.getDimSize(p->axis);
    if (!p->perTensor())
      for (int64_t d = p->axis + 1; d < type.getRank(); ++d)
        inner *= type.getDimSize(d);
    std::vector<int64_t> quantized(values->size());
    for (size_t i = 0; i < values->size(); ++i) {
      size_t c = (i / inner) % channels;
      // QuantizeLinear's x / scale in f32, rounded half to even.
      float scaled = (*values)[i] / p->scale(c);
      double v = std::nearbyint((double)scaled) + (double)p->zeroPoint(c);
      quantized[i] = (int64_t)std::min(hi, std::max(lo, v));
    }
    rewriter.replaceOp(q, makeIntegerConstant(rewriter, q.getLoc(), type, quantized,
                                              "quantized_weight"));
    return success();
  }
};

struct IntegerQdqGroupsPass : lathe::impl::IntegerQdqGroupsBase<IntegerQdqGroupsPass> {
  void runOnOperation() override {
    // Weights first, so that the groups see them as constants.
    RewritePatternSet weights(&getContext()), groups(&getContext());
    weights.add<QuantizeConstantWeights>(&getContext());
    groups.add<QdqGroupAsInteger>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(weights))) ||
        failed(applyPatternsGreedily(getOperation(), std::move(groups))))
      return signalPassFailure();
    // The groups left in float, and why.
    getOperation().walk([](QuantizeLinearOp q) {
      std::optional<Group> g = matchGroup(q);
      std::string why;
      if (g && failed(planGroup(*g, why)))
        q.emitRemark() << "stays in float: " << why;
    });
  }
};

} // namespace
