//===- TensorFiles.cpp - tensors in .npy and ONNX .pb files ---------------===//
#include "compiler/tools/TensorFiles.h"

#include "dialects/lathe/SizeLimit.h"
#include "lathe/artifact_format.h"
#include "lathe/lathe.h"
#include "npy_files.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <optional>

using namespace lathe;

namespace {

llvm::Error fail(const std::string &path, const llvm::Twine &message) {
  // One line, whatever bytes of the file the message quotes.
  std::string text = (path + ": " + message).str();
  for (char &c : text)
    if ((unsigned char)c < 0x20 || c == 0x7f)
      c = '?';
  return llvm::createStringError(llvm::inconvertibleErrorCode(), text);
}

llvm::Error tooLarge(const std::string &path, const std::vector<int64_t> &dims) {
  std::string shape;
  for (int64_t d : dims)
    shape += (shape.empty() ? "" : ",") + std::to_string(d);
  return fail(path, "shape [" + shape + "] is beyond lathe's limit of " +
                        llvm::Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");
}

llvm::Expected<HostTensor> readNpy(const std::string &path, llvm::StringRef data) {
  lathe_npy_array array;
  lathe_status status;
  if (lathe_npy_parse(data.data(), data.size(), &array, &status) != LATHE_OK)
    return fail(path, status.message);
  HostTensor tensor;
  tensor.dtype = array.dtype;
  tensor.dims.assign(array.dims, array.dims + array.rank);
  const char *bytes = static_cast<const char *>(array.data);
  tensor.bytes.assign(bytes, bytes + array.bytes);
  return tensor;
}

llvm::Expected<HostTensor> readPb(const std::string &path, llvm::StringRef data) {
  onnx::TensorProto proto;
  if (data.size() > INT32_MAX || !proto.ParseFromArray(data.data(), (int)data.size()))
    return fail(path, "not an ONNX TensorProto");
  HostTensor tensor;
  tensor.dtype = proto.data_type();
  size_t elementSize = lathe_dtype_size(tensor.dtype);
  if (!elementSize)
    return fail(path, "unsupported element type " + llvm::Twine(tensor.dtype));
  tensor.dims.assign(proto.dims().begin(), proto.dims().end());
  std::optional<uint64_t> size = boundedBytes(tensor.dims, elementSize);
  if (!size)
    return tooLarge(path, tensor.dims);
  size_t bytes = *size, count = bytes / elementSize;
  auto copyNarrowed = [&](const auto &values) -> llvm::Error {
    if ((size_t)values.size() != count)
      return fail(path, "holds " + llvm::Twine(values.size()) + " values, its shape needs " +
                            llvm::Twine(count));
    tensor.bytes.resize(bytes);
    for (size_t i = 0; i < count; ++i) {
      auto v = values[i];
      switch (elementSize) {
      case 1: { uint8_t x = (uint8_t)v; std::memcpy(&tensor.bytes[i], &x, 1); break; }
      case 2: { uint16_t x = (uint16_t)v; std::memcpy(&tensor.bytes[i * 2], &x, 2); break; }
      case 4: { auto x = v; static_assert(sizeof(x) >= 4); std::memcpy(&tensor.bytes[i * 4], &x, 4); break; }
      default: { auto x = v; std::memcpy(&tensor.bytes[i * 8], &x, 8); break; }
      }
    }
    return llvm::Error::success();
  };
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return fail(path, "raw data does not match its shape");
    tensor.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else if (tensor.dtype == LATHE_DTYPE_FLOAT32) {
    if (auto e = copyNarrowed(proto.float_data())) return std::move(e);
  } else if (tensor.dtype == LATHE_DTYPE_FLOAT64) {
    if (auto e = copyNarrowed(proto.double_data())) return std::move(e);
  } else if (tensor.dtype == LATHE_DTYPE_INT64) {
    if (auto e = copyNarrowed(proto.int64_data())) return std::move(e);
  } else if (tensor.dtype == LATHE_DTYPE_UINT64 || tensor.dtype == LATHE_DTYPE_UINT32) {
    if (auto e = copyNarrowed(proto.uint64_data())) return std::move(e);
  } else {
    if (auto e = copyNarrowed(proto.int32_data())) return std::move(e);
  }
  return tensor;
}

} // namespace

llvm::Expected<HostTensor> lathe::readTensorFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path, "cannot read the file: " + buffer.getError().message());
  return readTensorBytes((*buffer)->getBuffer(), path);
}

llvm::Expected<HostTensor> lathe::readTensorBytes(llvm::StringRef data, const std::string &path) {
  if (llvm::StringRef(path).ends_with(".npy"))
    return readNpy(path, data);
  if (llvm::StringRef(path).ends_with(".pb"))
    return readPb(path, data);
  return fail(path, "expected a .npy or an ONNX TensorProto .pb file");
}

llvm::Error lathe::writeNpy(const std::string &path, const HostTensor &tensor) {
  lathe_status status;
  if (lathe_npy_write(path.c_str(), tensor.dtype, tensor.dims.data(), tensor.dims.size(),
                      tensor.bytes.data(), tensor.bytes.size(), &status) != LATHE_OK)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), status.message);
  return llvm::Error::success();
}
