//===- PackIntegerWeights.cpp - 8-bit weights for dot-product instructions ===//
//
// matmul_integer(a, B, za, zb) with B constant becomes the raw product
// lathe.matmul_integer_packed(a, P) with B laid out as the dot-product
// instruction reads it, and the zero points' terms subtracted after it:
//   sum_k (a - za)(b - zb) = raw - zb[n] * rowsum(a)[m] - za[m] * colterm[n]
// with colterm[n] = sum_k B[k, n] - K * zb[n] known at compile time. With
// constant scalar za the last term is one constant row; zb = 0 (symmetric
// weights, the usual case) drops the row sums.
//
//===----------------------------------------------------------------------===//
#include "passes/ConstantValues.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_PACKINTEGERWEIGHTS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

namespace {

/// B (K, N) row-major in panels: element (k, n) at
/// [n / tile, k / depth, n % tile, k % depth], zero past K and N.
std::vector<int64_t> packPanels(ArrayRef<int64_t> b, int64_t k, int64_t n, int64_t tile,
                                int64_t depth) {
  int64_t panels = (n + tile - 1) / tile, steps = (k + depth - 1) / depth;
  std::vector<int64_t> packed(panels * steps * tile * depth, 0);
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      packed[(((col / tile) * steps + row / depth) * tile + col % tile) * depth + row % depth] =
          b[row * n + col];
  return packed;
}

/// zb as one value per column of an N-column matrix, if it is constant.
std::optional<std::vector<int64_t>> columnZeroPoints(Value zeroPoint, int64_t n) {
  std::optional<std::vector<int64_t>> values = constantIntegers(zeroPoint);
  if (!values || (values->size() != 1 && (int64_t)values->size() != n))
    return std::nullopt;
  if (values->size() == 1)
    values->assign(n, values->front());
  return values;
}

RankedTensorType i32Tensor(MLIRContext *context, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, IntegerType::get(context, 32));
}

Value castToI32(PatternRewriter &rewriter, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  Type i32 = rewriter.getI32Type();
  return CastOp::create(rewriter, loc, i32Tensor(rewriter.getContext(), type.getShape()), v,
                        TypeAttr::get(i32));
}

/// `a` with its sign bit flipped: unsigned bytes a + 128 from signed ones,
/// signed bytes a - 128 from unsigned ones.
Value flippedSign(PatternRewriter &rewriter, Location loc, Value a) {
  auto type = cast<RankedTensorType>(a.getType());
  bool toUnsigned = !type.getElementType().isUnsignedInteger();
  Type byte = toUnsigned ? rewriter.getIntegerType(8, /*isSigned=*/false) : rewriter.getI8Type();
  Value wide = castToI32(rewriter, loc, a);
  Value offset = makeIntegerConstant(rewriter, loc, i32Tensor(rewriter.getContext(), {}),
                                     {toUnsigned ? 128 : -128}, "sign_offset");
  Value shifted = AddOp::create(rewriter, loc, wide, offset);
  return CastOp::create(rewriter, loc, RankedTensorType::get(type.getShape(), byte), shifted,
                        TypeAttr::get(byte));
}

struct PackMatMulInteger : OpRewritePattern<MatMulIntegerOp> {
  PackMatMulInteger(MLIRContext *context, int64_t tile, int64_t depth, bool unsignedLhs,
                    bool signedLhs)
      : OpRewritePattern(context), tile(tile), depth(depth), unsignedLhs(unsignedLhs),
        signedLhs(signedLhs) {}

  LogicalResult matchAndRewrite(MatMulIntegerOp op, PatternRewriter &rewriter) const override {
    auto at = cast<RankedTensorType>(op.getLhs().getType());
    auto bt = cast<RankedTensorType>(op.getRhs().getType());
    if (at.getRank() < 2 || bt.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "not a (batch..., M, K) x (K, N) product");
    int64_t k = bt.getDimSize(0), n = bt.getDimSize(1);
    if (2 * n < tile)
      return rewriter.notifyMatchFailure(op, "too few columns for a panel");
    std::optional<std::vector<int64_t>> b = constantIntegers(op.getRhs());
    std::optional<std::vector<int64_t>> zb = columnZeroPoints(op.getRhsZeroPoint(), n);
    if (!b || !zb)
      return rewriter.notifyMatchFailure(op, "runtime weights or weight zero points");
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value lhs = op.getLhs();
    Type weightElement = bt.getElementType();
    // The instructions' forms: signed weights (b - 128 less zb - 128 is
    // b - zb); a unsigned for x86 (a + 128 less za + 128 is a - za), signed
    // for AArch64 (a - 128 less za - 128).
    int64_t lhsShift = 0;
    if (unsignedLhs || signedLhs) {
      if (weightElement.isUnsignedInteger()) {
        for (int64_t &v : *b)
          v -= 128;
        for (int64_t &v : *zb)
          v -= 128;
        weightElement = rewriter.getI8Type();
      }
      if (at.getElementType().isUnsignedInteger() != unsignedLhs) {
        lhs = flippedSign(rewriter, loc, lhs);
        lhsShift = unsignedLhs ? 128 : -128;
      }
    }

    int64_t panels = (n + tile - 1) / tile, steps = (k + depth - 1) / depth;
    auto packedType = RankedTensorType::get({panels, steps, tile, depth}, weightElement);
    Value packed = makeIntegerConstant(rewriter, loc, packedType,
                                       packPanels(*b, k, n, tile, depth), "packed_weight");
    Value result = MatMulIntegerPackedOp::create(rewriter, loc, op.getType(), lhs, packed,
                                                 rewriter.getI64IntegerAttr(n));

    // - za[m] * colterm[n]
    std::vector<int64_t> colterm(n);
    for (int64_t col = 0; col < n; ++col) {
      int64_t sum = 0;
      for (int64_t row = 0; row < k; ++row)
        sum += (*b)[row * n + col];
      colterm[col] = sum - k * (*zb)[col];
    }
    std::optional<std::vector<int64_t>> za = constantIntegers(op.getLhsZeroPoint());
    if (za)
      for (int64_t &v : *za)
        v += lhsShift;
    bool zaIsZero = za && llvm::all_of(*za, [](int64_t v) { return v == 0; });
    bool coltermIsZero = llvm::all_of(colterm, [](int64_t v) { return v == 0; });
    if (!zaIsZero && !coltermIsZero) {
      Value term;
      if (za && za->size() == 1) {
        std::vector<int64_t> scaled(colterm);
        for (int64_t &v : scaled)
          v *= za->front();
        term = makeIntegerConstant(rewriter, loc, i32Tensor(context, {n}), scaled,
                                   "zero_point_term");
      } else {
        // Per row or at run time: za as a column (M or 1, 1) times the row.
        auto zaType = cast<RankedTensorType>(op.getLhsZeroPoint().getType());
        int64_t zaRows = zaType.getRank() == 0 ? 1 : zaType.getDimSize(0);
        Value wideZa = castToI32(rewriter, loc, op.getLhsZeroPoint());
        if (lhsShift)
          wideZa = AddOp::create(rewriter, loc, wideZa,
                                 makeIntegerConstant(rewriter, loc, i32Tensor(context, {}),
                                                     {lhsShift}, "sign_offset"));
        Value column = ReshapeOp::create(rewriter, loc, wideZa,
                                         rewriter.getDenseI64ArrayAttr({zaRows, 1}));
        Value row = makeIntegerConstant(rewriter, loc, i32Tensor(context, {n}), colterm,
                                        "zero_point_term");
        term = MulOp::create(rewriter, loc, column, row);
      }
      result = SubOp::create(rewriter, loc, result, term);
    }

    // - zb[n] * rowsum(a)[m]
    if (llvm::any_of(*zb, [](int64_t v) { return v != 0; })) {
      Value rowSums = ReduceSumOp::create(rewriter, loc, castToI32(rewriter, loc, lhs),
                                          rewriter.getDenseI64ArrayAttr({at.getRank() - 1}),
                                          rewriter.getBoolAttr(true));
      Value zbRow = makeIntegerConstant(rewriter, loc, i32Tensor(context, {n}), *zb,
                                        "weight_zero_point");
      result = SubOp::create(rewriter, loc, result, MulOp::create(rewriter, loc, rowSums, zbRow));
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  int64_t tile, depth;
  bool unsignedLhs, signedLhs;
};

struct PackIntegerWeightsPass : lathe::impl::PackIntegerWeightsBase<PackIntegerWeightsPass> {
  using PackIntegerWeightsBase::PackIntegerWeightsBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (unsignedLhs && signedLhs) {
      getOperation().emitError("lathe-pack-integer-weights: unsigned-lhs and signed-lhs exclude "
                               "each other");
      return signalPassFailure();
    }
    patterns.add<PackMatMulInteger>(&getContext(), tileColumns, depth, unsignedLhs, signedLhs);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
