//===- CpuTarget.cpp - the host CPU target --------------------------------===//
//
// lathe ops -> linalg on tensors -> one-shot bufferization -> constants and
// arena views -> loops -> LLVM dialect (bare-pointer calling convention) ->
// LLVM IR with an entry wrapper -> LLVM's O3 pipeline for the host CPU ->
// object -> shared object (LLD, in process).
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/CpuTarget.h"
#include "targets/cpu/ObjectLinker.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/MC/MCSubtargetInfo.h"

using namespace mlir;
using namespace lathe;

namespace {

constexpr const char *kKernelName = "lathe_cpu_main";
constexpr const char *kEntryName = "lathe_cpu_entry";

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Passes a user may leave out with --disable-pass, beside the layout and
/// fusion groups of Target.h.
constexpr const char *kMemoryPasses[] = {"lathe-reorder-for-peak-memory"};
constexpr const char *kCodegenPasses[] = {"lathe-approximate-math"};

/// The register tile of matmuls with packed weights: rows by columns.
struct RegisterTile {
  int64_t rows, columns;
};

/// The passes of a group the user has not disabled, each with the options
/// the register tile sets, followed by commas.
std::string enabled(llvm::ArrayRef<const char *> passes, const TargetOptions &options,
                    RegisterTile tile) {
  std::string list;
  for (llvm::StringRef pass : passes) {
    if (llvm::is_contained(options.disabledPasses, pass))
      continue;
    list += pass.str();
    if (pass == "lathe-pack-weights")
      list += "{tile-columns=" + std::to_string(tile.columns) + "}";
    else if (pass == "lathe-form-kernels")
      list += "{register-rows=" + std::to_string(tile.rows) + "}";
    list += ",";
  }
  return list;
}

/// The pass pipelines (on the module) from lathe ops to linalg on tensors
/// (where kernels are counted), then to the LLVM dialect.
std::string tensorPipeline(const TargetOptions &options, RegisterTile tile) {
  return "func.func(" + enabled(kLayoutPasses, options, tile) + "canonicalize),"
         "convert-lathe-to-linalg,"
         "func.func(canonicalize," + enabled(kFusionPasses, options, tile) +
         "canonicalize," + enabled(kMemoryPasses, options, tile) + "lathe-distinct-results)";
}

std::string bufferPipeline(const TargetOptions &options, RegisterTile tile) {
  return "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "func.func(buffer-loop-hoisting),"
         "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
         "canonicalize,"
         "lathe-externalize-constants,"
         "lathe-plan-arena,"
         "func.func(lathe-copies-to-linalg," + enabled(kCodegenPasses, options, tile) +
         "lathe-vectorize-panel-contractions{register-rows=" + std::to_string(tile.rows) + "},"
         "convert-linalg-to-loops,loop-invariant-code-motion,"
         "lathe-hoist-invariant-loads),"
         "lower-affine,convert-scf-to-cf,"
         "convert-math-to-llvm,convert-math-to-libm,"
         "expand-strided-metadata,lower-affine,convert-vector-to-llvm,finalize-memref-to-llvm,"
         "convert-arith-to-llvm,convert-cf-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
         "convert-index-to-llvm,reconcile-unrealized-casts";
}

/// Makes the passes, bufferization models and LLVM IR translations the
/// pipelines use available (once per process and context).
void prepare(MLIRContext *context) {
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

LogicalResult runPipeline(ModuleOp module, const std::string &pipeline,
                          const TargetOptions &options) {
  prepare(module.getContext());
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

class CpuTarget final : public Target {
public:
  llvm::StringRef name() const override { return "cpu"; }
  uint32_t kind() const override { return 1; }
  std::vector<std::string> optionalPasses() const override {
    std::vector<std::string> passes(std::begin(kLayoutPasses), std::end(kLayoutPasses));
    passes.insert(passes.end(), std::begin(kFusionPasses), std::end(kFusionPasses));
    passes.insert(passes.end(), std::begin(kMemoryPasses), std::end(kMemoryPasses));
    passes.insert(passes.end(), std::begin(kCodegenPasses), std::end(kCodegenPasses));
    return passes;
  }

  bool supports(Operation *op) const override {
    if (auto resize = dyn_cast<ResizeOp>(op))
      return resize.getMode() != "cubic" &&
             resize.getCoordinateTransformationMode() != "tf_crop_and_resize";
    return op->getDialect() && op->getDialect()->getNamespace() == "lathe";
  }

  LogicalResult lower(ModuleOp module, const TargetOptions &options) override {
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        func.setSymName(kKernelName);
    auto machine = createMachine(options);
    if (!machine)
      return module.emitError() << llvm::toString(machine.takeError());
    // A register tile of 6 rows by two vector registers of floats: 12
    // accumulators, two panel vectors and one broadcast fit in the 16
    // registers of AVX2 (and leave half of AVX-512's or NEON's 32 free).
    RegisterTile tile{6, 2 * (int64_t)vectorBits(**machine) / 32};
    if (failed(runPipeline(module, tensorPipeline(options, tile), options)))
      return failure();
    // Each top-level loop nest is one kernel of the compiled code: a tiled
    // group (scf.for), a linalg op, or the copy a pad or insertion makes.
    int64_t kernels = 0;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (Operation &op : func.getBody().getOps())
        if (isa<scf::ForOp, linalg::LinalgOp, tensor::PadOp, tensor::InsertSliceOp>(op))
          ++kernels;
    module->setAttr("lathe.kernels", Builder(module.getContext()).getI64IntegerAttr(kernels));
    return runPipeline(module, bufferPipeline(options, tile), options);
  }

  llvm::Expected<CodeBlob> emit(ModuleOp module, const TargetOptions &options) override {

    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
    if (!llvmModule)
      return fail("the lowered module does not translate to LLVM IR");

    auto machine = createMachine(options);
    if (!machine)
      return machine.takeError();
    llvm::Triple triple = (*machine)->getTargetTriple();
    llvmModule->setTargetTriple(triple);
    llvmModule->setDataLayout((*machine)->createDataLayout());

    if (auto err = addEntryWrapper(*llvmModule))
      return std::move(err);
    optimize(*llvmModule, **machine);

    llvm::SmallVector<char, 0> object;
    {
      llvm::raw_svector_ostream os(object);
      llvm::legacy::PassManager codegen;
      if ((*machine)->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
        return fail("LLVM cannot emit an object file for " + triple.str());
      codegen.run(*llvmModule);
    }
    auto shared = linkSharedObject(object);
    if (!shared)
      return shared.takeError();
    return CodeBlob{std::move(*shared), kEntryName};
  }

private:
  /// The LLVM target machine for the host triple and `options.cpu`.
  static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
  createMachine(const TargetOptions &options) {
    static std::once_flag initialized;
    std::call_once(initialized, [] {
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
    });
    llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
    std::string error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return fail("no LLVM target for " + triple.str() + ": " + error);
    std::string cpu = options.cpu == "native" ? llvm::sys::getHostCPUName().str() : options.cpu;
    std::string features;
    if (options.cpu == "native") {
      llvm::SubtargetFeatures f;
      for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
        f.AddFeature(feature, enabled);
      features = f.getString();
    }
    llvm::TargetOptions targetOptions;
    std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
        triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
        llvm::CodeGenOptLevel::Aggressive));
    if (!machine)
      return fail("LLVM does not know the cpu '" + cpu + "'");
    if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu))
      return fail("unknown --cpu '" + cpu + "' for " + triple.str());
    return machine;
  }

  /// The width in bits of the vector registers LLVM's vectorizer uses on
  /// `machine` (its preferred width where the cpu has wider ones).
  static unsigned vectorBits(llvm::TargetMachine &machine) {
    llvm::LLVMContext context;
    llvm::Module module("probe", context);
    auto *function = llvm::Function::Create(
        llvm::FunctionType::get(llvm::Type::getVoidTy(context), false),
        llvm::GlobalValue::ExternalLinkage, "probe", module);
    llvm::TypeSize bits = machine.getTargetTransformInfo(*function).getRegisterBitWidth(
        llvm::TargetTransformInfo::RGK_FixedWidthVector);
    return std::max<unsigned>(bits.getFixedValue(), 128);
  }

  /// void lathe_cpu_entry(void **io, const uint8_t *constants, uint8_t *arena)
  /// calls the kernel with io[0..n) followed by constants and arena.
  static llvm::Error addEntryWrapper(llvm::Module &module) {
    llvm::Function *kernel = module.getFunction(kKernelName);
    if (!kernel || kernel->arg_size() < 2)
      return fail("the lowered module lacks its kernel function");
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
    auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, kEntryName, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
    std::vector<llvm::Value *> args;
    unsigned io = kernel->arg_size() - 2;
    for (unsigned i = 0; i < io; ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, entry->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    args.push_back(entry->getArg(1));
    args.push_back(entry->getArg(2));
    b.CreateCall(kernel, args);
    b.CreateRetVoid();
    if (llvm::verifyModule(module, &llvm::errs()))
      return fail("the generated LLVM IR does not verify");
    return llvm::Error::success();
  }

  static void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
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
};

} // namespace

std::unique_ptr<Target> lathe::createCpuTarget() { return std::make_unique<CpuTarget>(); }
