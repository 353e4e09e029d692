//===- ImportOptionsFlags.h - the import options of several commands -*- C++ -*-===//
#ifndef LATHE_COMPILER_TOOLS_LATHE_IMPORTOPTIONSFLAGS_H
#define LATHE_COMPILER_TOOLS_LATHE_IMPORTOPTIONSFLAGS_H

#include "compiler/importer/OnnxImporter.h"

#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>

namespace lathe::driver {

/// --input-shape NAME=D0,D1,... (repeated) and, where a command keeps a
/// decoder's cache, --kv-cache N: one set of options per subcommand.
class ImportOptionsFlags {
public:
  ImportOptionsFlags(llvm::cl::SubCommand &command, bool kvCache);
  /// Fills `options`; the error's text if a flag's value is wrong.
  std::optional<std::string> apply(ImportOptions &options) const;

private:
  llvm::cl::list<std::string> inputShapes;
  std::optional<llvm::cl::opt<std::string>> kvCache;
};

} // namespace lathe::driver

#endif // LATHE_COMPILER_TOOLS_LATHE_IMPORTOPTIONSFLAGS_H
