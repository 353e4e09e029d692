//===- ObjectLinker.h - relocatable objects to a loadable ELF ---*- C++ -*-===//
#ifndef LATHE_TARGETS_LLVM_OBJECTLINKER_H
#define LATHE_TARGETS_LLVM_OBJECTLINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace lathe {

/// Links ELF relocatable objects with LLD, in process, into the file
/// `modeArgs` ask for ("-shared" for the host's shared object, "-static" for
/// a Hexagon executable, plus the emulation and entry).
llvm::Expected<std::vector<char>> linkObjects(llvm::ArrayRef<std::vector<char>> objects,
                                              llvm::ArrayRef<std::string> modeArgs);

} // namespace lathe

#endif // LATHE_TARGETS_LLVM_OBJECTLINKER_H
