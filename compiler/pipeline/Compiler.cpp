//===- Compiler.cpp - model to artifact -----------------------------------===//
#include "compiler/pipeline/Compiler.h"
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/TensorConversion.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
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
