//===- LlvmCodegen.cpp - the linalg-to-LLVM path cpu and hexagon share ----===//
#include "targets/llvm/LlvmCodegen.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
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
                                          "lathe-vectorize-integer-panels-for-hvx"};

/// Whether the target's pipeline has `pass` at all.
bool runs(llvm::StringRef pass, const LinalgPipelineConfig &config) {
  if (pass == "lathe-pack-weights")
    return config.tileColumns != 0;
  if (pass == "lathe-pack-integer-weights" || pass == "lathe-vectorize-integer-panels-for-hvx")
    return config.hvxDotProducts;
  return true;
}

/// The passes of a group the user has not disabled and the target runs,
/// each with its options, followed by commas.
std::string enabled(llvm::ArrayRef<const char *> passes, const TargetOptions &options,
                    const LinalgPipelineConfig &config) {
  std::string list;
  for (llvm::StringRef pass : passes) {
    bool required = pass == "lathe-approximate-math" && config.approximateAllMath;
    if (!runs(pass, config) || (!required && options.disables(pass)))
      continue;
    list += pass.str();
    if (pass == "lathe-pack-weights")
      list += "{tile-columns=" + std::to_string(config.tileColumns) + "}";
    else if (pass == "lathe-form-kernels")
      list += "{register-rows=" + std::to_string(config.registerRows) + "}";
    else if (pass == "lathe-approximate-math" && config.approximateAllMath)
      list += "{all}";
    list += ",";
  }
  return list;
}

/// From lathe ops to linalg on tensors, where kernels are counted.
std::string tensorPipeline(const TargetOptions &options, const LinalgPipelineConfig &config) {
  return "func.func(" + enabled(kLayoutPasses, options, config) + "canonicalize),"
         "convert-lathe-to-linalg,"
         "func.func(canonicalize," + enabled(kFusionPasses, options, config) +
         "canonicalize," + enabled(kMemoryPasses, options, config) + "lathe-distinct-results)";
}

/// From linalg on tensors to the LLVM dialect.
std::string bufferPipeline(const TargetOptions &options, const LinalgPipelineConfig &config) {
  // The conversions that do not read `index` from the data layout are told.
  std::string bits = " index-bitwidth=" + std::to_string(config.indexBits);
  // Upstream's vector conversion assumes a 64-bit index.
  std::string vectorToLlvm =
      config.indexBits == 64 ? "convert-vector-to-llvm," : "lathe-lower-vector-to-llvm,";
  std::string registerTile;
  if (config.tileColumns)
    registerTile = "lathe-vectorize-panel-contractions{register-rows=" +
                   std::to_string(config.registerRows) + "},";
  return "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "func.func(buffer-loop-hoisting),"
         "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
         "canonicalize,"
         "lathe-externalize-constants,"
         "lathe-plan-arena,"
         "func.func(lathe-copies-to-linalg," + enabled(kCodegenPasses, options, config) +
         registerTile +
         "convert-linalg-to-loops,loop-invariant-code-motion,"
         "lathe-hoist-invariant-loads),"
         "lower-affine,convert-scf-to-cf,"
         "convert-math-to-llvm,convert-math-to-libm,"
         "expand-strided-metadata,lower-affine," + vectorToLlvm +
         "finalize-memref-to-llvm{" + bits + "},"
         "convert-arith-to-llvm{" + bits + "},convert-cf-to-llvm{" + bits + "},"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv" + bits + "},"
         "convert-index-to-llvm{" + bits + "},reconcile-unrealized-casts";
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

LogicalResult lathe::runPassPipeline(ModuleOp module, const std::string &pipeline,
                                     const TargetOptions &options) {
  prepareContext(module.getContext());
  PassManager pm(module.getContext());
  if (options.printIrAfterAll) {
    module.getContext()->disableMultithreading();
    pm.enableIRPrinting(/*shouldPrintBeforePass=*/nullptr,
                        /*shouldPrintAfterPass=*/[](Pass *, Operation *) { return true; },
                        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
  }
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline(pipeline, pm, errorStream)))
    return module.emitError() << "internal pipeline does not parse: " << error;
  return pm.run(module);
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
  if (failed(runPassPipeline(module, tensorPipeline(options, config), options)))
    return failure();
  // Each top-level loop nest is one kernel of the compiled code: a tiled
  // group (scf.for), a linalg op, or the copy a pad or insertion makes.
  int64_t kernels = 0;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    for (Operation &op : func.getBody().getOps())
      if (isa<scf::ForOp, linalg::LinalgOp, tensor::PadOp, tensor::InsertSliceOp>(op))
        ++kernels;
  module->setAttr(LatheDialect::KernelsAttrHelper::getNameStr(),
                  Builder(context).getI64IntegerAttr(kernels));
  return runPassPipeline(module, bufferPipeline(options, config), options);
}

namespace {

/// Renames the module's one defined function F to an internal kernel and
/// adds `void F(void **io, const uint8_t *constants, uint8_t *arena)` that
/// calls it with io[0..n) followed by constants and arena.
llvm::Expected<std::string> addEntryWrapper(llvm::Module &module) {
  llvm::Function *kernel = nullptr;
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && f.getLinkage() == llvm::GlobalValue::ExternalLinkage)
      kernel = kernel ? nullptr : &f;
  if (!kernel || kernel->arg_size() < 2)
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
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, ptr}, false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, entryName, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value *> args;
  unsigned io = kernel->arg_size() - 2;
  for (unsigned i = 0; i < io; ++i) {
    llvm::Value *slot = b.CreateConstGEP1_32(ptr, entry->getArg(0), i);
    args.push_back(b.CreateLoad(ptr, slot));
  }
  args.push_back(entry->getArg(1));
  args.push_back(entry->getArg(2));
  b.CreateCall(kernel, args);
  b.CreateRetVoid();
  if (llvm::verifyModule(module, &llvm::errs()))
    return fail("the generated LLVM IR does not verify");
  return entryName;
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
  auto entry = addEntryWrapper(*llvmModule);
  if (!entry)
    return entry.takeError();
  optimize(*llvmModule, machine);

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (machine.addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return fail("LLVM cannot emit an object file for " + triple.str());
    codegen.run(*llvmModule);
  }
  return ObjectFile{std::vector<char>(object.begin(), object.end()), *entry};
}

unsigned lathe::vectorBits(llvm::TargetMachine &machine) {
  llvm::LLVMContext context;
  llvm::Module module("probe", context);
  auto *function = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
      llvm::GlobalValue::ExternalLinkage, "probe", module);
  llvm::TypeSize bits = machine.getTargetTransformInfo(*function).getRegisterBitWidth(
      llvm::TargetTransformInfo::RGK_FixedWidthVector);
  return std::max<unsigned>(bits.getFixedValue(), 128);
}
