//===- HexagonTarget.cpp - the Qualcomm Hexagon DSP target ----------------===//
//
// The shared linalg-to-LLVM path (targets/llvm/) for the Hexagon DSP: 32-bit
// index, every f32 function as inline polynomials (the DSP side has no
// libm), LLVM's Hexagon backend with HVX (128-byte vectors) for integer
// loops; the partitions, their entry table and the DSP side of the runtime
// (runtime/dsp/) linked by LLD into one static executable image.
//
// The default build runs under qemu-hexagon 7.2 (CPU v67, integer HVX v66):
// code for hexagonv66 with +hvxv66. --hexagon-arch v68, v73 or v75 emits
// for a device, with HVX floating point; QEMU 7.2 cannot run those.
//
//===----------------------------------------------------------------------===//
#include "targets/hexagon/HexagonTarget.h"

#include "lathe/artifact_format.h"
#include "targets/llvm/LlvmCodegen.h"
#include "targets/llvm/ObjectLinker.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <mutex>

extern const unsigned char lathe_dsp_runtime_object[];
extern const unsigned long lathe_dsp_runtime_object_size;

using namespace mlir;
using namespace lathe;

namespace {

constexpr const char *kTriple = "hexagon-unknown-linux-musl";

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Element types the DSP side computes in: integers and f32 on the scalar
/// core (f16, bf16 and f64 would need soft-float helpers it does not carry).
bool computable(Type type) {
  Type element = getElementTypeOrSelf(type);
  if (auto integer = dyn_cast<IntegerType>(element))
    return integer.getWidth() <= 64;
  return element.isF32() || element.isIndex();
}

/// LLVM's Hexagon backend takes two settings only as command-line options:
/// vectorize for HVX, and keep no data in the small-data section (the DSP
/// side does not set up the global pointer it needs).
void setBackendOptions() {
  static std::once_flag set;
  std::call_once(set, [] {
    auto &options = llvm::cl::getRegisteredOptions();
    if (auto *autoHvx = options.lookup("hexagon-autohvx"))
      autoHvx->addOccurrence(0, "hexagon-autohvx", "true");
    if (auto *smallData = options.lookup("hexagon-small-data-threshold"))
      smallData->addOccurrence(0, "hexagon-small-data-threshold", "0");
  });
}

class HexagonTarget final : public Target {
public:
  uint32_t kind() const override { return LATHE_TARGET_HEXAGON; }
  std::vector<std::string> optionalPasses() const override {
    return linalgOptionalPasses(pipelineConfig());
  }

  bool computesInIntegers() const override { return true; }

  bool supports(Operation *op) const override {
    if (!op->getDialect() || op->getDialect()->getNamespace() != "lathe")
      return false;
    // pow is exp(y log x) on the DSP side, which gets neither a negative
    // base right nor integers exactly: the cpu runs it.
    if (isa<PowOp>(op))
      return false;
    if (auto resize = dyn_cast<ResizeOp>(op))
      if (resize.getMode() == "cubic" ||
          resize.getCoordinateTransformationMode() == "tf_crop_and_resize")
        return false;
    return llvm::all_of(op->getOperandTypes(), computable) &&
           llvm::all_of(op->getResultTypes(), computable);
  }

  /// Data movement and single-operation elementwise ops are bound by memory
  /// on the DSP as on the cpu; between two cpu ops they only add crossings.
  bool repaysCrossing(Operation *op) const override {
    return !isa<ReshapeOp, TransposeOp, ConcatOp, SplitOp, SliceOp, GatherOp, GatherElementsOp,
                GatherNDOp, ExpandOp, TileOp, PadOp, DepthToSpaceOp, SpaceToDepthOp, CastOp,
                AddOp, SubOp, MulOp, MaxOp, MinOp, NegOp, AbsOp, ReluOp, ClipOp, WhereOp, AndOp,
                OrOp, XorOp, NotOp, EqualOp, LessOp, GreaterOp, LessOrEqualOp, GreaterOrEqualOp>(
        op);
  }

  LogicalResult lower(ModuleOp module, const TargetOptions &options) override {
    auto machine = createMachine(options);
    if (!machine)
      return module.emitError() << llvm::toString(machine.takeError());
    return lowerThroughLinalg(module, options, pipelineConfig());
  }

  llvm::Expected<ObjectFile> emit(ModuleOp module, const TargetOptions &options) override {
    auto machine = createMachine(options);
    if (!machine)
      return machine.takeError();
    return emitObjectFile(module, **machine);
  }

  llvm::Expected<std::vector<char>> link(llvm::ArrayRef<ObjectFile> objects,
                                         const TargetOptions &options) override {
    auto machine = createMachine(options);
    if (!machine)
      return machine.takeError();
    std::vector<std::vector<char>> files;
    for (const ObjectFile &object : objects)
      files.push_back(object.bytes);
    auto table = entryTable(objects, **machine);
    if (!table)
      return table.takeError();
    files.push_back(std::move(*table));
    files.emplace_back(lathe_dsp_runtime_object,
                       lathe_dsp_runtime_object + lathe_dsp_runtime_object_size);
    return linkObjects(files, {"-static", "--entry=_start", "--gc-sections"});
  }

private:
  /// No libm, 32-bit index, vrmpy for 8-bit products; no f32 register
  /// tile (v66 HVX has no float vectors).
  static LinalgPipelineConfig pipelineConfig() {
    LinalgPipelineConfig config;
    config.approximateAllMath = true;
    config.indexBits = 32;
    config.dotProducts = "hexagon-vrmpy";
    return config;
  }

  static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
  createMachine(const TargetOptions &options) {
    static std::once_flag initialized;
    std::call_once(initialized, [] {
      LLVMInitializeHexagonTargetInfo();
      LLVMInitializeHexagonTarget();
      LLVMInitializeHexagonTargetMC();
      LLVMInitializeHexagonAsmPrinter();
    });
    setBackendOptions();
    std::string cpu, features;
    if (options.hexagonArch.empty()) {
      cpu = "hexagonv66";
      features = "+hvxv66,+hvx-length128b";
    } else if (options.hexagonArch == "v68" || options.hexagonArch == "v73" ||
               options.hexagonArch == "v75") {
      std::string v = options.hexagonArch.substr(1);
      cpu = "hexagonv" + v;
      features = "+hvxv" + v + ",+hvx-length128b,+hvx-ieee-fp";
      if (v != "68")
        features += ",+hvx-qfloat";
    } else {
      return fail("unknown --hexagon-arch '" + options.hexagonArch + "' (v68, v73 or v75)");
    }
    llvm::Triple triple(kTriple);
    std::string error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return fail("this LLVM has no Hexagon backend: " + error);
    llvm::TargetOptions targetOptions;
    std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
        triple, cpu, features, targetOptions, llvm::Reloc::Static, std::nullopt,
        llvm::CodeGenOptLevel::Aggressive));
    if (!machine)
      return fail("LLVM cannot target " + cpu);
    return machine;
  }

  /// The object defining the table the DSP side looks entries up in:
  /// lathe_dsp_entries[] = {{name, function}...}, lathe_dsp_entry_count.
  static llvm::Expected<std::vector<char>> entryTable(llvm::ArrayRef<ObjectFile> objects,
                                                      llvm::TargetMachine &machine) {
    llvm::LLVMContext context;
    llvm::Module module("lathe_dsp_entries", context);
    module.setTargetTriple(machine.getTargetTriple());
    module.setDataLayout(machine.createDataLayout());
    llvm::Type *ptr = llvm::PointerType::get(context, 0);
    auto *entryType = llvm::StructType::get(context, {ptr, ptr});
    auto *functionType = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, ptr, ptr}, false);
    std::vector<llvm::Constant *> entries;
    for (const ObjectFile &object : objects) {
      llvm::Constant *name = llvm::ConstantDataArray::getString(context, object.entry);
      auto *nameGlobal = new llvm::GlobalVariable(module, name->getType(), true,
                                                  llvm::GlobalValue::PrivateLinkage, name);
      llvm::Function *function = llvm::Function::Create(
          functionType, llvm::GlobalValue::ExternalLinkage, object.entry, module);
      entries.push_back(llvm::ConstantStruct::get(entryType, {nameGlobal, function}));
    }
    auto *arrayType = llvm::ArrayType::get(entryType, entries.size());
    new llvm::GlobalVariable(module, arrayType, true, llvm::GlobalValue::ExternalLinkage,
                             llvm::ConstantArray::get(arrayType, entries), "lathe_dsp_entries");
    new llvm::GlobalVariable(module, llvm::Type::getInt32Ty(context), true,
                             llvm::GlobalValue::ExternalLinkage,
                             llvm::ConstantInt::get(llvm::Type::getInt32Ty(context), entries.size()),
                             "lathe_dsp_entry_count");
    llvm::SmallVector<char, 0> object;
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (machine.addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return fail("LLVM cannot emit a Hexagon object");
    codegen.run(module);
    return std::vector<char>(object.begin(), object.end());
  }
};

} // namespace

std::unique_ptr<Target> lathe::createHexagonTarget() { return std::make_unique<HexagonTarget>(); }
