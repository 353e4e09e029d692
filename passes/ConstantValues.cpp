//===- ConstantValues.cpp - reading and making constants in graph passes ---===//
#include "passes/ConstantValues.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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
