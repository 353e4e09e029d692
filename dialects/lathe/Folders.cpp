//===- Folders.cpp - constant folding and trivial simplifications ---------===//
//
// Folders serve the importer (shape computations of a model collapse into
// constants as they are imported) and canonicalization. Constant folding is
// limited to small tensors: it exists for shape arithmetic, and folding a
// weight-sized tensor would only duplicate constant data.
//
//===----------------------------------------------------------------------===//
#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace lathe;

namespace {

constexpr int64_t kFoldLimit = 4096;

/// Small dense constants: the only ones worth folding.
DenseElementsAttr smallDense(Attribute attr) {
  auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kFoldLimit)
    return {};
  return dense;
}

std::vector<Attribute> elementsOf(DenseElementsAttr attr) {
  auto range = attr.getValues<Attribute>();
  return std::vector<Attribute>(range.begin(), range.end());
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// For each element of `dst`, the linear index of the element of `src` that
/// numpy broadcasting maps to it.
std::vector<int64_t> broadcastSourceIndices(ArrayRef<int64_t> src, ArrayRef<int64_t> dst) {
  int64_t count = 1;
  for (int64_t d : dst)
    count *= d;
  SmallVector<int64_t> srcStrides = stridesOf(src);
  size_t offset = dst.size() - src.size();
  std::vector<int64_t> result(count);
  SmallVector<int64_t> index(dst.size(), 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    int64_t s = 0;
    for (size_t d = offset; d < dst.size(); ++d)
      if (src[d - offset] != 1)
        s += index[d] * srcStrides[d - offset];
    result[linear] = s;
    for (int64_t d = (int64_t)dst.size() - 1; d >= 0; --d) {
      if (++index[d] < dst[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

bool isUnsigned(Type t) { return t.isUnsignedInteger(); }

int64_t toInt(Attribute a) {
  auto i = cast<IntegerAttr>(a);
  return isUnsigned(i.getType()) || i.getType().isInteger(1) ? (int64_t)i.getValue().getZExtValue()
                                                              : i.getValue().getSExtValue();
}

double toDouble(Attribute a) { return cast<FloatAttr>(a).getValueAsDouble(); }

Attribute makeScalar(Type elementType, double fv, int64_t iv) {
  if (auto ft = dyn_cast<FloatType>(elementType))
    return FloatAttr::get(ft, fv);
  unsigned width = elementType.getIntOrFloatBitWidth();
  return IntegerAttr::get(elementType, APInt(width, (uint64_t)iv, /*isSigned=*/true,
                                             /*implicitTrunc=*/true));
}

/// Elementwise fold of a broadcasting binary op over small dense constants.
/// `fn` gets both operands as (double, int64) pairs (the int64 is 0 for floats)
/// and sets the result;
/// it returns false when the value is not defined (e.g. integer x / 0).
using ScalarFn =
    std::function<bool(bool isFloat, double, double, int64_t, int64_t, double &, int64_t &)>;

Attribute foldBroadcast(Attribute lhsAttr, Attribute rhsAttr, RankedTensorType resultType,
                        const ScalarFn &fn) {
  DenseElementsAttr lhs = smallDense(lhsAttr), rhs = smallDense(rhsAttr);
  if (!lhs || !rhs || resultType.getNumElements() > kFoldLimit)
    return {};
  Type operandElement = lhs.getElementType();
  bool isFloat = isa<FloatType>(operandElement);
  if (!isFloat && !isa<IntegerType>(operandElement))
    return {};
  std::vector<Attribute> a = elementsOf(lhs), b = elementsOf(rhs);
  std::vector<int64_t> ia = broadcastSourceIndices(lhs.getType().getShape(), resultType.getShape());
  std::vector<int64_t> ib = broadcastSourceIndices(rhs.getType().getShape(), resultType.getShape());
  std::vector<Attribute> out;
  out.reserve(ia.size());
  Type resultElement = resultType.getElementType();
  for (size_t i = 0; i < ia.size(); ++i) {
    Attribute x = a[ia[i]], y = b[ib[i]];
    int64_t ix = isFloat ? 0 : toInt(x);
    double fx = isFloat ? toDouble(x) : (double)ix;
    int64_t iy = isa<FloatAttr>(y) || isFloat ? 0 : toInt(y);
    double fy = isa<FloatAttr>(y) ? toDouble(y) : (double)toInt(y);
    double fr = 0;
    int64_t ir = 0;
    if (!fn(isFloat, fx, fy, ix, iy, fr, ir))
      return {};
    out.push_back(makeScalar(resultElement, fr, ir));
  }
  return DenseElementsAttr::get(resultType, out);
}

/// True when `attr` is a constant whose every element equals `value`.
bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Attribute e = dense.getSplatValue<Attribute>();
  if (auto f = dyn_cast<FloatAttr>(e))
    return f.getValueAsDouble() == value;
  if (auto i = dyn_cast<IntegerAttr>(e))
    return (double)toInt(i) == value;
  return false;
}

/// x op c == x when c is the op's identity and broadcasting adds nothing.
OpFoldResult foldRightIdentity(Value lhs, Attribute rhs, Type resultType, double identity) {
  if (lhs.getType() == resultType && isSplatOf(rhs, identity))
    return lhs;
  return {};
}

// Scalar rules. Integer Div truncates towards zero (ONNX follows C).
bool addFn(bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
  f = a + b, i = (int64_t)((uint64_t)x + (uint64_t)y);
  return true;
}
bool subFn(bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
  f = a - b, i = (int64_t)((uint64_t)x - (uint64_t)y);
  return true;
}
bool mulFn(bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
  f = a * b, i = (int64_t)((uint64_t)x * (uint64_t)y);
  return true;
}
bool divFn(bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
  if (isFloat) {
    f = a / b; // IEEE: x/0 is inf or nan
    return true;
  }
  if (y == 0 || (x == INT64_MIN && y == -1))
    return false; // undefined for integers: left for the runtime
  i = x / y;
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ClipOp::fold(FoldAdaptor) {
  if (!getMin() && !getMax())
    return getInput();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = smallDense(adaptor.getInput());
  if (!input)
    return {};
  Type from = input.getElementType(), to = getType().getElementType();
  if (!from.isIntOrFloat() || !to.isIntOrFloat())
    return {};
  std::vector<Attribute> out;
  for (Attribute e : input.getValues<Attribute>()) {
    double f = isa<FloatAttr>(e) ? toDouble(e) : (double)toInt(e);
    int64_t i = isa<FloatAttr>(e) ? 0 : toInt(e);
    if (isa<FloatAttr>(e) && isa<IntegerType>(to)) {
      // Float to integer truncates; values out of range or NaN are undefined.
      if (!std::isfinite(f) || std::fabs(f) >= 9.2e18)
        return {};
      i = (int64_t)f;
    }
    if (to.isInteger(1))
      i = isa<FloatAttr>(e) ? (f != 0) : (i != 0);
    out.push_back(makeScalar(to, f, i));
  }
  return DenseElementsAttr::get(getType(), out);
}

#define LATHE_FOLD_ARITH(OP, FN, IDENTITY)                                                \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                            \
    if (OpFoldResult identity = foldRightIdentity(getLhs(), adaptor.getRhs(), getType(),  \
                                                  IDENTITY))                              \
      return identity;                                                                    \
    return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(), FN);              \
  }

LATHE_FOLD_ARITH(AddOp, addFn, 0.0)
LATHE_FOLD_ARITH(SubOp, subFn, 0.0)
LATHE_FOLD_ARITH(MulOp, mulFn, 1.0)
LATHE_FOLD_ARITH(DivOp, divFn, 1.0)

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),
                       [](bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
                         f = (a != a || b != b) ? NAN : std::max(a, b), i = std::max(x, y);
                         return true;
                       });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),
                       [](bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
                         f = (a != a || b != b) ? NAN : std::min(a, b), i = std::min(x, y);
                         return true;
                       });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  bool fmod = getFmod();
  return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),
                       [fmod](bool isFloat, double a, double b, int64_t x, int64_t y,
                              double &f, int64_t &i) {
                         if (!isFloat && y == 0)
                           return false;
                         f = std::fmod(a, b);
                         if (y != 0) {
                           i = x % y;
                           // Integer Mod without fmod takes the divisor's sign.
                           if (!fmod && i != 0 && ((i < 0) != (y < 0)))
                             i += y;
                         }
                         return true;
                       });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult identity = foldRightIdentity(getLhs(), adaptor.getRhs(), getType(), 1.0))
    return identity;
  return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),
                       [](bool isFloat, double a, double b, int64_t x, int64_t y, double &f, int64_t &i) {
                         f = std::pow(a, b);
                         i = 1;
                         if (!isFloat && y < 0)
                           return x == 1;
                         for (int64_t k = 0; k < y && k < 64; ++k)
                           i = (int64_t)((uint64_t)i * (uint64_t)x);
                         return true;
                       });
}

OpFoldResult BitShiftOp::fold(FoldAdaptor adaptor) {
  bool left = getLeft();
  return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),
                       [left](bool, double, double, int64_t x, int64_t y, double &, int64_t &i) {
                         if (y < 0 || y >= 64)
                           return false;
                         i = left ? (int64_t)((uint64_t)x << y) : (int64_t)((uint64_t)x >> y);
                         return true;
                       });
}

#define LATHE_FOLD_LOGIC(OP, EXPR)                                                          \
  OpFoldResult OP::fold(FoldAdaptor adaptor) {                                              \
    return foldBroadcast(adaptor.getLhs(), adaptor.getRhs(), getType(),                    \
                         [](bool, double a, double b, int64_t x, int64_t y, double &, int64_t &i) { \
                           i = (EXPR);                                                      \
                           return true;                                                     \
                         });                                                                \
  }

LATHE_FOLD_LOGIC(AndOp, x && y)
LATHE_FOLD_LOGIC(OrOp, x || y)
LATHE_FOLD_LOGIC(XorOp, (x != 0) != (y != 0))
LATHE_FOLD_LOGIC(EqualOp, a == b && x == y)
LATHE_FOLD_LOGIC(LessOp, a < b || (a == b && x < y))
LATHE_FOLD_LOGIC(GreaterOp, a > b || (a == b && x > y))
LATHE_FOLD_LOGIC(LessOrEqualOp, (a < b || (a == b && x <= y)))
LATHE_FOLD_LOGIC(GreaterOrEqualOp, (a > b || (a == b && x >= y)))

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto cond = dyn_cast_if_present<DenseElementsAttr>(adaptor.getCondition());
  if (cond && cond.isSplat()) {
    Value chosen = cond.getSplatValue<bool>() ? getLhs() : getRhs();
    if (chosen.getType() == getType())
      return chosen;
  }
  DenseElementsAttr c = smallDense(adaptor.getCondition()), x = smallDense(adaptor.getLhs()),
                    y = smallDense(adaptor.getRhs());
  RankedTensorType type = getType();
  if (!c || !x || !y || type.getNumElements() > kFoldLimit)
    return {};
  std::vector<Attribute> cv = elementsOf(c), xv = elementsOf(x), yv = elementsOf(y);
  std::vector<int64_t> ic = broadcastSourceIndices(c.getType().getShape(), type.getShape());
  std::vector<int64_t> ix = broadcastSourceIndices(x.getType().getShape(), type.getShape());
  std::vector<int64_t> iy = broadcastSourceIndices(y.getType().getShape(), type.getShape());
  std::vector<Attribute> out;
  for (size_t i = 0; i < ic.size(); ++i)
    out.push_back(toInt(cv[ic[i]]) ? xv[ix[i]] : yv[iy[i]]);
  return DenseElementsAttr::get(type, out);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    // transpose(transpose(x, p), q) == transpose(x, p[q[i]]).
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(producer.getPerm()[q]);
    getInputMutable().assign(producer.getInput());
    setPerm(composed);
    return getResult();
  }
  DenseElementsAttr input = smallDense(adaptor.getInput());
  if (!input)
    return {};
  if (input.isSplat())
    return input.reshape(getType());
  std::vector<Attribute> values = elementsOf(input), out;
  ArrayRef<int64_t> outShape = getType().getShape();
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  SmallVector<int64_t> index(outShape.size(), 0);
  for (int64_t linear = 0, n = getType().getNumElements(); linear < n; ++linear) {
    int64_t src = 0;
    for (size_t d = 0; d < outShape.size(); ++d)
      src += index[d] * inStrides[perm[d]];
    out.push_back(values[src]);
    for (int64_t d = (int64_t)outShape.size() - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  if (getType().getNumElements() > kFoldLimit)
    return {};
  SmallVector<std::vector<Attribute>> parts;
  for (Attribute a : adaptor.getInputs()) {
    auto dense = dyn_cast_if_present<DenseElementsAttr>(a);
    if (!dense)
      return {};
    parts.push_back(elementsOf(dense));
  }
  // Interleave the operands' rows: `outer` blocks, each holding every
  // operand's slab of (dim(axis) * inner) elements in turn.
  int64_t axis = getAxis();
  ArrayRef<int64_t> shape = getType().getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  std::vector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [value, part] : llvm::zip(getInputs(), parts)) {
      int64_t slab = cast<RankedTensorType>(value.getType()).getDimSize(axis) * inner;
      out.insert(out.end(), part.begin() + o * slab, part.begin() + (o + 1) * slab);
    }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  DenseElementsAttr input = smallDense(adaptor.getInput());
  if (!input)
    return {};
  if (input.isSplat())
    return DenseElementsAttr::get(getType(), input.getSplatValue<Attribute>());
  std::vector<Attribute> values = elementsOf(input), out;
  ArrayRef<int64_t> outShape = getType().getShape();
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  SmallVector<int64_t> index(outShape.size(), 0);
  for (int64_t linear = 0, n = getType().getNumElements(); linear < n; ++linear) {
    int64_t src = 0;
    for (size_t d = 0; d < outShape.size(); ++d)
      src += (getStarts()[d] + index[d] * getSteps()[d]) * inStrides[d];
    out.push_back(values[src]);
    for (int64_t d = (int64_t)outShape.size() - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr input = smallDense(adaptor.getInput()),
                    indices = smallDense(adaptor.getIndices());
  if (!input || !indices || getType().getNumElements() > kFoldLimit)
    return {};
  int64_t axis = getAxis();
  ArrayRef<int64_t> shape = input.getType().getShape();
  int64_t outer = 1, inner = 1, extent = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  std::vector<Attribute> values = elementsOf(input), out;
  std::vector<Attribute> index = elementsOf(indices);
  for (int64_t o = 0; o < outer; ++o)
    for (Attribute i : index) {
      int64_t k = toInt(i);
      if (k < 0)
        k += extent;
      if (k < 0 || k >= extent)
        return {}; // out of range: left for the runtime to report
      for (int64_t j = 0; j < inner; ++j)
        out.push_back(values[(o * extent + k) * inner + j]);
    }
  return DenseElementsAttr::get(getType(), out);
}

/// Decoders' causal masks: Trilu of a ConstantOfShape, both folded once the
/// sequence lengths are fixed.
OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr input = smallDense(adaptor.getInput());
  if (!input)
    return {};
  ArrayRef<int64_t> shape = getType().getShape();
  int64_t rows = shape[shape.size() - 2], columns = shape.back(), k = getK();
  bool upper = getUpper();
  Attribute zero = makeScalar(getType().getElementType(), 0.0, 0);
  std::vector<Attribute> values = elementsOf(input);
  for (size_t linear = 0; linear < values.size(); ++linear) {
    int64_t i = (int64_t)(linear / columns) % rows, j = (int64_t)(linear % columns);
    if (upper ? j - i < k : j - i > k)
      values[linear] = zero;
  }
  return DenseElementsAttr::get(getType(), values);
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (dense && dense.isSplat())
    return DenseElementsAttr::get(getType(), dense.getSplatValue<Attribute>());
  dense = smallDense(dense);
  if (!dense || getType().getNumElements() > kFoldLimit)
    return {};
  std::vector<Attribute> values = elementsOf(dense), out;
  for (int64_t i : broadcastSourceIndices(dense.getType().getShape(), getType().getShape()))
    out.push_back(values[i]);
  return DenseElementsAttr::get(getType(), out);
}
