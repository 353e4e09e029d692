//===- CompileJob.cpp - what a user asks lathe to compile -----------------===//
#include "compiler/pipeline/CompileJob.h"

#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

namespace lathe {

namespace {

mlir::DialectRegistry importerRegistry() {
  mlir::DialectRegistry registry;
  registerImporterDialects(registry);
  return registry;
}

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

struct CompilerContext::State {
  State() : context(importerRegistry()) {}
  mlir::MLIRContext context;
  std::vector<std::string> errors;
  mlir::DiagnosticEngine::HandlerID handler = 0;
};

CompilerContext::CompilerContext() : state(std::make_unique<State>()) {
  State *s = state.get();
  s->handler = s->context.getDiagEngine().registerHandler([s](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
      return;
    std::string where;
    mlir::Location loc = diag.getLocation();
    if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc)) {
      if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(name.getChildLoc()))
        where = file.getFilename().str() + ": ";
      where += "node '" + name.getName().str() + "': ";
    } else if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(loc)) {
      where = file.getFilename().str() + ": ";
    }
    std::string message = diag.str();
    std::replace(message.begin(), message.end(), '\n', ' ');
    s->errors.push_back(where + message);
  });
}

CompilerContext::~CompilerContext() { state->context.getDiagEngine().eraseHandler(state->handler); }

mlir::MLIRContext &CompilerContext::context() { return state->context; }

llvm::Error CompilerContext::takeErrors(llvm::Error otherwise) {
  if (state->errors.empty())
    return otherwise;
  llvm::consumeError(std::move(otherwise));
  std::string joined = llvm::join(state->errors, "\n");
  state->errors.clear();
  return failure(joined);
}

llvm::Error CompilerContext::takeErrors(const llvm::Twine &otherwise) {
  return takeErrors(failure(otherwise));
}

llvm::Error QuantizationRequest::check() const {
  if (mode.empty()) {
    if (!options.calibrationDir.empty())
      return failure("--calibration needs --quantize static");
    return llvm::Error::success();
  }
  if (mode == "weights-int8" || mode == "dynamic") {
    if (!options.calibrationDir.empty())
      return failure("--calibration is for --quantize static (" + mode + " needs no samples)");
    return llvm::Error::success();
  }
  if (mode != "static")
    return failure("--quantize " + mode +
                   ": lathe quantizes static (calibrated), dynamic and weights-int8 for now");
  if (options.calibrationDir.empty())
    return failure("--calibration DIR is required (the samples to calibrate on)");
  return llvm::Error::success();
}

llvm::Expected<QuantizedModel> quantizeModel(CompilerContext &compiler, LoadedModel &model,
                                             QuantizationRequest request,
                                             const ImportOptions &import,
                                             std::vector<std::string> &warnings) {
  if (auto err = request.check())
    return std::move(err);
  StaticQuantizationOptions &options = request.options;
  options.import = import;
  mlir::MLIRContext &context = compiler.context();
  auto quantized = request.mode == "weights-int8" ? quantizeWeights(context, model, options)
                   : request.mode == "dynamic"    ? quantizeDynamic(context, model, options)
                                                  : quantizeStatic(context, model, options);
  if (!quantized)
    return compiler.takeErrors(quantized.takeError());
  const QuantizationAccuracy &accuracy = quantized->accuracy;
  const QuantizationAccuracy::Tensor *lowest = nullptr;
  size_t below = 0;
  for (const QuantizationAccuracy::Tensor &t : accuracy.layers) {
    below += t.sqnrDb < accuracy.warnBelowDb;
    if (!lowest || t.sqnrDb < lowest->sqnrDb)
      lowest = &t;
  }
  if (below)
    warnings.push_back(llvm::formatv("{0}: {1} of {2} quantized layers below {3:F1} dB SQNR "
                                     "against fp32 (lowest: {4} '{5}', {6:F1} dB); --stats "
                                     "lists each",
                                     model.path(), below, accuracy.layers.size(),
                                     accuracy.warnBelowDb, lowest->op, lowest->node,
                                     lowest->sqnrDb)
                           .str());
  return quantized;
}

llvm::Expected<CompiledArtifact> compileJob(LoadedModel &model, const CompileJob &job) {
  const CompileOptions &options = job.options;
  // Calibration runs at one set of shapes; the other modes do not depend on them.
  if (!options.entries.empty() && job.quantization.mode == "static")
    return failure("--entry and --quantize static: quantize the model first (lathe quantize), "
                   "then compile its entries");
  CompiledArtifact result;
  CompilerContext compiler;
  LoadedModel *compiled = &model;
  std::unique_ptr<LoadedModel> quantizedModel;
  std::optional<QuantizationAccuracy> accuracy;
  if (job.quantization.enabled()) {
    auto qdq = quantizeModel(compiler, model, job.quantization, options.import, result.warnings);
    if (!qdq)
      return qdq.takeError();
    auto quantized = loadModelFromBytes(qdq->qdq, model.path());
    if (!quantized)
      return quantized.takeError();
    quantizedModel = std::move(*quantized);
    compiled = quantizedModel.get();
    accuracy = std::move(qdq->accuracy);
  }
  if (mlir::failed(compileModel(compiler.context(), *compiled, options, result.artifact,
                                result.stats)))
    return compiler.takeErrors(model.path() + ": compilation failed");
  if (accuracy && accuracy->samples) {
    llvm::append_range(result.stats.warnings, accuracy->warnings());
    result.stats.quantization = std::move(accuracy);
  }
  if (options.target != "cpu" && !result.stats.opsPerTarget.count(options.target))
    result.notes.push_back(model.path() + ": no op runs on the " + options.target +
                           "; everything runs on the cpu");
  return result;
}

} // namespace lathe
