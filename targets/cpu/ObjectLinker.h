//===- ObjectLinker.h - relocatable object to shared object -----*- C++ -*-===//
#ifndef LATHE_TARGETS_CPU_OBJECTLINKER_H
#define LATHE_TARGETS_CPU_OBJECTLINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace lathe {

/// Links one ELF relocatable object into a shared object with LLD, in
/// process. `extraArgs` are passed to ld.lld (e.g. the emulation).
llvm::Expected<std::vector<char>> linkSharedObject(llvm::ArrayRef<char> object,
                                                   llvm::ArrayRef<std::string> extraArgs = {});

} // namespace lathe

#endif // LATHE_TARGETS_CPU_OBJECTLINKER_H
