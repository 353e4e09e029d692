//===- OnnxImporter.h - ONNX model to lathe dialect -------------*- C++ -*-===//
#ifndef LATHE_COMPILER_IMPORTER_ONNXIMPORTER_H
#define LATHE_COMPILER_IMPORTER_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace lathe {

class LoadedModel;

struct ImportOptions {
  /// Shapes given on the command line (`--input-shape NAME=D0,D1,...`); they
  /// fill the model's unknown dims and must agree with its static ones.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// When set, receives the type of every tensor the graph names (inputs,
  /// initializers, node outputs) as imported: what calibration declares
  /// the tensors it observes with.
  llvm::StringMap<mlir::RankedTensorType> *tensorTypes = nullptr;
  /// `lathe compile --kv-cache N`: the model's past/present key/value pairs
  /// (an input concatenated in front of new keys or values into an output)
  /// become caches of N positions the session keeps and the graph writes in
  /// place; the entry's arguments end with the caches, then the position.
  int64_t kvCacheCapacity = 0;
  /// With kvCacheCapacity: receives what the runtime needs of the caches.
  struct CacheLayout {
    unsigned stateInputs = 0; // the caches and the position
    int64_t advance = 0;      // positions a run writes
    int64_t capacity = 0;
  };
  CacheLayout *cacheLayout = nullptr;
};

/// Parses one `NAME=D0,D1,...` specification into `options`.
llvm::Error parseInputShape(llvm::StringRef spec, ImportOptions &options);

/// Dialects an imported module uses.
void registerImporterDialects(mlir::DialectRegistry &registry);

/// Imports `model` as a module holding `func.func @main`. Large constants
/// point into `model`'s memory, which must outlive the module. On failure,
/// the cause is emitted as an error diagnostic and the result is null.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context, LoadedModel &model,
                                              const ImportOptions &options);

/// The ONNX op types the importer converts, sorted (other domains' ops
/// qualified: com.microsoft.QLinearAdd).
std::vector<std::string> supportedOnnxOps();

} // namespace lathe

#endif // LATHE_COMPILER_IMPORTER_ONNXIMPORTER_H
