//===- HostTriple.h - the CPU an artifact's runtime runs on -----*- C++ -*-===//
//
// `lathe compile --host TRIPLE` names the CPU beside the accelerator: it
// runs the runtime and the cpu partitions (a Snapdragon's Oryon cores, an
// Apple M4's). The cpu target emits for it, and the artifact records it so
// that a runtime built for another CPU refuses the artifact.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_HOSTTRIPLE_H
#define LATHE_TARGETS_HOSTTRIPLE_H

#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Triple.h"

namespace lathe {

struct TargetOptions;

struct HostCpu {
  llvm::Triple triple;
  /// The ELF machine of its code (EM_X86_64, EM_AARCH64), as the artifact
  /// records it.
  uint32_t elfMachine;
  /// Whether it is the machine lathe runs on (then `--cpu native` is this
  /// machine's CPU and features).
  bool isBuildMachine;
};

/// The host `options.host` names (normalized: aarch64-linux-gnu is
/// aarch64-unknown-linux-gnu), or this machine's; an error names the hosts
/// lathe's runtime runs on when it is none of them.
llvm::Expected<HostCpu> resolveHost(const TargetOptions &options);

} // namespace lathe

#endif // LATHE_TARGETS_HOSTTRIPLE_H
