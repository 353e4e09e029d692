//===- Compiler.cpp - model to artifact -----------------------------------===//
#include "compiler/pipeline/Compiler.h"
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/TensorConversion.h"

#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/SizeLimit.h"
#include "lathe/artifact_format.h"
#include "targets/HostTriple.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Memory/ConstantPool.h"
#include "passes/Passes.h"
#include "targets/llvm/LlvmCodegen.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <mutex>

#include "onnx/onnx_pb.h"

#include <chrono>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace lathe;

namespace {

// The attributes the compiler reads and writes between its stages, declared
// once in the dialect (LatheBase.td).
constexpr llvm::StringLiteral kTargetAttr = LatheDialect::TargetAttrHelper::getNameStr();
constexpr llvm::StringLiteral kNameAttr = LatheDialect::NameAttrHelper::getNameStr();
constexpr llvm::StringLiteral kKernelsAttr = LatheDialect::KernelsAttrHelper::getNameStr();
constexpr llvm::StringLiteral kArenaBytesAttr = LatheDialect::ArenaBytesAttrHelper::getNameStr();
constexpr llvm::StringLiteral kNaiveBytesAttr = LatheDialect::NaiveBytesAttrHelper::getNameStr();
constexpr llvm::StringLiteral kKernelNodesAttr = LatheDialect::KernelNodesAttrHelper::getNameStr();
constexpr llvm::StringLiteral kArenaBuffersAttr = LatheDialect::ArenaBuffersAttrHelper::getNameStr();
constexpr llvm::StringLiteral kArenaLowerBoundBytesAttr =
    LatheDialect::ArenaLowerBoundBytesAttrHelper::getNameStr();

} // namespace

namespace {

void writeAccuracy(llvm::json::OStream &json, const QuantizationAccuracy::Tensor &t) {
  json.object([&] {
    json.attribute("node", t.node);
    if (!t.op.empty())
      json.attribute("op", t.op);
    json.attribute("tensor", t.tensor);
    // JSON has no infinity: an output identical to fp32's has null.
    auto fixed = [&](llvm::StringRef key, double value, int decimals) {
      json.attributeBegin(key);
      json.rawValue(llvm::formatv("{0}", llvm::format("%.*f", decimals, value)).str());
      json.attributeEnd();
    };
    if (std::isfinite(t.sqnrDb))
      fixed("sqnr_db", t.sqnrDb, 2);
    else
      json.attribute("sqnr_db", nullptr);
    if (t.argmaxAgreement >= 0)
      fixed("argmax_agreement", t.argmaxAgreement, 4);
  });
}

} // namespace

void QuantizationAccuracy::write(llvm::json::OStream &json) const {
  json.object([&] {
    json.attribute("samples", (int64_t)samples);
    json.attribute("warn_below_sqnr_db", warnBelowDb);
    json.attributeArray("layers", [&] {
      for (const Tensor &t : layers)
        writeAccuracy(json, t);
    });
    json.attributeArray("outputs", [&] {
      for (const Tensor &t : outputs)
        writeAccuracy(json, t);
    });
  });
}

std::vector<std::string> QuantizationAccuracy::warnings() const {
  std::vector<std::string> lines;
  for (const Tensor &t : layers)
    if (t.sqnrDb < warnBelowDb)
      lines.push_back(llvm::formatv("quantization: {0} '{1}': output SQNR {2:F1} dB against fp32 "
                                    "over {3} samples, below {4:F1} dB",
                                    t.op, t.node, t.sqnrDb, samples, warnBelowDb)
                          .str());
  return lines;
}

std::string CompileStats::json() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    json.attribute("onnx_nodes", onnxNodes);
    json.attribute("kernels", kernels);
    json.attribute("arena_bytes", arenaBytes);
    json.attribute("naive_bytes", naiveBytes);
    json.attribute("arena_lower_bound_bytes", arenaLowerBoundBytes);
    json.attribute("constant_bytes", constantBytes);
    json.attribute("code_bytes", codeBytes);
    json.attributeBegin("compile_ms");
    json.rawValue(llvm::formatv("{0:F1}", compileMs).str());
    json.attributeEnd();
    json.attribute("partitions", partitions);
    json.attribute("conv_matmul_flops", convMatmulFlops);
    if (!cacheWriteBytes.empty())
      json.attributeObject("kv_cache_write_bytes", [&] {
        for (const auto &[entry, bytes] : cacheWriteBytes)
          json.attribute(entry, bytes);
      });
    // On one line, as {"cpu": 4, "hexagon": 2}: target names need no escaping.
    json.attributeBegin("ops_per_target");
    json.rawValue([&](llvm::raw_ostream &out) {
      llvm::ListSeparator separator;
      out << "{";
      for (const auto &[target, count] : opsPerTarget)
        out << separator << '"' << target << "\": " << count;
      out << "}";
    });
    json.attributeEnd();
    json.attributeArray("warnings", [&] {
      for (const std::string &warning : warnings)
        json.value(warning);
    });
    if (quantization) {
      json.attributeBegin("quantization");
      quantization->write(json);
      json.attributeEnd();
    }
  });
  os << "\n";
  return text;
}

namespace {

/// "node 'NAME': " for an op imported from a named ONNX node, else empty.
std::string nodeNamed(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return "node '" + name.getName().str() + "': ";
  return {};
}

/// The ONNX node an op was imported from (the first named one of a fused
/// location), else empty.
std::string onnxNode(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string name = onnxNode(part); !name.empty())
        return name;
  return {};
}

/// Target-independent graph passes, in order; `--disable-pass NAME` leaves
/// one out.
std::vector<std::unique_ptr<Pass>> graphPasses(const Target &target) {
  std::vector<std::unique_ptr<Pass>> passes;
  if (target.computesInIntegers())
    passes.push_back(createIntegerQdqGroups());
  passes.push_back(createFoldBatchNorm());
  passes.push_back(createRecognizeNorms());
  passes.push_back(createRecognizeActivations());
  passes.push_back(createRecognizeAttention());
  passes.push_back(createRecognizeRotaryEmbedding());
  passes.push_back(createCanonicalizerPass());
  return passes;
}

LogicalResult runGraphPasses(ModuleOp module, const TargetOptions &options,
                             const Target &target, CompileStats &stats) {
  std::vector<std::unique_ptr<Pass>> passes = graphPasses(target);
  std::vector<std::string> optional;
  for (const std::unique_ptr<Pass> &pass : passes)
    optional.push_back(pass->getArgument().str());
  for (const std::string &pass : target.optionalPasses())
    optional.push_back(pass);
  for (const std::string &disabled : options.disabledPasses)
    if (!llvm::is_contained(optional, disabled))
      return emitError(module.getLoc())
             << "--disable-pass " << disabled << ": not a pass that can be disabled (those are: "
             << llvm::join(optional, ", ") << ")";
  PassManager pm(module.getContext());
  OpPassManager &graph = pm.nest<func::FuncOp>();
  for (std::unique_ptr<Pass> &pass : passes)
    if (!options.disables(pass->getArgument()))
      graph.addPass(std::move(pass));
  // The passes' remarks (a quantized layer left in float, and why) are
  // what `--stats` warns of.
  ScopedDiagnosticHandler remarks(module.getContext(), [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Remark)
      return failure();
    stats.warnings.push_back(nodeNamed(diag.getLocation()) + diag.str());
    return success();
  });
  return runPipeline(pm, module, options);
}

int64_t elements(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

/// Two operations per multiply-add of the convolutions, transposed
/// convolutions, matmuls (float and 8-bit) and gemms in `func`.
int64_t convMatmulFlops(func::FuncOp func) {
  int64_t flops = 0;
  auto perOutput = [](Value weight) {
    auto shape = cast<RankedTensorType>(weight.getType()).getShape();
    int64_t depth = 1;
    for (int64_t d : shape.drop_front())
      depth *= d;
    return depth;
  };
  func.walk([&](Operation *op) {
    if (auto conv = dyn_cast<ConvOp>(op))
      flops += 2 * elements(conv.getOutput()) * perOutput(conv.getWeight());
    else if (auto convT = dyn_cast<ConvTransposeOp>(op))
      flops += 2 * elements(convT.getInput()) * perOutput(convT.getWeight());
    else if (auto matmul = dyn_cast<MatMulOp>(op))
      flops += 2 * elements(matmul.getOutput()) *
               cast<RankedTensorType>(matmul.getLhs().getType()).getShape().back();
    else if (auto matmul = dyn_cast<MatMulIntegerOp>(op))
      flops += 2 * elements(matmul.getOutput()) *
               cast<RankedTensorType>(matmul.getLhs().getType()).getShape().back();
    else if (auto gemm = dyn_cast<GemmOp>(op)) {
      auto a = cast<RankedTensorType>(gemm.getA().getType()).getShape();
      flops += 2 * elements(gemm.getOutput()) * (gemm.getTransA() ? a.front() : a.back());
    }
  });
  return flops;
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

namespace {

/// The targets ops may run on when compiling for `name`, in order of
/// preference: an accelerator first, the cpu for what it does not run.
std::vector<std::unique_ptr<Target>> targetsFor(StringRef name) {
  std::vector<std::unique_ptr<Target>> targets;
  if (auto target = createTarget(name))
    targets.push_back(std::move(target));
  llvm::StringRef cpu = lathe_target_name(LATHE_TARGET_CPU);
  if (name != cpu)
    targets.push_back(createTarget(cpu));
  return targets;
}

StringRef targetOf(Operation *op) {
  auto target = op ? op->getAttrOfType<StringAttr>(kTargetAttr) : nullptr;
  return target ? target.getValue() : StringRef();
}

/// Moves to `fallback` each island of `first`'s ops: a group connected by
/// the tensors between them whose every input comes from a `fallback` op
/// (or a constant) and every result goes to `fallback` ops, none of which
/// repays its crossing. On `first` it would only cost a crossing each way.
/// Groups next to graph inputs or outputs stay.
void returnIslandsToFallback(func::FuncOp func, const Target &first, const Target &fallback) {
  SmallVector<Operation *> ops;
  DenseMap<Operation *, unsigned> index;
  for (Operation &op : func.getBody().front().without_terminator())
    if (targetOf(&op) == first.name()) {
      index[&op] = ops.size();
      ops.push_back(&op);
    }
  // Union-find over the ops on `first`, joined by the tensors between them.
  SmallVector<unsigned> parent(ops.size());
  std::iota(parent.begin(), parent.end(), 0u);
  auto root = [&](unsigned i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  };
  for (unsigned i = 0; i < ops.size(); ++i)
    for (Value operand : ops[i]->getOperands())
      if (auto it = index.find(operand.getDefiningOp()); it != index.end())
        parent[root(i)] = root(it->second);
  // An island stays if any of its ops repays its crossing or touches a
  // graph input or output (or the fallback cannot run it).
  DenseSet<unsigned> stays;
  for (unsigned i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    bool keep = first.repaysCrossing(op) || !fallback.supports(op);
    for (Value operand : op->getOperands()) {
      Operation *producer = operand.getDefiningOp();
      keep |= !producer || (!index.count(producer) && !producer->hasTrait<OpTrait::ConstantLike>() &&
                            targetOf(producer) != fallback.name());
    }
    for (Operation *user : op->getUsers())
      keep |= !index.count(user) && targetOf(user) != fallback.name();
    if (keep)
      stays.insert(root(i));
  }
  for (unsigned i = 0; i < ops.size(); ++i)
    if (!stays.count(root(i)))
      ops[i]->setAttr(kTargetAttr, StringAttr::get(ops[i]->getContext(), fallback.name()));
}

/// Marks every op of `func` with the first target that supports it; lists
/// the ops no target supports.
LogicalResult assignTargets(func::FuncOp func, llvm::ArrayRef<std::unique_ptr<Target>> targets,
                            Location loc, CompileStats &stats) {
  std::map<std::string, int64_t> unsupported;
  Builder b(func.getContext());
  for (Operation &op : func.getBody().front().without_terminator()) {
    if (op.hasTrait<OpTrait::ConstantLike>())
      continue;
    auto it = llvm::find_if(targets, [&](const auto &t) { return t->supports(&op); });
    if (it == targets.end()) {
      ++unsupported[op.getName().getStringRef().str()];
      continue;
    }
    op.setAttr(kTargetAttr, b.getStringAttr((*it)->name()));
    if (it != targets.begin()) {
      std::string why = targets.front()->declines(&op);
      if (!why.empty())
        stats.warnings.push_back(nodeNamed(op.getLoc()) + op.getName().getStringRef().str() +
                                 " runs on the " + (*it)->name().str() + ": " + why);
    }
  }
  if (targets.size() > 1)
    returnIslandsToFallback(func, *targets.front(), *targets.back());
  for (Operation &op : func.getBody().front().without_terminator())
    if (auto target = op.getAttrOfType<StringAttr>(kTargetAttr))
      ++stats.opsPerTarget[target.getValue().str()];
  if (unsupported.empty())
    return success();
  std::string list;
  for (const auto &[name, count] : unsupported)
    list += (list.empty() ? "" : ", ") + name + " (" + std::to_string(count) + ")";
  return emitError(loc) << "the " << targets.front()->name() << " target does not support: " << list;
}

LogicalResult outlinePartitions(ModuleOp module, const Target &target) {
  PassManager pm(module.getContext());
  pm.addPass(createOutlinePartitions(OutlinePartitionsOptions{target.name().str()}));
  return pm.run(module);
}

/// The bytes of a tensor in a slot (booleans take a byte each); UINT64_MAX
/// past lathe's size limit (the importer holds tensors within it).
uint64_t bytesOf(Type type) {
  return boundedTensorBytes(cast<RankedTensorType>(type)).value_or(UINT64_MAX);
}

} // namespace

namespace {

/// What the entries of one compile share: the targets, the constant pool
/// every partition's constants go to, and each target's objects, linked
/// once all entries are compiled.
struct CompileSession {
  std::vector<std::unique_ptr<Target>> targets;
  ConstantPool pool;
  TargetOptions targetOptions;
  std::map<std::string, std::vector<ObjectFile>> objects;
  /// Partitions emitted so far: each gets the symbol lathe_step<N>.
  size_t partitions = 0;
  std::function<void(llvm::StringRef, size_t, size_t)> progress;
  std::string entryPrefix;
  CompileReport *report = nullptr;
};

/// The report's ops of an entry's partitions (`calls`, in plan order) and
/// the tensors between them, those crossing partitions marked.
void reportGraph(ArrayRef<func::CallOp> calls, SymbolTable &symbols, CompileReport::Entry &entry) {
  // A partition's results by the op that computes them, for the partitions after it.
  DenseMap<Value, uint32_t> producers;
  for (auto [partition, callOp] : llvm::enumerate(calls)) {
    func::CallOp call = callOp;
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    StringRef target = callee->getAttrOfType<StringAttr>(kTargetAttr).getValue();
    DenseMap<Value, uint32_t> local;
    for (Operation &op : callee.getBody().front().without_terminator()) {
      if (op.hasTrait<OpTrait::ConstantLike>())
        continue;
      uint32_t index = entry.ops.size();
      entry.ops.push_back({onnxNode(op.getLoc()), op.getName().getStringRef().str(), target.str(),
                           (uint32_t)partition});
      for (Value operand : op.getOperands()) {
        uint64_t bytes = bytesOf(operand.getType());
        if (auto it = local.find(operand); it != local.end()) {
          entry.edges.push_back({it->second, index, bytes, false});
        } else if (auto arg = dyn_cast<BlockArgument>(operand)) {
          auto it2 = producers.find(call.getOperand(arg.getArgNumber()));
          if (it2 != producers.end())
            entry.edges.push_back({it2->second, index, bytes, true});
        }
      }
      for (Value result : op.getResults())
        local[result] = index;
    }
    Operation *terminator = callee.getBody().front().getTerminator();
    for (auto [i, v] : llvm::enumerate(terminator->getOperands()))
      if (auto it = local.find(v); it != local.end())
        producers[call.getResult(i)] = it->second;
  }
}

/// A lowered partition's kernels and arena plan, as its passes recorded them.
CompileReport::Partition reportPartition(ModuleOp partition, uint32_t step, StringRef target,
                                         StringRef symbol, int64_t arenaBytes) {
  CompileReport::Partition report{step, target.str(), symbol.str(), {}, {}, arenaBytes};
  if (auto kernels = partition->getAttrOfType<ArrayAttr>(kKernelNodesAttr))
    for (auto kernel : kernels.getAsRange<ArrayAttr>()) {
      auto names = kernel.getAsValueRange<StringAttr>();
      CompileReport::Kernel k;
      for (auto [i, name] : llvm::enumerate(names))
        (i ? k.nodes.emplace_back() : k.op) = name.str();
      report.kernels.push_back(std::move(k));
    }
  if (auto buffers = partition->getAttrOfType<ArrayAttr>(kArenaBuffersAttr))
    for (auto buffer : buffers.getAsRange<DenseI64ArrayAttr>())
      if (buffer.size() == 4)
        report.buffers.push_back({buffer[0], buffer[1], buffer[2], buffer[3]});
  return report;
}

/// Imports `model` with `import`'s input shapes and compiles it into
/// `entry`: its signature, its plan, its partitions' objects.
LogicalResult compileEntry(MLIRContext &context, LoadedModel &model, const ImportOptions &import,
                           CompileSession &session, ArtifactEntry &artifact, CompileStats &stats) {
  std::vector<std::unique_ptr<Target>> &targets = session.targets;
  const TargetOptions &targetOptions = session.targetOptions;
  Location loc = FileLineColLoc::get(&context, model.path(), 0, 0);
  ImportOptions::CacheLayout cache;
  ImportOptions withCache = import;
  withCache.cacheLayout = &cache;
  OwningOpRef<ModuleOp> module = importModel(context, model, withCache);
  if (!module)
    return failure();
  auto func = *module->getOps<func::FuncOp>().begin();
  artifact.stateInputs = cache.stateInputs;
  artifact.stateAdvance = cache.advance;
  artifact.stateCapacity = cache.capacity;
  // What a run writes into the caches: the new positions' keys and values.
  int64_t cacheWriteBytes = 0;
  func.walk([&](CacheWriteOp write) { cacheWriteBytes += bytesOf(write.getUpdate().getType()); });
  if (cache.stateInputs)
    stats.cacheWriteBytes[artifact.name] = cacheWriteBytes;

  // The signature, in graph order.
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto sig = signatureOf(loc, type, func.getArgAttr(i, kNameAttr));
    if (failed(sig))
      return failure();
    artifact.inputs.push_back(*sig);
  }
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto sig = signatureOf(loc, type, func.getResultAttr(i, kNameAttr));
    if (failed(sig))
      return failure();
    artifact.outputs.push_back(*sig);
  }

  if (failed(runGraphPasses(*module, targetOptions, *targets.front(), stats)))
    return failure();
  stats.convMatmulFlops += convMatmulFlops(func);
  if (failed(assignTargets(func, targets, loc, stats)) || failed(outlinePartitions(*module, *targets.back())))
    return failure();

  // Tensors live in slots: graph inputs, graph outputs, then the tensors
  // crossing between partitions.
  DenseMap<Value, uint32_t> slotOf;
  for (BlockArgument arg : func.getArguments())
    slotOf[arg] = arg.getArgNumber();
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [k, v] : llvm::enumerate(returnOp.getOperands()))
    slotOf[v] = artifact.inputs.size() + k;
  auto slotFor = [&](Value v) {
    auto [it, inserted] = slotOf.try_emplace(
        v, artifact.inputs.size() + artifact.outputs.size() + artifact.intermediateBytes.size());
    if (inserted)
      artifact.intermediateBytes.push_back(bytesOf(v.getType()));
    return it->second;
  };

  auto readI64 = [](ModuleOp m, StringRef name) {
    auto attr = m->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  SymbolTable symbols(*module);
  auto calls = llvm::to_vector(func.getOps<func::CallOp>());
  CompileReport::Entry *reportEntry = nullptr;
  if (session.report) {
    reportEntry = &session.report->entries.emplace_back();
    reportEntry->name = artifact.name;
    reportGraph(calls, symbols, *reportEntry);
  }
  std::string progressLine = "compiling entry '" + artifact.name + "' partitions";
  const auto &progress = session.progress;
  for (auto [done, call] : llvm::enumerate(calls)) {
    if (progress)
      progress(progressLine, done, calls.size());
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    StringRef targetName = callee->getAttrOfType<StringAttr>(kTargetAttr).getValue();
    Target &target = **llvm::find_if(targets, [&](const auto &t) { return t->name() == targetName; });
    PlanStep step{target.kind(), 0, "", 0, {}, 0, {}, 0, 0};
    for (Value v : call.getOperands())
      step.slots.push_back(slotFor(v));
    for (Value v : call.getResults())
      step.slots.push_back(slotFor(v));
    // What the partition's code is compiled for: its own signature.
    step.inputCount = callee.getNumArguments();
    for (Type type : callee.getArgumentTypes())
      step.ioBytes.push_back(bytesOf(type));
    for (Type type : callee.getResultTypes())
      step.ioBytes.push_back(bytesOf(type));

    // The partition alone in a module of its own, lowered and emitted; the
    // graph's name and what the model says of itself go with it.
    OwningOpRef<ModuleOp> partition = ModuleOp::create(call.getLoc(), module->getName());
    for (NamedAttribute attr : (*module)->getDiscardableAttrs())
      if (attr.getName().strref().starts_with("lathe."))
        (*partition)->setAttr(attr.getName(), attr.getValue());
    auto body = cast<func::FuncOp>(callee->clone());
    body.setPublic();
    std::string symbol = (session.entryPrefix + Twine(session.partitions++)).str();
    body.setSymName(symbol);
    body->removeAttr(kTargetAttr);
    partition->push_back(body);
    if (failed(target.lower(*partition, targetOptions)))
      return failure();
    stats.kernels += readI64(*partition, kKernelsAttr);
    stats.arenaBytes = std::max(stats.arenaBytes, readI64(*partition, kArenaBytesAttr));
    stats.naiveBytes += readI64(*partition, kNaiveBytesAttr);
    stats.arenaLowerBoundBytes =
        std::max(stats.arenaLowerBoundBytes, readI64(*partition, kArenaLowerBoundBytesAttr));
    step.arenaBytes = readI64(*partition, kArenaBytesAttr);
    artifact.arenaBytes = std::max(artifact.arenaBytes, step.arenaBytes);
    // Its constants are in the pool, which it reads from the start: what
    // the pool holds once it is lowered is all it may read.
    step.constantsOffset = 0;
    step.constantsBytes = session.pool.bytes().size();
    if (reportEntry)
      reportEntry->partitions.push_back(
          reportPartition(*partition, done, target.name(), symbol, step.arenaBytes));
    auto object = target.emit(*partition, targetOptions);
    if (!object)
      return emitError(loc) << llvm::toString(object.takeError());
    step.entry = object->entry;
    llvm::append_range(stats.warnings, object->warnings);
    session.objects[target.name().str()].push_back(std::move(*object));
    artifact.steps.push_back(std::move(step));
  }
  if (progress)
    progress(progressLine, calls.size(), calls.size());
  for (const PlanStep &step : artifact.steps)
    if (llvm::is_contained(step.ioBytes, UINT64_MAX))
      return emitError(loc) << "partition " << step.entry << " passes a tensor beyond lathe's limit of "
                            << LATHE_MAX_TENSOR_BYTES << " bytes a tensor";
  stats.partitions += artifact.steps.size();
  return success();
}

} // namespace

LogicalResult lathe::compileModel(MLIRContext &context, LoadedModel &model,
                                  const CompileOptions &options, Artifact &artifact,
                                  CompileStats &stats) {
  auto start = std::chrono::steady_clock::now();
  CompileSession session;
  session.targets = targetsFor(options.target);
  session.targetOptions = options.targetOptions;
  session.targetOptions.constantPool = &session.pool;
  session.progress = options.progress;
  session.entryPrefix = options.entryPrefix;
  session.report = options.report;
  std::vector<std::unique_ptr<Target>> &targets = session.targets;
  Location loc = FileLineColLoc::get(&context, model.path(), 0, 0);
  if (targets.empty() || targets.front()->name() != options.target)
    return emitError(loc) << "unknown target '" << options.target << "' (targets: "
                          << llvm::join(targetNames(), ", ") << ")";
  auto host = resolveHost(options.targetOptions);
  if (!host)
    return emitError(loc) << llvm::toString(host.takeError());
  artifact.hostMachine = host->elfMachine;
  stats.onnxNodes = 0;
  for (const auto &node : model.proto().graph().node())
    stats.onnxNodes += node.op_type() != "Constant";

  std::vector<CompileOptions::Entry> entries = options.entries;
  if (entries.empty())
    entries.push_back({"main", options.import});
  for (const CompileOptions::Entry &entry : entries) {
    artifact.entries.emplace_back();
    artifact.entries.back().name = entry.name;
    if (failed(compileEntry(context, model, entry.import, session, artifact.entries.back(), stats)))
      return failure();
  }
  artifact.constants = session.pool.bytes();
  stats.constantBytes = artifact.constants.size();

  // One code blob per target, holding all of its partitions of every entry.
  for (const auto &target : targets) {
    auto it = session.objects.find(target->name().str());
    if (it == session.objects.end())
      continue;
    if (options.keepCpuObjects && target->kind() == LATHE_TARGET_CPU)
      for (const ObjectFile &object : it->second)
        artifact.cpuObjects.push_back(object.bytes);
    auto code = target->link(it->second, options.targetOptions);
    if (!code)
      return emitError(loc) << llvm::toString(code.takeError());
    stats.codeBytes += code->size();
    for (ArtifactEntry &entry : artifact.entries)
      for (PlanStep &step : entry.steps)
        if (step.target == target->kind())
          step.codeIndex = artifact.code.size();
    artifact.code.push_back({target->kind(), std::move(*code)});
  }
  if (CompileReport *report = options.report) {
    report->model = model.path();
    report->target = options.target;
    report->constantBytes = artifact.constants.size();
    for (const Artifact::Code &code : artifact.code)
      report->code.push_back({lathe_target_name(code.target), code.bytes.size()});
  }
  stats.compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return success();
}
