//===- CpuTarget.h - the host CPU target ------------------------*- C++ -*-===//
#ifndef LATHE_TARGETS_CPU_CPUTARGET_H
#define LATHE_TARGETS_CPU_CPUTARGET_H

#include "targets/Target.h"

namespace mlir {
class OpPassManager;
}

namespace lathe {
std::unique_ptr<Target> createCpuTarget();

/// Adds the cpu target's lowering pipeline for `options` (its --cpu and the
/// passes it leaves out) to `pm`, anchored on a module: lathe ops to the LLVM
/// dialect. The target's lower() runs it.
llvm::Error buildCpuPipeline(mlir::OpPassManager &pm, const TargetOptions &options);

/// Registers it as the pass pipeline `lathe-cpu-pipeline{host=... cpu=... disable-pass=...}`
/// (lathe-opt --lathe-cpu-pipeline).
void registerCpuPipeline();
} // namespace lathe

#endif // LATHE_TARGETS_CPU_CPUTARGET_H
