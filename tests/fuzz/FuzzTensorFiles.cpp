//===- FuzzTensorFiles.cpp - .npy and .pb bytes -> the tensor readers -----===//
//
// The first byte picks the format; the rest is the file. A tensor that is
// read has bytes that agree with its dtype and shape.
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/TensorFiles.h"

#include "lathe/lathe.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  std::string name = data[0] & 1 ? "input.pb" : "input.npy";
  llvm::StringRef bytes(reinterpret_cast<const char *>(data + 1), size - 1);
  auto tensor = lathe::readTensorBytes(bytes, name);
  if (!tensor) {
    std::string message = llvm::toString(tensor.takeError());
    if (message.find('\n') != std::string::npos)
      std::abort();
    return 0;
  }
  uint64_t elements = 1;
  for (int64_t d : tensor->dims)
    elements *= d;
  if (elements * lathe_dtype_size(tensor->dtype) != tensor->bytes.size())
    std::abort();
  return 0;
}
