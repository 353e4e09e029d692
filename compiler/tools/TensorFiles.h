//===- TensorFiles.h - tensors in .npy and ONNX .pb files -------*- C++ -*-===//
#ifndef LATHE_COMPILER_TOOLS_TENSORFILES_H
#define LATHE_COMPILER_TOOLS_TENSORFILES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct HostTensor {
  int32_t dtype = 0; // ONNX TensorProto code
  std::vector<int64_t> dims;
  std::vector<char> bytes;
};

/// Reads a NumPy .npy file, or an ONNX TensorProto (.pb).
llvm::Expected<HostTensor> readTensorFile(const std::string &path);
/// The same from bytes in memory; `path` names them and its extension says
/// which format they are in.
llvm::Expected<HostTensor> readTensorBytes(llvm::StringRef data, const std::string &path);
/// Writes `tensor` as a NumPy .npy file.
llvm::Error writeNpy(const std::string &path, const HostTensor &tensor);

} // namespace lathe

#endif // LATHE_COMPILER_TOOLS_TENSORFILES_H
