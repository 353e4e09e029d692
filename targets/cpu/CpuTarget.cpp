//===- CpuTarget.cpp - the host CPU target --------------------------------===//
//
// The shared linalg-to-LLVM path (targets/llvm/) for the host: vector
// registers as wide as LLVM's vectorizer uses them, weights packed in
// panels two registers wide, and the partitions linked into one shared
// object the runtime loads from memory.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/CpuTarget.h"

#include "lathe/artifact_format.h"
#include "targets/HostTriple.h"
#include "targets/llvm/LlvmCodegen.h"
#include "targets/llvm/ObjectLinker.h"

#include "dialects/lathe/LatheDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <mutex>

using namespace mlir;
using namespace lathe;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

class CpuTarget final : public Target {
public:
  uint32_t kind() const override { return LATHE_TARGET_CPU; }
  std::vector<std::string> optionalPasses() const override {
    // The same passes at any vector width, and with 8-bit dot products.
    return linalgOptionalPasses(pipelineConfig(128, 16, "x86-vpdpbusd-256"));
  }

  bool computesInIntegers() const override { return true; }

  bool supports(Operation *op) const override {
    if (auto resize = dyn_cast<ResizeOp>(op))
      return resize.getMode() != "cubic" &&
             resize.getCoordinateTransformationMode() != "tf_crop_and_resize";
    return op->getDialect() && op->getDialect()->getNamespace() == "lathe";
  }

  LogicalResult lower(ModuleOp module, const TargetOptions &options) override {
    PassManager pm(module.getContext());
    if (auto err = buildCpuPipeline(pm, options))
      return module.emitError() << llvm::toString(std::move(err));
    return runPipeline(pm, module, options);
  }

  llvm::Expected<ObjectFile> emit(ModuleOp module, const TargetOptions &options) override {
    auto machine = createCpuTargetMachine(options);
    if (!machine)
      return machine.takeError();
    return emitObjectFile(module, **machine);
  }

  llvm::Expected<std::vector<char>> link(llvm::ArrayRef<ObjectFile> objects,
                                         const TargetOptions &) override {
    std::vector<std::vector<char>> files;
    for (const ObjectFile &object : objects)
      files.push_back(object.bytes);
    return linkObjects(files, {"-shared", "--hash-style=gnu"});
  }

private:
  /// A register tile of up to 6 rows by two vector registers of floats: 12
  /// accumulators, two panel vectors and one broadcast fit in the 16
  /// registers of AVX2; with the 32 of AVX-512 or NEON, up to 12 rows (24
  /// accumulators).
public:
  static LinalgPipelineConfig pipelineConfig(unsigned vectorBits, unsigned vectorRegisters,
                                             llvm::StringRef dotProducts) {
    LinalgPipelineConfig config;
    config.dotProducts = dotProducts.str();
    config.registerRows = vectorRegisters >= 32 ? 12 : 6;
    config.tileColumns = 2 * (int64_t)vectorBits / 32;
    config.threads = true;
    config.winograd = true;
    return config;
  }

  /// ", a CPU of aarch64: add --host aarch64-linux-gnu" when `cpu` is a
  /// CPU of the other host family lathe emits for.
  static std::string otherHostOf(llvm::StringRef cpu, const llvm::Triple &triple) {
    for (const char *other : {"x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"}) {
      llvm::Triple candidate(other);
      if (candidate.getArch() == triple.getArch())
        continue;
      std::string error;
      const llvm::Target *target = llvm::TargetRegistry::lookupTarget(candidate, error);
      if (!target)
        continue;
      std::unique_ptr<llvm::MCSubtargetInfo> info(
          target->createMCSubtargetInfo(candidate, "", ""));
      if (info && info->isCPUStringValid(cpu))
        return (", a CPU of " + candidate.getArchName() + ": add --host " +
                candidate.getArchName() + "-linux-gnu")
            .str();
    }
    return "";
  }
};

} // namespace

/// The 8-bit dot-product instruction of the machine's CPU, as
/// lathe-vectorize-integer-panels names it: AVX512-VNNI on whole registers
/// where LLVM uses 512-bit vectors, on 256 bits with VL or AVX-VNNI; on
/// AArch64, smmla where the CPU has the 8-bit matrix multiply (twice the
/// products of sdot per instruction), else sdot where it has the dot
/// product; otherwise none (the generic loops).
static std::string dotProductsOf(llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isAArch64())
    return info->checkFeatures("+i8mm")      ? "aarch64-smmla"
           : info->checkFeatures("+dotprod") ? "aarch64-sdot"
                                             : "";
  if (!machine.getTargetTriple().isX86())
    return "";
  bool vnni512 = info->checkFeatures("+avx512vnni,+avx512bw");
  if (vnni512 && vectorBits(machine) >= 512)
    return "x86-vpdpbusd-512";
  if ((vnni512 && info->checkFeatures("+avx512vl")) || info->checkFeatures("+avxvnni"))
    return "x86-vpdpbusd-256";
  return "";
}

std::unique_ptr<Target> lathe::createCpuTarget() { return std::make_unique<CpuTarget>(); }

/// The LLVM target machine for the host (`--host`, else this machine)
/// and `options.cpu`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
lathe::createCpuTargetMachine(const TargetOptions &options) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
  auto host = resolveHost(options);
  if (!host)
    return host.takeError();
  const llvm::Triple &triple = host->triple;
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return fail("no LLVM target for " + triple.str() + ": " + error);
  // "native" is this machine's CPU and features; for another host, its
  // architecture's baseline (the user names the device's CPU with --cpu).
  bool native = options.cpu == "native";
  std::string cpu = !native ? options.cpu
                    : host->isBuildMachine ? llvm::sys::getHostCPUName().str()
                                           : "generic";
  std::string features;
  if (native && host->isBuildMachine) {
    llvm::SubtargetFeatures f;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(feature, enabled);
    features = f.getString();
  }
  // Checked before LLVM sees it: a machine for an unknown CPU is made
  // anyway, with a warning of LLVM's own on stderr.
  std::unique_ptr<llvm::MCSubtargetInfo> cpus(target->createMCSubtargetInfo(triple, "", ""));
  if (!cpus || !cpus->isCPUStringValid(cpu))
    return fail("unknown --cpu '" + cpu + "' for host " + triple.str() + CpuTarget::otherHostOf(cpu, triple));
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return fail("LLVM does not know the cpu '" + cpu + "'");
  return machine;
}


llvm::Error lathe::buildCpuPipeline(OpPassManager &pm, const TargetOptions &options) {
  auto machine = createCpuTargetMachine(options);
  if (!machine)
    return machine.takeError();
  buildLinalgPipeline(pm, options,
                      CpuTarget::pipelineConfig(vectorBits(**machine), vectorRegisters(**machine),
                                                dotProductsOf(**machine)));
  return llvm::Error::success();
}

namespace {

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<std::string> host{*this, "host",
                           llvm::cl::desc("the host triple (aarch64-linux-gnu); default: this machine")};
  Option<std::string> cpu{*this, "cpu", llvm::cl::desc("the CPU to compile for (LLVM's names)"),
                          llvm::cl::init("native")};
  ListOption<std::string> disablePass{*this, "disable-pass",
                                      llvm::cl::desc("optional passes to leave out")};
};

} // namespace

void lathe::registerCpuPipeline() {
  registerPassPipeline(
      "lathe-cpu-pipeline",
      "the cpu target's lowering of a partition of lathe ops to the LLVM dialect",
      [](OpPassManager &pm, llvm::StringRef text,
         llvm::function_ref<LogicalResult(const llvm::Twine &)> errorHandler) -> LogicalResult {
        std::unique_ptr<CpuPipelineOptions> given = CpuPipelineOptions::createFromString(text);
        if (!given)
          return errorHandler("lathe-cpu-pipeline: options '" + text + "' do not parse");
        TargetOptions options;
        options.host = given->host;
        options.cpu = given->cpu;
        options.disabledPasses.assign(given->disablePass.begin(), given->disablePass.end());
        if (auto err = buildCpuPipeline(pm, options))
          return errorHandler("lathe-cpu-pipeline: " + llvm::toString(std::move(err)));
        return success();
      },
      [](llvm::function_ref<void(const mlir::detail::PassOptions &)> describe) {
        describe(CpuPipelineOptions());
      });
}
