//===- LlvmCodegen.h - the linalg-to-LLVM path cpu and hexagon share -*- C++ -*-===//
//
// lathe ops -> linalg on tensors -> one-shot bufferization -> constants and
// arena views -> loops -> LLVM dialect (bare-pointer calling convention) ->
// LLVM IR with an entry wrapper -> LLVM's O3 pipeline -> object. The cpu and
// hexagon targets differ in the LLVM target machine and in a few knobs.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_LLVM_LLVMCODEGEN_H
#define LATHE_TARGETS_LLVM_LLVMCODEGEN_H

#include "targets/Target.h"

namespace llvm {
class Module;
class TargetMachine;
}
namespace mlir {
class OpPassManager;
class PassManager;
} // namespace mlir

namespace lathe {

/// How a target shapes the shared pipeline.
struct LinalgPipelineConfig {
  /// The register tile of matmuls with packed weights (rows by columns);
  /// columns 0 leaves weights unpacked (a core without vector floats).
  int64_t registerRows = 6, tileColumns = 0;
  /// Replace every f32 transcendental by inline polynomials, not only the
  /// ones lathe-approximate-math picks by default (no libm on the target).
  bool approximateAllMath = false;
  /// 8-bit matmuls with constant weights as kernels of this dot-product
  /// instruction (lathe-vectorize-integer-panels' names: hexagon-vrmpy,
  /// x86-vpdpbusd-512, x86-vpdpbusd-256, aarch64-sdot, aarch64-smmla);
  /// empty: generic loops.
  std::string dotProducts;
  /// Bits of `index` (and pointers) on the target.
  unsigned indexBits = 64;
  /// Kernels' tiles run on the runtime's threads: the entry takes the
  /// kernel services (lathe-outline-parallel-loops).
  bool threads = false;
  /// 3x3 convolutions at stride 1 as Winograd F(4x4, 3x3)
  /// (lathe-winograd-convolutions): where multiplications, not memory,
  /// bound the convolutions.
  bool winograd = false;
};

/// The passes of the shared pipeline as `config` shapes it that
/// `--disable-pass` may leave out.
std::vector<std::string> linalgOptionalPasses(const LinalgPipelineConfig &config);

/// Makes every pass, dialect and LLVM IR translation the pipeline needs
/// available in `context`.
void prepareContext(mlir::MLIRContext *context);

/// Runs `pm` on `module`, printing the IR after every pass when the options
/// ask for it.
llvm::LogicalResult runPipeline(mlir::PassManager &pm, mlir::ModuleOp module,
                                const TargetOptions &options);

/// Adds the shared pipeline, shaped by `config` and less the passes the
/// options leave out, to `pm` (anchored on a module).
void buildLinalgPipeline(mlir::OpPassManager &pm, const TargetOptions &options,
                         const LinalgPipelineConfig &config);

/// Lowers a module holding one function of lathe ops to the LLVM dialect.
/// Sets `lathe.kernels` (top-level loop nests at the tensor level) and the
/// arena and constant attributes of the memory passes on the module.
llvm::LogicalResult lowerThroughLinalg(mlir::ModuleOp module, const TargetOptions &options,
                                       const LinalgPipelineConfig &config);

/// Translates the lowered module to LLVM IR for `machine`, wraps its function
/// F as `void F(void **io, const uint8_t *constants, uint8_t *arena)` (and a
/// last `const lathe_kernel_services *` when it takes the services), defines
/// the parallel-for calls of its outlined tiles, runs LLVM's O3 pipeline and
/// emits an ELF object. Returns the object and F.
llvm::Expected<ObjectFile> emitObjectFile(mlir::ModuleOp module, llvm::TargetMachine &machine);

/// `module` (already optimized) as a relocatable object for `machine`.
llvm::Expected<std::vector<char>> emitModuleObject(llvm::Module &module,
                                                   llvm::TargetMachine &machine);

/// The width in bits of the vector registers LLVM's vectorizer uses on
/// `machine` (its preferred width where the cpu has wider ones).
unsigned vectorBits(llvm::TargetMachine &machine);

/// How many vector registers the CPU of `machine` has (16 for AVX2, 32 for
/// AVX-512 and NEON).
unsigned vectorRegisters(llvm::TargetMachine &machine);

} // namespace lathe

#endif // LATHE_TARGETS_LLVM_LLVMCODEGEN_H
