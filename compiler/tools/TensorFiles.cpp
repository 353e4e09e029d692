//===- TensorFiles.cpp - tensors in .npy and ONNX .pb files ---------------===//
#include "compiler/tools/TensorFiles.h"

#include "dialects/lathe/SizeLimit.h"
#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

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

struct NpyType {
  const char *descr;
  int32_t dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"<f4", LATHE_DTYPE_FLOAT32}, {"<f8", LATHE_DTYPE_FLOAT64}, {"<f2", LATHE_DTYPE_FLOAT16},
    {"|i1", LATHE_DTYPE_INT8},    {"|u1", LATHE_DTYPE_UINT8},   {"<i2", LATHE_DTYPE_INT16},
    {"<u2", LATHE_DTYPE_UINT16},  {"<i4", LATHE_DTYPE_INT32},   {"<u4", LATHE_DTYPE_UINT32},
    {"<i8", LATHE_DTYPE_INT64},   {"<u8", LATHE_DTYPE_UINT64},  {"|b1", LATHE_DTYPE_BOOL},
};

llvm::Error tooLarge(const std::string &path, const std::vector<int64_t> &dims) {
  std::string shape;
  for (int64_t d : dims)
    shape += (shape.empty() ? "" : ",") + std::to_string(d);
  return fail(path, "shape [" + shape + "] is beyond lathe's limit of " +
                        llvm::Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");
}

llvm::Expected<HostTensor> readNpy(const std::string &path, llvm::StringRef data) {
  if (data.size() < 10 || !data.starts_with("\x93NUMPY"))
    return fail(path, "not a .npy file");
  unsigned major = (unsigned char)data[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = (unsigned char)data[8] | ((unsigned char)data[9] << 8);
    headerStart = 10;
  } else {
    if (data.size() < 12)
      return fail(path, "truncated .npy header");
    uint32_t v;
    std::memcpy(&v, data.data() + 8, 4);
    headerLength = v;
    headerStart = 12;
  }
  if (data.size() < headerStart + headerLength)
    return fail(path, "truncated .npy header");
  llvm::StringRef header = data.substr(headerStart, headerLength);
  HostTensor tensor;
  auto field = [&](llvm::StringRef key) {
    size_t at = header.find(key);
    return at == llvm::StringRef::npos ? llvm::StringRef() : header.drop_front(at + key.size());
  };
  llvm::StringRef descr = field("'descr':").ltrim(" '").take_until([](char c) { return c == '\''; });
  for (const NpyType &t : kNpyTypes)
    if (descr == t.descr || (descr.size() == 3 && descr[0] == '=' && descr.drop_front() == llvm::StringRef(t.descr).drop_front()))
      tensor.dtype = t.dtype;
  if (!tensor.dtype)
    return fail(path, "unsupported .npy dtype '" + descr + "'");
  if (field("'fortran_order':").ltrim().starts_with("True"))
    return fail(path, "Fortran-ordered .npy arrays are not supported");
  llvm::StringRef shape = field("'shape':").ltrim(" (").take_until([](char c) { return c == ')'; });
  llvm::SmallVector<llvm::StringRef> parts;
  shape.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part.trim().empty())
      continue;
    if (part.trim().getAsInteger(10, d) || d < 0)
      return fail(path, "bad .npy shape");
    tensor.dims.push_back(d);
  }
  std::optional<uint64_t> size = boundedBytes(tensor.dims, lathe_dtype_size(tensor.dtype));
  if (!size)
    return tooLarge(path, tensor.dims);
  size_t bytes = *size;
  llvm::StringRef body = data.drop_front(headerStart + headerLength);
  if (body.size() != bytes)
    return fail(path, "holds " + llvm::Twine(body.size()) + " data bytes, its shape needs " +
                          llvm::Twine(bytes));
  tensor.bytes.assign(body.begin(), body.end());
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
  const char *descr = nullptr;
  for (const NpyType &t : kNpyTypes)
    if (t.dtype == tensor.dtype)
      descr = t.descr;
  if (!descr)
    return fail(path, "element type " + llvm::Twine(tensor.dtype) + " has no .npy form");
  std::string shape;
  for (int64_t d : tensor.dims)
    shape += std::to_string(d) + ", ";
  if (tensor.dims.size() > 1)
    shape.resize(shape.size() - 1);
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" +
                       shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff) << char(header.size() >> 8)
     << header;
  os.write(tensor.bytes.data(), tensor.bytes.size());
  return llvm::Error::success();
}
