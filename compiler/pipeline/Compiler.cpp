//===- Compiler.cpp - model to artifact -----------------------------------===//
#include "compiler/pipeline/Compiler.h"
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/TensorConversion.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"
#include "llvm/ADT/StringExtras.h"

#include <mutex>
#include "llvm/Support/FormatVariadic.h"

#include "onnx/onnx_pb.h"

#include <chrono>

using namespace mlir;
using namespace lathe;

std::string CompileStats::json() const {
  std::string perTarget;
  for (const auto &[target, count] : opsPerTarget)
    perTarget += llvm::formatv("{0}\"{1}\": {2}", perTarget.empty() ? "" : ", ", target, count);
  return llvm::formatv("{{\n  \"onnx_nodes\": {0},\n  \"kernels\": {1},\n  \"arena_bytes\": {2},\n"
                       "  \"naive_bytes\": {3},\n  \"arena_lower_bound_bytes\": {4},\n"
                       "  \"constant_bytes\": {5},\n  \"code_bytes\": {6},\n"
                       "  \"compile_ms\": {7:F1},\n  \"ops_per_target\": {{{8}}\n}\n",
                       onnxNodes, kernels, arenaBytes, naiveBytes, arenaLowerBoundBytes,
                       constantBytes, codeBytes, compileMs, perTarget)
      .str();
}

namespace {

/// Target-independent graph passes, in order; `--disable-pass NAME` leaves
/// one out.
constexpr const char *kGraphPasses[] = {"lathe-fold-batch-norm", "lathe-recognize-norms",
                                        "lathe-recognize-activations", "lathe-recognize-attention",
                                        "canonicalize"};

LogicalResult runGraphPasses(ModuleOp module, const TargetOptions &options,
                             const Target &target) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerTransformsPasses();
    registerLathePasses();
  });
  std::vector<std::string> optional(std::begin(kGraphPasses), std::end(kGraphPasses));
  for (const std::string &pass : target.optionalPasses())
    optional.push_back(pass);
  std::string pipeline;
  for (const std::string &disabled : options.disabledPasses)
    if (!llvm::is_contained(optional, disabled))
      return emitError(module.getLoc())
             << "--disable-pass " << disabled << ": not a pass that can be disabled (those are: "
             << llvm::join(optional, ", ") << ")";
  for (const char *pass : kGraphPasses)
    if (!llvm::is_contained(options.disabledPasses, pass))
      pipeline += (pipeline.empty() ? "" : ",") + std::string(pass);
  if (pipeline.empty())
    return success();
  PassManager pm(module.getContext());
  if (options.printIrAfterAll) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting(nullptr, [](Pass *, Operation *) { return true; }, true, false);
  }
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline("func.func(" + pipeline + ")", pm, errorStream)))
    return emitError(module.getLoc()) << "graph pipeline does not parse: " << error;
  return pm.run(module);
}

FailureOr<TensorSignature> signatureOf(Location loc, Type type, Attribute name) {
  auto tensor = cast<RankedTensorType>(type);
  int32_t dtype = onnxTypeFor(tensor.getElementType());
  if (!dtype)
    return emitError(loc) << "a graph input or output has element type "
                          << tensor.getElementType() << ", which artifacts cannot carry";
  auto nameAttr = dyn_cast_if_present<StringAttr>(name);
  return TensorSignature{nameAttr ? nameAttr.str() : "", dtype,
                         std::vector<int64_t>(tensor.getShape().begin(), tensor.getShape().end())};
}

} // namespace

LogicalResult lathe::compileModel(MLIRContext &context, LoadedModel &model,
                                  const CompileOptions &options, Artifact &artifact,
                                  CompileStats &stats) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Target> target = createTarget(options.target);
  Location loc = FileLineColLoc::get(&context, model.path(), 0, 0);
  if (!target)
    return emitError(loc) << "unknown target '" << options.target << "' (targets: cpu)";
  stats.onnxNodes = 0;
  for (const auto &node : model.proto().graph().node())
    stats.onnxNodes += node.op_type() != "Constant";

  OwningOpRef<ModuleOp> module = importModel(context, model, options.import);
  if (!module)
    return failure();
  auto func = *module->getOps<func::FuncOp>().begin();

  // The signature, in graph order.
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto sig = signatureOf(loc, type, func.getArgAttr(i, "lathe.name"));
    if (failed(sig))
      return failure();
    artifact.inputs.push_back(*sig);
  }
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto sig = signatureOf(loc, type, func.getResultAttr(i, "lathe.name"));
    if (failed(sig))
      return failure();
    artifact.outputs.push_back(*sig);
  }

  if (failed(runGraphPasses(*module, options.targetOptions, *target)))
    return failure();

  // Every op must run on the target; list what does not, once per op kind.
  std::map<std::string, std::pair<int64_t, Location>> unsupported;
  int64_t ops = 0;
  func.walk([&](Operation *op) {
    if (isa<ConstantOp>(op) || op->getDialect()->getNamespace() != "lathe")
      return;
    ++ops;
    if (!target->supports(op)) {
      auto [it, inserted] = unsupported.try_emplace(op->getName().getStringRef().str(), 0, op->getLoc());
      ++it->second.first;
    }
  });
  if (!unsupported.empty()) {
    std::string list;
    for (const auto &[name, entry] : unsupported)
      list += (list.empty() ? "" : ", ") + name + " (" + std::to_string(entry.first) + ")";
    return emitError(loc) << "the " << target->name() << " target does not support: " << list;
  }
  stats.opsPerTarget[target->name().str()] = ops;

  if (failed(target->lower(*module, options.targetOptions)))
    return failure();
  auto readI64 = [&](StringRef name) {
    auto attr = (*module)->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  stats.kernels = readI64("lathe.kernels");
  stats.arenaBytes = readI64("lathe.arena_bytes");
  stats.naiveBytes = readI64("lathe.naive_bytes");
  stats.arenaLowerBoundBytes = readI64("lathe.arena_lower_bound_bytes");
  if (auto constants = (*module)->getAttrOfType<DenseResourceElementsAttr>("lathe.constants"))
    if (AsmResourceBlob *blob = constants.getRawHandle().getBlob())
      artifact.constants.assign(blob->getData().begin(), blob->getData().end());
  stats.constantBytes = artifact.constants.size();

  auto code = target->emit(*module, options.targetOptions);
  if (!code)
    return emitError(loc) << llvm::toString(code.takeError());
  stats.codeBytes = code->bytes.size();
  artifact.arenaBytes = stats.arenaBytes;
  artifact.code.push_back({target->kind(), std::move(code->bytes)});
  artifact.steps.push_back({target->kind(), 0, code->entry});
  stats.compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return success();
}
