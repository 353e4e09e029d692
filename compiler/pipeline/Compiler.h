//===- Compiler.h - model to artifact ---------------------------*- C++ -*-===//
#ifndef LATHE_COMPILER_PIPELINE_COMPILER_H
#define LATHE_COMPILER_PIPELINE_COMPILER_H

#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/ArtifactWriter.h"
#include "targets/Target.h"

#include <map>

namespace lathe {

class LoadedModel;

struct CompileOptions {
  ImportOptions import;
  std::string target = "cpu";
  TargetOptions targetOptions;
};

struct CompileStats {
  int64_t onnxNodes = 0, kernels = 0, arenaBytes = 0, naiveBytes = 0, arenaLowerBoundBytes = 0,
          constantBytes = 0, codeBytes = 0, partitions = 0;
  /// Floating-point operations (two per multiply-add) of the model's
  /// convolutions (counted as direct ones), transposed convolutions,
  /// matmuls and gemms: what a GFLOP/s figure divides.
  int64_t convMatmulFlops = 0;
  double compileMs = 0;
  /// lathe ops (constants excluded) per target the ops were assigned.
  std::map<std::string, int64_t> opsPerTarget;
  /// What the targets noticed and compiled anyway (e.g. fp16 range).
  std::vector<std::string> warnings;
  /// As JSON, keys as `lathe compile --stats` documents them.
  std::string json() const;
};

/// Imports `model` and compiles it for `options.target` into `artifact`.
/// Failures are emitted as diagnostics.
llvm::LogicalResult compileModel(mlir::MLIRContext &context, LoadedModel &model,
                                 const CompileOptions &options, Artifact &artifact,
                                 CompileStats &stats);

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_COMPILER_H
