//===- CpuTarget.h - the host CPU target ------------------------*- C++ -*-===//
#ifndef LATHE_TARGETS_CPU_CPUTARGET_H
#define LATHE_TARGETS_CPU_CPUTARGET_H

#include "targets/Target.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace llvm {
class TargetMachine;
}
namespace mlir {
class OpPassManager;
}

namespace lathe {
std::unique_ptr<Target> createCpuTarget();

/// The LLVM target machine for the host (`--host`, else this machine) and
/// `options.cpu`; an unknown CPU is refused in one line.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCpuTargetMachine(const TargetOptions &options);

/// Adds the cpu target's lowering pipeline for `options` (its --cpu and the
/// passes it leaves out) to `pm`, anchored on a module: lathe ops to the LLVM
/// dialect. The target's lower() runs it.
llvm::Error buildCpuPipeline(mlir::OpPassManager &pm, const TargetOptions &options);

/// Registers it as the pass pipeline `lathe-cpu-pipeline{host=... cpu=... disable-pass=...}`
/// (lathe-opt --lathe-cpu-pipeline).
void registerCpuPipeline();
} // namespace lathe

#endif // LATHE_TARGETS_CPU_CPUTARGET_H
