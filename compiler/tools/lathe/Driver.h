//===- Driver.h - what the lathe driver's commands share --------*- C++ -*-===//
//
// The driver is LLVM's command-line library over subcommands: each command
// file defines its options in its subcommand and a run function main calls
// when that subcommand was given. The subcommands are function-local statics
// because options in one file name the subcommands of others (quantization's
// options belong to both compile and quantize).
//
// Every failure is one line on stderr, "lathe: error: WHERE: WHAT", and exit
// code 1.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_TOOLS_LATHE_DRIVER_H
#define LATHE_COMPILER_TOOLS_LATHE_DRIVER_H

#include "lathe/lathe.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/CommandLine.h"

#include <memory>
#include <optional>
#include <string>

namespace lathe::driver {

llvm::cl::SubCommand &importCommand();
llvm::cl::SubCommand &compileCommand();
llvm::cl::SubCommand &quantizeCommand();
llvm::cl::SubCommand &runCommand();
llvm::cl::SubCommand &benchCommand();
llvm::cl::SubCommand &generateCommand();
llvm::cl::SubCommand &inspectCommand();
llvm::cl::SubCommand &opsCommand();

int runImport();
int runCompile();
int runQuantize();
int runRun();
int runBench();
int runGenerate();
int runInspect();
int runOps();

/// Prints "lathe: error: MESSAGE" and returns 1.
int fail(const llvm::Twine &message);
/// The same for each line of `error`'s message.
int fail(llvm::Error error);

/// Reads --`option`'s `text` as a positive count into `value`; the error
/// line's text if it is none. (Counts are read here rather than by cl's
/// typed parsers, whose complaints bypass the one-line error.)
std::optional<std::string> parsePositive(llvm::StringRef option, llvm::StringRef text,
                                         unsigned &value);

/// An artifact loaded with a session on it (lathe run, lathe generate).
struct LoadedSession {
  std::unique_ptr<lathe_model, void (*)(lathe_model *)> model{nullptr, lathe_model_release};
  std::unique_ptr<lathe_session, void (*)(lathe_session *)> session{nullptr, lathe_session_release};
  /// The error line, if `path` does not load or the session cannot be made.
  std::optional<std::string> open(const std::string &path, const lathe_session_options &options);
};

/// --threads N of run, bench and generate, into `threads` (left as it is
/// when not given: the session's default, LATHE_NUM_THREADS, else 1); the
/// error line's text if N is no positive count.
std::optional<std::string> threadsFromFlag(size_t &threads);

/// A progress line on stderr while it is a terminal: "lathe: WHAT: DONE/TOTAL UNIT".
void showProgress(llvm::StringRef what, size_t done, size_t total, llvm::StringRef unit);

} // namespace lathe::driver

#endif // LATHE_COMPILER_TOOLS_LATHE_DRIVER_H
