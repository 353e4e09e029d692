//===- LlvmCodegen.cpp - the linalg-to-LLVM path cpu and hexagon share ----===//
#include "targets/llvm/LlvmCodegen.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"
#include "lathe/artifact_format.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetMachine.h"

#include <mutex>

using namespace mlir;
using namespace lathe;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Passes a user may leave out with --disable-pass, beside the layout and
/// fusion groups of Target.h.
constexpr const char *kMemoryPasses[] = {"lathe-reorder-for-peak-memory"};
constexpr const char *kCodegenPasses[] = {"lathe-approximate-math",
                                          "lathe-vectorize-integer-panels"};

/// Whether the target's pipeline has `pass` at all.
bool runs(llvm::StringRef pass, const LinalgPipelineConfig &config) {
  if (pass == "lathe-pack-weights")
    return config.tileColumns != 0;
  if (pass == "lathe-winograd-convolutions")
    return config.winograd;
  if (pass == "lathe-pack-integer-weights" || pass == "lathe-vectorize-integer-panels")
    return !config.dotProducts.empty();
  return true;
}

/// The panels of `instruction`'s registers; the x86 forms multiply
/// unsigned by signed bytes only, AArch64's sdot and smmla signed by signed.
PackIntegerWeightsOptions packingFor(llvm::StringRef instruction) {
  PackIntegerWeightsOptions options;
  // smmla's panels are 2 columns of 8 bytes (one register), the dot
  // products' a column of 4 bytes per 32-bit lane.
  options.depth = instruction == "aarch64-smmla" ? 8 : 4;
  options.tileColumns = instruction == "x86-vpdpbusd-512"   ? 16
                        : instruction == "x86-vpdpbusd-256" ? 8
                        : instruction == "aarch64-sdot"     ? 4
                        : instruction == "aarch64-smmla"    ? 2
                                                            : 32;
  options.unsignedLhs = instruction.starts_with("x86-");
  options.signedLhs = instruction.starts_with("aarch64-");
  return options;
}

/// The register tile of `instruction`'s kernels: rows x panels
/// accumulators, with a panel row per panel and a splat per row, within the
/// vector registers (32 with AVX-512 and NEON, 16 with AVX-VNNI on AVX2).
/// 4 x 4 with 512-bit vpdpbusd measured fastest on ResNet-18 int8 among
/// 4 x 1 (1.5x slower), 6 x 3 (1.1x) and 4 x 5 (about the same); it divides
/// every power-of-two width.
VectorizeIntegerPanelsOptions integerTileFor(llvm::StringRef instruction) {
  VectorizeIntegerPanelsOptions options;
  options.instruction = instruction.str();
  if (instruction == "x86-vpdpbusd-512") {
    options.rows = 4;
    options.panels = 4;
  } else if (instruction == "x86-vpdpbusd-256") {
    options.rows = 4;
    options.panels = 2;
  } else if (instruction == "aarch64-sdot") {
    options.rows = 4;
    options.panels = 4;
  }
  return options;
}

/// Adds `pass` unless the target does not run it or the user left it out
/// (lathe-approximate-math stays where nothing else computes the functions).
void addOptional(OpPassManager &pm, std::unique_ptr<Pass> pass, const TargetOptions &options,
                 const LinalgPipelineConfig &config) {
  llvm::StringRef name = pass->getArgument();
  bool required = name == "lathe-approximate-math" && config.approximateAllMath;
  if (runs(name, config) && (required || !options.disables(name)))
    pm.addPass(std::move(pass));
}

/// From lathe ops to linalg on tensors, where kernels are counted.
void buildTensorPipeline(OpPassManager &pm, const TargetOptions &options,
                         const LinalgPipelineConfig &config) {
  OpPassManager &layout = pm.nest<func::FuncOp>();
  addOptional(layout, createConvTransposeAsConv(), options, config);
  addOptional(layout, createConvertConvToChannelsLast(), options, config);
  addOptional(layout, createWinogradConvolutions(), options, config);
  addOptional(layout, createSinkTransposes(), options, config);
  addOptional(layout, createPackWeights(PackWeightsOptions{config.tileColumns}), options, config);
  addOptional(layout, createPackIntegerWeights(packingFor(config.dotProducts)), options, config);
  layout.addPass(createCanonicalizerPass());
  // Attention's vectors of sums as wide as the register tile (hexagon,
  // without one: a 1024-bit HVX vector of floats).
  pm.addPass(createConvertLatheToLinalg(
      ConvertLatheToLinalgOptions{config.tileColumns ? config.tileColumns : 32}));
  OpPassManager &fusion = pm.nest<func::FuncOp>();
  fusion.addPass(createCanonicalizerPass());
  addOptional(fusion, createFuseElementwise(), options, config);
  addOptional(fusion, createFormKernels(FormKernelsOptions{config.registerRows}), options, config);
  addOptional(fusion, createFusePads(), options, config);
  fusion.addPass(createCanonicalizerPass());
  addOptional(fusion, createReorderForPeakMemory(), options, config);
  fusion.addPass(createDistinctResults());
  pm.addPass(createCountKernels());
}

/// From linalg on tensors to the LLVM dialect.
void buildBufferPipeline(OpPassManager &pm, const TargetOptions &options,
                         const LinalgPipelineConfig &config) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // A tile's result is written in place and copied onto itself: the two
  // views become one, and the copy folds away.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(options.constantPool ? createExternalizeConstants(*options.constantPool)
                                  : createExternalizeConstants());
  pm.addNestedPass<func::FuncOp>(createCopiesToLinalg());
  if (config.threads)
    pm.addPass(createOutlineParallelLoops());
  pm.addPass(createPlanArena());
  OpPassManager &loops = pm.nest<func::FuncOp>();
  // Tiles left on one thread run as nested loops.
  loops.addPass(createForallToForLoopPass());
  addOptional(loops, createApproximateMath(ApproximateMathOptions{config.approximateAllMath}), options,
              config);
  addOptional(loops, createVectorizeIntegerPanels(integerTileFor(config.dotProducts)), options,
              config);
  if (config.tileColumns)
    loops.addPass(createVectorizePanelContractions(
        VectorizePanelContractionsOptions{config.registerRows, config.tileColumns / 2}));
  loops.addPass(createConvertLinalgToLoopsPass());
  loops.addPass(createUnrollShortLoops());
  loops.addPass(createLoopInvariantCodeMotionPass());
  loops.addPass(createHoistInvariantLoads());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Upstream's vector conversion assumes a 64-bit index.
  if (config.indexBits == 64)
    pm.addPass(createConvertVectorToLLVMPass());
  else
    pm.addPass(createLowerVectorToLlvm());
  // The conversions that do not read `index` from the data layout are told.
  unsigned bits = config.indexBits;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass({/*useAlignedAlloc=*/false, bits,
                                                       /*useGenericFunctions=*/false}));
  pm.addPass(createArithToLLVMConversionPass({bits}));
  pm.addPass(createConvertControlFlowToLLVMPass({bits}));
  pm.addPass(createConvertFuncToLLVMPass({/*useBarePtrCallConv=*/true, bits}));
  pm.addPass(createConvertIndexToLLVMPass({bits}));
  pm.addPass(createReconcileUnrealizedCastsPass());
}

} // namespace

std::vector<std::string> lathe::linalgOptionalPasses(const LinalgPipelineConfig &config) {
  std::vector<std::string> passes;
  for (llvm::ArrayRef<const char *> group :
       {llvm::ArrayRef<const char *>(kLayoutPasses), llvm::ArrayRef<const char *>(kFusionPasses),
        llvm::ArrayRef<const char *>(kMemoryPasses), llvm::ArrayRef<const char *>(kCodegenPasses)})
    for (llvm::StringRef pass : group)
      if (runs(pass, config))
        passes.push_back(pass.str());
  return passes;
}

void lathe::prepareContext(MLIRContext *context) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerAllPasses();
    lathe::registerLathePasses();
  });
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  context->appendDialectRegistry(registry);
}

LogicalResult lathe::runPipeline(PassManager &pm, ModuleOp module, const TargetOptions &options) {
  prepareContext(module.getContext());
  if (options.printIrAfterAll) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting(/*shouldPrintBeforePass=*/nullptr,
                        /*shouldPrintAfterPass=*/[](Pass *, Operation *) { return true; },
                        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
  }
  if (options.passTiming)
    pm.enableTiming();
  if (!options.crashReproducer.empty())
    pm.enableCrashReproducerGeneration(options.crashReproducer, /*genLocalReproducer=*/false);
  return pm.run(module);
}

void lathe::buildLinalgPipeline(OpPassManager &pm, const TargetOptions &options,
                                const LinalgPipelineConfig &config) {
  buildTensorPipeline(pm, options, config);
  buildBufferPipeline(pm, options, config);
}

LogicalResult lathe::lowerThroughLinalg(ModuleOp module, const TargetOptions &options,
                                        const LinalgPipelineConfig &config) {
  MLIRContext *context = module.getContext();
  prepareContext(context);
  if (config.indexBits != 64) {
    // The LLVM conversions take the width of `index` from the module's data
    // layout.
    context->getOrLoadDialect<DLTIDialect>();
    Builder b(context);
    module->setAttr(DLTIDialect::kDataLayoutAttrName,
                    DataLayoutSpecAttr::get(context, {DataLayoutEntryAttr::get(
                                                         b.getIndexType(),
                                                         b.getI64IntegerAttr(config.indexBits))}));
  }
  PassManager pm(context);
  buildLinalgPipeline(pm, options, config);
  return runPipeline(pm, module, options);
}

namespace {

/// Renames the module's one defined function F to an internal kernel and
/// adds `void F(void **io, const uint8_t *constants, uint8_t *arena[,
/// const lathe_kernel_services *services])` that calls it with io[0..n)
/// followed by constants, arena (and services).
llvm::Expected<std::string> addEntryWrapper(llvm::Module &module, bool services) {
  llvm::Function *kernel = nullptr;
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && f.getLinkage() == llvm::GlobalValue::ExternalLinkage)
      kernel = kernel ? nullptr : &f;
  unsigned trailing = services ? 3 : 2;
  if (!kernel || kernel->arg_size() < trailing)
    return fail("the lowered module lacks its kernel function");
  std::string entryName = kernel->getName().str();
  kernel->setName(entryName + ".kernel");
  kernel->setLinkage(llvm::GlobalValue::InternalLinkage);
  // Inputs, outputs, constants and arena are distinct buffers (the
  // runtime refuses an input inside the session's own memory), so LLVM
  // may vectorize a loop that reads one and writes another unchecked.
  for (llvm::Argument &arg : kernel->args())
    if (arg.getType()->isPointerTy())
      arg.addAttr(llvm::Attribute::NoAlias);
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  std::vector<llvm::Type *> params(trailing + 1, ptr);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, entryName, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value *> args;
  unsigned io = kernel->arg_size() - trailing;
  for (unsigned i = 0; i < io; ++i) {
    llvm::Value *slot = b.CreateConstGEP1_32(ptr, entry->getArg(0), i);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  // The kernel takes constants, arena, or constants, services, arena (the
  // order the memory passes and lathe-outline-parallel-loops add them in).
  args.push_back(entry->getArg(1));
  if (services)
    args.push_back(entry->getArg(3));
  args.push_back(entry->getArg(2));
  b.CreateCall(kernel, args);
  b.CreateRetVoid();
  return entryName;
}

/// Defines each `lathe_parallel_for.NAME(services, buffers..., count,
/// grain)` the module declares: a task `NAME.task(context, begin, end)`
/// reads the buffers from the context and calls NAME(buffers..., begin,
/// end); the definition stores the buffers in a context on its stack and
/// calls the services' parallel_for (lathe_kernel_services, field 0) with
/// the task.
llvm::Error defineParallelFors(llvm::Module &module) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *voidType = llvm::Type::getVoidTy(ctx);
  llvm::StringRef prefix = LATHE_PARALLEL_FOR_PREFIX;
  for (llvm::Function &dispatch : llvm::make_early_inc_range(module)) {
    if (!dispatch.isDeclaration() || !dispatch.getName().starts_with(prefix))
      continue;
    llvm::Function *body = module.getFunction(dispatch.getName().drop_front(prefix.size()));
    unsigned buffers = dispatch.arg_size() - 3;
    if (!body || dispatch.arg_size() < 3 || body->arg_size() != buffers + 2)
      return fail("the parallel loop " + dispatch.getName() + " has no body of its signature");
    for (unsigned i = 0; i < buffers; ++i)
      body->getArg(i)->addAttr(llvm::Attribute::NoAlias);
    auto *taskType = llvm::FunctionType::get(voidType, {ptr, i64, i64}, false);
    auto *task = llvm::Function::Create(taskType, llvm::GlobalValue::InternalLinkage,
                                        body->getName() + ".task", module);
    llvm::ArrayType *contextType = llvm::ArrayType::get(ptr, std::max(buffers, 1u));
    {
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", task));
      std::vector<llvm::Value *> args;
      for (unsigned i = 0; i < buffers; ++i)
        args.push_back(b.CreateLoad(ptr, b.CreateConstGEP2_32(contextType, task->getArg(0), 0, i)));
      args.push_back(task->getArg(1));
      args.push_back(task->getArg(2));
      b.CreateCall(body, args);
      b.CreateRetVoid();
    }
    dispatch.setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", &dispatch));
    llvm::Value *context = b.CreateAlloca(contextType);
    for (unsigned i = 0; i < buffers; ++i)
      b.CreateStore(dispatch.getArg(1 + i), b.CreateConstGEP2_32(contextType, context, 0, i));
    llvm::Value *services = dispatch.getArg(0);
    // lathe_kernel_services.parallel_for(services, task, context, count, grain)
    llvm::Value *parallelFor = b.CreateLoad(ptr, services);
    auto *parallelForType = llvm::FunctionType::get(voidType, {ptr, ptr, ptr, i64, i64}, false);
    b.CreateCall(parallelForType, parallelFor,
                 {services, task, context, dispatch.getArg(1 + buffers), dispatch.getArg(2 + buffers)});
    b.CreateRetVoid();
  }
  return llvm::Error::success();
}

/// Whether the module's entry takes the kernel services (an argument
/// marked so).
bool takesServices(ModuleOp module) {
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (!func.isExternal() && func.getLinkage() == LLVM::Linkage::External)
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (func.getArgAttr(i, LatheDialect::ServicesAttrHelper::getNameStr()))
          return true;
  return false;
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  // Kernel loops have small constant trip counts (a row of 16 to 64
  // filters): unrolled whole before the loop vectorizer sees them, they
  // end up scalar, or vectorized along the wrong (strided) loop. The
  // vectorizer still interleaves what it vectorizes.
  tuning.LoopUnrolling = false;
  llvm::PassBuilder pb(&machine, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, mam);
}

} // namespace

llvm::Expected<ObjectFile> lathe::emitObjectFile(ModuleOp module, llvm::TargetMachine &machine) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return fail("the lowered module does not translate to LLVM IR");
  llvm::Triple triple = machine.getTargetTriple();
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine.createDataLayout());
  auto entry = addEntryWrapper(*llvmModule, takesServices(module));
  if (!entry)
    return entry.takeError();
  if (auto err = defineParallelFors(*llvmModule))
    return std::move(err);
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return fail("the generated LLVM IR does not verify");
  optimize(*llvmModule, machine);
  auto object = emitModuleObject(*llvmModule, machine);
  if (!object)
    return object.takeError();
  return ObjectFile{std::move(*object), *entry};
}

llvm::Expected<std::vector<char>> lathe::emitModuleObject(llvm::Module &module,
                                                          llvm::TargetMachine &machine) {
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return fail("LLVM cannot emit an object file for " + machine.getTargetTriple().str());
  codegen.run(module);
  return std::vector<char>(object.begin(), object.end());
}

namespace {

/// The target's cost model, asked through a function of an empty module.
template <typename Query>
auto askTransformInfo(llvm::TargetMachine &machine, Query query) {
  llvm::LLVMContext context;
  llvm::Module module("probe", context);
  auto *function = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
      llvm::GlobalValue::ExternalLinkage, "probe", module);
  return query(machine.getTargetTransformInfo(*function));
}

} // namespace

unsigned lathe::vectorBits(llvm::TargetMachine &machine) {
  llvm::TypeSize bits = askTransformInfo(machine, [](const llvm::TargetTransformInfo &info) {
    return info.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector);
  });
  return std::max<unsigned>(bits.getFixedValue(), 128);
}

unsigned lathe::vectorRegisters(llvm::TargetMachine &machine) {
  return askTransformInfo(machine, [](const llvm::TargetTransformInfo &info) {
    return info.getNumberOfRegisters(info.getRegisterClassForType(/*Vector=*/true));
  });
}
