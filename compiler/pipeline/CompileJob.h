//===- CompileJob.h - what a user asks lathe to compile ---------*- C++ -*-===//
//
// One compile as the driver and the Python package ask for it: the model,
// quantized first if asked, compiled into an artifact, with its numbers and
// what it warns of. Errors are the one-line texts the driver prints after
// "lathe: error: " (and Python raises): the MLIR diagnostics of the compile,
// each naming the file or node it concerns.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_PIPELINE_COMPILEJOB_H
#define LATHE_COMPILER_PIPELINE_COMPILEJOB_H

#include "compiler/pipeline/Compiler.h"
#include "compiler/quantization/StaticQuantization.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
}

namespace lathe {

class LoadedModel;

/// An MLIR context for importing and compiling (the importer's dialects)
/// whose error diagnostics become one-line texts: "FILE: node 'N': what".
class CompilerContext {
public:
  CompilerContext();
  ~CompilerContext();
  mlir::MLIRContext &context();
  /// The error lines so far (cleared), as one error joined by newlines; if
  /// there were none, `otherwise`'s.
  llvm::Error takeErrors(llvm::Error otherwise);
  llvm::Error takeErrors(const llvm::Twine &otherwise);

private:
  struct State;
  std::unique_ptr<State> state;
};

/// --quantize and its calibration options.
struct QuantizationRequest {
  /// "static", "dynamic", "weights-int8"; empty: none.
  std::string mode;
  StaticQuantizationOptions options;
  bool enabled() const { return !mode.empty(); }
  /// What is wrong with the request (a mode without the samples it needs,
  /// samples it does not use), if anything.
  llvm::Error check() const;
};

struct CompileJob {
  CompileOptions options;
  QuantizationRequest quantization;
};

/// A compile's result: the artifact, its numbers and what it noticed.
struct CompiledArtifact {
  Artifact artifact;
  CompileStats stats;
  /// Lines for "lathe: warning: " (quantized layers of low SQNR).
  std::vector<std::string> warnings;
  /// Lines for "lathe: note: " (no op ran on the target asked for).
  std::vector<std::string> notes;
};

/// The QDQ model `request` asks for, `warnings` receiving a line if layers
/// fall below its SQNR threshold.
llvm::Expected<QuantizedModel> quantizeModel(CompilerContext &compiler, LoadedModel &model,
                                             QuantizationRequest request,
                                             const ImportOptions &import,
                                             std::vector<std::string> &warnings);

/// Quantizes `model` if the job asks, then compiles it.
llvm::Expected<CompiledArtifact> compileJob(LoadedModel &model, const CompileJob &job);

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_COMPILEJOB_H
