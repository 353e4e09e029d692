//===- TensorConversion.cpp - ONNX tensors and types as MLIR --------------===//
#include "compiler/importer/TensorConversion.h"
#include "dialects/lathe/SizeLimit.h"
#include "compiler/importer/ModelLoader.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace lathe;

namespace {

/// Tensors at least this large become resource blobs that alias the model.
constexpr size_t kResourceThresholdBytes = 1024;

llvm::Error fail(const onnx::TensorProto &tensor, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "tensor '" + tensor.name() + "': " + message);
}

/// An ElementsAttr over `bytes` (little-endian, the element type's own size,
/// bools one byte each). Large data that lives as long as the model is
/// wrapped, not copied (when aligned for its element type).
llvm::Expected<ElementsAttr> fromBytes(const onnx::TensorProto &tensor, RankedTensorType type,
                                       ArrayRef<char> bytes, bool bytesPersist = true) {
  Type element = type.getElementType();
  size_t elementBytes = element.isInteger(1) ? 1 : element.getIntOrFloatBitWidth() / 8;
  size_t expected = (size_t)type.getNumElements() * elementBytes;
  if (bytes.size() != expected)
    return fail(tensor, "holds " + llvm::Twine(bytes.size()) + " bytes, its shape and type need " +
                            llvm::Twine(expected));
  if (element.isInteger(1)) {
    SmallVector<bool> bools;
    for (char c : bytes)
      bools.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, bools));
  }
  bool aligned =
      bytesPersist && reinterpret_cast<uintptr_t>(bytes.data()) % elementBytes == 0;
  if (bytes.size() >= kResourceThresholdBytes) {
    AsmResourceBlob blob =
        aligned ? UnmanagedAsmResourceBlob::allocateWithAlign(bytes, elementBytes)
                : HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, elementBytes);
    std::string name = tensor.name().empty() ? "constant" : tensor.name();
    return cast<ElementsAttr>(DenseResourceElementsAttr::get(type, name, std::move(blob)));
  }
  bool isSplat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, bytes, isSplat))
    return fail(tensor, "raw data does not fit its type");
  return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
}

template <typename From, typename To>
std::vector<char> narrowed(const google::protobuf::RepeatedField<From> &values) {
  std::vector<char> bytes(values.size() * sizeof(To));
  for (int i = 0; i < values.size(); ++i) {
    To v = static_cast<To>(values[i]);
    std::memcpy(bytes.data() + i * sizeof(To), &v, sizeof(To));
  }
  return bytes;
}

template <typename T>
ArrayRef<char> asBytes(const google::protobuf::RepeatedField<T> &values) {
  return ArrayRef<char>(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T));
}

} // namespace

Type lathe::elementTypeFor(int32_t onnxType, MLIRContext *context) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  case onnx::TensorProto::INT8: return b.getIntegerType(8);
  case onnx::TensorProto::INT16: return b.getIntegerType(16);
  case onnx::TensorProto::INT32: return b.getIntegerType(32);
  case onnx::TensorProto::INT64: return b.getIntegerType(64);
  case onnx::TensorProto::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16: return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32: return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64: return b.getIntegerType(64, false);
  default: return {};
  }
}

int32_t lathe::onnxTypeFor(Type elementType) {
  for (int32_t code = onnx::TensorProto::FLOAT; code <= onnx::TensorProto::BFLOAT16; ++code)
    if (elementTypeFor(code, elementType.getContext()) == elementType)
      return code;
  return onnx::TensorProto::UNDEFINED;
}

std::string lathe::onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnxType));
  return "data type " + std::to_string(onnxType);
}

llvm::Expected<ElementsAttr> lathe::convertTensor(const onnx::TensorProto &tensor,
                                                  MLIRContext *context, LoadedModel &model) {
  Type element = elementTypeFor(tensor.data_type(), context);
  if (!element)
    return fail(tensor, "element type " + onnxTypeName(tensor.data_type()) +
                            " is not supported by lathe");
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return fail(tensor, "has an invalid dim " + llvm::Twine(d));
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, element);
  if (!boundedTensorBytes(type))
    return fail(tensor, "of shape " + shapeText(shape) + " is beyond lathe's limit of " +
                            llvm::Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = model.externalData(tensor);
    if (!bytes)
      return bytes.takeError();
    return fromBytes(tensor, type, *bytes);
  }
  if (tensor.has_raw_data())
    return fromBytes(tensor, type, ArrayRef<char>(tensor.raw_data().data(),
                                                  tensor.raw_data().size()));

  // Typed fields: int32_data carries every type of 32 bits or fewer (float16
  // and bfloat16 as their bit patterns), int64_data int64, uint64_data uint32/64.
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT: return fromBytes(tensor, type, asBytes(tensor.float_data()));
  case onnx::TensorProto::DOUBLE: return fromBytes(tensor, type, asBytes(tensor.double_data()));
  case onnx::TensorProto::INT64: return fromBytes(tensor, type, asBytes(tensor.int64_data()));
  case onnx::TensorProto::INT32: return fromBytes(tensor, type, asBytes(tensor.int32_data()));
  case onnx::TensorProto::UINT64: return fromBytes(tensor, type, asBytes(tensor.uint64_data()));
  case onnx::TensorProto::UINT32: {
    std::vector<char> b = narrowed<uint64_t, uint32_t>(tensor.uint64_data());
    return fromBytes(tensor, type, b, /*bytesPersist=*/false);
  }
  case onnx::TensorProto::INT16: {
    std::vector<char> b = narrowed<int32_t, int16_t>(tensor.int32_data());
    return fromBytes(tensor, type, b, /*bytesPersist=*/false);
  }
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    std::vector<char> b = narrowed<int32_t, uint16_t>(tensor.int32_data());
    return fromBytes(tensor, type, b, /*bytesPersist=*/false);
  }
  case onnx::TensorProto::INT8: {
    std::vector<char> b = narrowed<int32_t, int8_t>(tensor.int32_data());
    return fromBytes(tensor, type, b, /*bytesPersist=*/false);
  }
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL: {
    std::vector<char> b = narrowed<int32_t, uint8_t>(tensor.int32_data());
    return fromBytes(tensor, type, b, /*bytesPersist=*/false);
  }
  default:
    return fail(tensor, "element type " + onnxTypeName(tensor.data_type()) +
                            " is not supported by lathe");
  }
}
