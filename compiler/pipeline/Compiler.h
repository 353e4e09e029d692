//===- Compiler.h - model to artifact ---------------------------*- C++ -*-===//
#ifndef LATHE_COMPILER_PIPELINE_COMPILER_H
#define LATHE_COMPILER_PIPELINE_COMPILER_H

#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/ArtifactWriter.h"
#include "compiler/report/CompileReport.h"
#include "targets/Target.h"

#include <functional>
#include <map>
#include <optional>

namespace llvm::json {
class OStream;
}

namespace lathe {

class LoadedModel;

struct CompileOptions {
  ImportOptions import;
  /// Entries of the artifact (`--entry NAME:INPUT=D0,D1,...`), each the
  /// model specialized to its input shapes; none: one entry, "main", with
  /// `import`'s shapes.
  struct Entry {
    std::string name;
    ImportOptions import;
  };
  std::vector<Entry> entries;
  std::string target = "cpu";
  TargetOptions targetOptions;
  /// The partitions' entry symbols: PREFIX0, PREFIX1, ... (a C library's
  /// name its own, so that two models link into one program).
  std::string entryPrefix = "lathe_step";
  /// Keeps the cpu partitions' relocatable objects (Artifact::cpuObjects),
  /// for a C library.
  bool keepCpuObjects = false;
  /// Filled with what the compile did, for lathe compile --report.
  CompileReport *report = nullptr;
  /// Called as each partition is compiled ("compiling entry 'main'", done,
  /// total): a long compile's progress line.
  std::function<void(llvm::StringRef, size_t, size_t)> progress;
};

/// How far a quantized model computes from the fp32 one, over the
/// calibration samples: per quantized layer the SQNR of its (dequantized)
/// output against the fp32 model's, the error of every layer before it
/// included, and per model output its SQNR and how often its argmax over
/// the last axis agrees.
struct QuantizationAccuracy {
  struct Tensor {
    /// The ONNX node (for outputs, the output's name) and the tensor.
    std::string node, op, tensor;
    /// 10 log10(sum x^2 / sum (x - q)^2); +inf when identical.
    double sqnrDb = 0;
    /// Outputs: the share of positions whose argmax agrees (-1: one class).
    double argmaxAgreement = -1;
  };
  std::vector<Tensor> layers, outputs;
  size_t samples = 0;
  /// Layers below it are warned about.
  double warnBelowDb = 0;
  /// As the "quantization" object of `--stats`.
  void write(llvm::json::OStream &json) const;
  /// One line per layer below `warnBelowDb`.
  std::vector<std::string> warnings() const;
};

struct CompileStats {
  int64_t onnxNodes = 0, kernels = 0, arenaBytes = 0, naiveBytes = 0, arenaLowerBoundBytes = 0,
          constantBytes = 0, codeBytes = 0, partitions = 0;
  /// Floating-point operations (two per multiply-add) of the model's
  /// convolutions (counted as direct ones), transposed convolutions,
  /// matmuls and gemms: what a GFLOP/s figure divides.
  int64_t convMatmulFlops = 0;
  /// Per entry with its key/value caches in the session: the bytes a run
  /// writes into them (its new positions' keys and values, no more).
  std::map<std::string, int64_t> cacheWriteBytes;
  double compileMs = 0;
  /// lathe ops (constants excluded) per target the ops were assigned.
  std::map<std::string, int64_t> opsPerTarget;
  /// What the targets noticed and compiled anyway (e.g. fp16 range).
  std::vector<std::string> warnings;
  /// Set when the compile quantized the model.
  std::optional<QuantizationAccuracy> quantization;
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
