//===- AneTarget.cpp - the Apple Neural Engine target ---------------------===//
//
// The Neural Engine is reached only through Core ML: each ane partition
// becomes an ML Program (MilEmitter) in an .mlpackage (MlPackage) that Core
// ML places on the ANE. What the ANE takes: fp16 compute (the program is
// fp16 throughout, so f32 tensors qualify), rank at most 5 and every dim at
// most 16384, and the ops the emitter writes; gathers, scatters, top-k,
// integer ops and the like stay on the cpu. 8-bit weights (a
// DequantizeLinear of constants, as `--quantize weights-int8` writes them)
// stay 8-bit in the package and are fp16 once Core ML loads it.
//
//===----------------------------------------------------------------------===//
#include "targets/ane/AneTarget.h"

#include "lathe/artifact_format.h"
#include "targets/ane/MilEmitter.h"
#include "targets/ane/MlPackage.h"
#include "targets/llvm/LlvmCodegen.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace lathe;

namespace {

constexpr int64_t kMaxRank = 5;
constexpr int64_t kMaxDim = 16384;

/// Linear layers as 1x1 convolutions over (B, C, 1, S), S padded to whole
/// 64-byte lines of fp16 (32 values); attention one head at a time; then the
/// transposes the first puts at the layers' edges sunk until they cancel
/// between layers.
constexpr const char *kRewritePasses[] = {"lathe-linear-to-conv", "lathe-split-attention-heads",
                                          "lathe-sink-transposes"};

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// An f32 tensor the ANE can hold.
bool aneTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32() && tensor.getRank() <= kMaxRank &&
         llvm::all_of(tensor.getShape(), [](int64_t d) { return d >= 1 && d <= kMaxDim; });
}

std::string locationText(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

class AneTarget final : public Target {
public:
  uint32_t kind() const override { return LATHE_TARGET_ANE; }

  bool supports(Operation *op) const override {
    // A dequantized constant's 8-bit operands stay in the package
    // (constexpr_affine_dequantize); the ANE only sees its fp16 result.
    bool constantOperands = isa<DequantizeLinearOp>(op);
    return op->getDialect() && op->getDialect()->getNamespace() == "lathe" &&
           ane::emitsOp(op) &&
           (constantOperands || llvm::all_of(op->getOperandTypes(), aneTensor)) &&
           llvm::all_of(op->getResultTypes(), aneTensor);
  }

  std::string declines(Operation *op) const override { return ane::coreMlRuleBroken(op); }

  std::vector<std::string> optionalPasses() const override {
    return {std::begin(kRewritePasses), std::end(kRewritePasses)};
  }

  /// ANE-friendly rewriting in the lathe dialect; emit() writes the result
  /// as MIL.
  LogicalResult lower(ModuleOp module, const TargetOptions &options) override {
    // The Neural Engine lays the last dim out in 64-byte lines: 32 fp16s.
    constexpr int64_t line = 32;
    PassManager pm(module.getContext());
    OpPassManager &rewrite = pm.nest<func::FuncOp>();
    std::unique_ptr<Pass> passes[] = {createConvertLinearToConv(ConvertLinearToConvOptions{line}),
                                      createSplitAttentionHeads(SplitAttentionHeadsOptions{line}),
                                      createSinkTransposes()};
    for (std::unique_ptr<Pass> &pass : passes)
      if (!options.disables(pass->getArgument()))
        rewrite.addPass(std::move(pass));
    rewrite.addPass(createCanonicalizerPass());
    return runPipeline(pm, module, options);
  }

  llvm::Expected<ObjectFile> emit(ModuleOp module, const TargetOptions &) override {
    auto funcs = module.getOps<func::FuncOp>();
    if (std::distance(funcs.begin(), funcs.end()) != 1)
      return fail("an ane partition is one function");
    func::FuncOp func = *funcs.begin();
    auto program = ane::emitMlProgram(func);
    if (!program)
      return program.takeError();
    ane::MlPackage package = ane::makePackage(func.getSymName(), std::move(program->model),
                                              std::move(program->weights));
    std::vector<uint8_t> bytes = ane::serializePackages({package});
    std::vector<std::string> warnings;
    for (const std::string &warning : program->rangeWarnings)
      warnings.push_back(func.getSymName().str() + ": " + warning);
    // Ops whose results grow without bound in their operands' magnitude.
    func.walk([&](Operation *op) {
      if (isa<ExpOp, PowOp, ReduceProdOp, ReduceSumSquareOp>(op))
        warnings.push_back(func.getSymName().str() + ": " + op->getName().getStringRef().str() +
                           " at " + locationText(op->getLoc()) +
                           " may exceed fp16's range (65504) on the ane");
    });
    return ObjectFile{std::vector<char>(bytes.begin(), bytes.end()), func.getSymName().str(),
                      std::move(warnings)};
  }

  /// The code section: every partition's package, in step order.
  llvm::Expected<std::vector<char>> link(llvm::ArrayRef<ObjectFile> objects,
                                         const TargetOptions &) override {
    std::vector<ane::MlPackage> packages;
    for (const ObjectFile &object : objects) {
      auto one = ane::deserializePackages(llvm::ArrayRef<uint8_t>(
          reinterpret_cast<const uint8_t *>(object.bytes.data()), object.bytes.size()));
      if (!one)
        return one.takeError();
      for (ane::MlPackage &package : *one)
        packages.push_back(std::move(package));
    }
    std::vector<uint8_t> bytes = ane::serializePackages(packages);
    return std::vector<char>(bytes.begin(), bytes.end());
  }
};

} // namespace

std::unique_ptr<Target> lathe::createAneTarget() { return std::make_unique<AneTarget>(); }
