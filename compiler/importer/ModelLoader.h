//===- ModelLoader.h - reading ONNX models from disk ------------*- C++ -*-===//
//
// Reads a model as binary protobuf (.onnx) or ONNX text syntax (.onnxtext),
// checks it, and keeps everything that imported constants point into (the
// ModelProto and the mapped external-data files) alive for as long as the
// imported module is used.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_IMPORTER_MODELLOADER_H
#define LATHE_COMPILER_IMPORTER_MODELLOADER_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace onnx {
class ModelProto;
class TensorProto;
} // namespace onnx

namespace lathe {

/// The newest ai.onnx opset lathe imports (the newest ONNX 1.12 knows).
constexpr int64_t kMaxOnnxOpset = 17;
/// The oldest ai.onnx opset lathe imports.
constexpr int64_t kMinOnnxOpset = 1;

class LoadedModel {
public:
  ~LoadedModel();
  const onnx::ModelProto &proto() const { return *model; }
  const std::string &path() const { return modelPath; }
  /// The ai.onnx opset the model imports, or -1 when it imports none.
  int64_t opset() const { return defaultOpset; }

  /// Runs ONNX's checker over the graph (node schemas, attribute types,
  /// topological order). Call after the unsupported-op scan: the checker
  /// also rejects ops it does not know, and those deserve the op list. The
  /// message does not repeat the model's path.
  llvm::Error check() const;

  /// The bytes of a tensor stored in an external file (mapped, not copied);
  /// an error names the tensor and what is wrong with its location.
  llvm::Expected<llvm::ArrayRef<char>> externalData(const onnx::TensorProto &tensor);

private:
  friend llvm::Expected<std::unique_ptr<LoadedModel>> loadModel(llvm::StringRef path);
  friend llvm::Expected<std::unique_ptr<LoadedModel>> loadModelFromBytes(llvm::StringRef bytes,
                                                                         llvm::StringRef path);
  friend llvm::Expected<std::unique_ptr<LoadedModel>>
  loadModelFromText(llvm::StringRef text, llvm::StringRef name);
  static llvm::Expected<std::unique_ptr<LoadedModel>>
  finish(std::unique_ptr<onnx::ModelProto> model, llvm::StringRef path);

  std::unique_ptr<onnx::ModelProto> model;
  std::string modelPath;
  int64_t defaultOpset = 0;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
};

/// Loads `path`: ONNX text syntax when it ends in .onnxtext, else a binary
/// ModelProto. The error is one line saying what is wrong with the file.
llvm::Expected<std::unique_ptr<LoadedModel>> loadModel(llvm::StringRef path);

/// Parses a binary ModelProto; `path` names it in messages and is where its
/// external data is looked up.
llvm::Expected<std::unique_ptr<LoadedModel>> loadModelFromBytes(llvm::StringRef bytes,
                                                                llvm::StringRef path);

/// Parses a model written in ONNX text syntax; `name` stands for its path in
/// messages.
llvm::Expected<std::unique_ptr<LoadedModel>> loadModelFromText(llvm::StringRef text,
                                                               llvm::StringRef name);

} // namespace lathe

#endif // LATHE_COMPILER_IMPORTER_MODELLOADER_H
