//===- CLibraryWriter.h - a compiled model as a C library -------*- C++ -*-===//
//
// `lathe compile --emit-c-library DIR`: the cpu partitions' objects and a
// small compiled driver of their plan, as DIR/lib<name>.a with a header
// DIR/<name>.h whose C API is typed for the model:
//
//   int  <name>_create(<name>_model **model);          weights linked in
//   int  <name>_create_from_file(const char *path, <name>_model **model);
//                                                       weights in <name>.weights
//   int  <name>_run(<name>_model *model, const float *x, ..., float *y, ...);
//   void <name>_release(<name>_model *model);
//
// with each tensor's shape and bytes as constants. Nothing is loaded at run
// time (no runtime, no dlopen, no LLVM): the program links the library (and
// libm) and calls the model's code directly, on its own thread.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_PIPELINE_CLIBRARYWRITER_H
#define LATHE_COMPILER_PIPELINE_CLIBRARYWRITER_H

#include "compiler/pipeline/ArtifactWriter.h"
#include "targets/Target.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace lathe {

struct CLibraryOptions {
  /// The C prefix of every symbol and the files' names.
  std::string name;
  /// The weights in the library's data, or in DIR/<name>.weights, mapped
  /// by <name>_create_from_file.
  bool linkWeights = true;
};

/// Whether `name` can prefix C identifiers (letters, digits, _; no digit first).
bool isCLibraryName(llvm::StringRef name);

/// Writes `artifact` (compiled with keepCpuObjects and the entry prefix
/// "<name>_step") as a C library into `directory`. `model` names the source
/// in the header.
llvm::Error writeCLibrary(const Artifact &artifact, const TargetOptions &target,
                          const CLibraryOptions &options, llvm::StringRef directory,
                          llvm::StringRef model);

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_CLIBRARYWRITER_H
