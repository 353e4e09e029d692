//===- ConstantValues.cpp - reading and making constants in graph passes ---===//
#include "passes/ConstantValues.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

std::optional<std::vector<float>> lathe::constantFloats(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    auto range = dense.getValues<float>();
    return std::vector<float>(range.begin(), range.end());
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != (size_t)type.getNumElements() * 4)
      return std::nullopt;
    ArrayRef<float> data = blob->getDataAs<float>();
    return std::vector<float>(data.begin(), data.end());
  }
  return std::nullopt;
}

Value lathe::makeFloatConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                               ArrayRef<float> values, StringRef name) {
  ElementsAttr attr;
  if (values.size() * sizeof(float) >= 1024)
    attr = DenseResourceElementsAttr::get(type, name,
                                          HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  else
    attr = DenseElementsAttr::get(type, values);
  return ConstantOp::create(builder, loc, type, attr);
}

std::optional<std::vector<int64_t>> lathe::constantIntegers(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  auto element = type ? dyn_cast<IntegerType>(type.getElementType()) : nullptr;
  if (!element || element.getWidth() > 64)
    return std::nullopt;
  bool isUnsigned = element.isUnsigned() || element.getWidth() == 1;
  auto widen = [&](const APInt &v) {
    return isUnsigned ? (int64_t)v.getZExtValue() : v.getSExtValue();
  };
  std::vector<int64_t> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(widen(v));
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
  unsigned bytes = (element.getWidth() + 7) / 8;
  if (!blob || element.getWidth() % 8 || blob->getData().size() != static_cast<size_t>(type.getNumElements()) * bytes)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, data.data() + i * bytes, bytes);  // little-endian host and blob
    values.push_back(widen(APInt(element.getWidth(), raw)));
  }
  return values;
}

Value lathe::makeIntegerConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                                 ArrayRef<int64_t> values, StringRef name) {
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  unsigned bytes = (width + 7) / 8;
  ElementsAttr attr;
  if (values.size() * bytes >= 1024 && width % 8 == 0) {
    std::vector<char> data(values.size() * bytes);
    for (size_t i = 0; i < values.size(); ++i)
      std::memcpy(data.data() + i * bytes, &values[i], bytes);  // low bytes: little-endian
    attr = DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignof(int64_t)));
  } else {
    SmallVector<APInt> ints;
    for (int64_t v : values)
      ints.push_back(APInt(width, (uint64_t)v, /*isSigned=*/false, /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, ints);
  }
  return ConstantOp::create(builder, loc, type, attr);
}

std::vector<float> lathe::transposeValues(ArrayRef<float> values, ArrayRef<int64_t> shape,
                                          ArrayRef<int64_t> perm) {
  size_t rank = shape.size();
  SmallVector<int64_t> inStrides(rank, 1), outShape;
  for (int64_t d = (int64_t)rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  for (int64_t p : perm)
    outShape.push_back(shape[p]);
  std::vector<float> out(values.size());
  SmallVector<int64_t> index(rank, 0);
  for (size_t linear = 0; linear < out.size(); ++linear) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    out[linear] = values[src];
    for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}
