//===- Driver.cpp - what the lathe driver's commands share ----------------===//
#include "compiler/tools/lathe/Driver.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

namespace lathe::driver {

namespace {

llvm::cl::opt<std::string> threads(
    "threads",
    llvm::cl::desc("The cpu kernels' threads (default: LATHE_NUM_THREADS, else 1); the outputs\n"
                   "are the same, bit for bit, for every N"),
    llvm::cl::value_desc("N"), llvm::cl::sub(runCommand()), llvm::cl::sub(benchCommand()),
    llvm::cl::sub(generateCommand()));

} // namespace

std::optional<std::string> threadsFromFlag(size_t &count) {
  if (!threads.getNumOccurrences())
    return std::nullopt;
  unsigned value = 0;
  if (auto error = parsePositive("threads", threads, value))
    return error;
  count = value;
  return std::nullopt;
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "lathe: error: " << message << "\n";
  return 1;
}

int fail(llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(message).split(lines, '\n');
  for (llvm::StringRef line : lines)
    fail(line);
  return 1;
}

std::optional<std::string> parsePositive(llvm::StringRef option, llvm::StringRef text,
                                         unsigned &value) {
  if (!text.getAsInteger(10, value) && value >= 1)
    return std::nullopt;
  return "--" + option.str() + " needs a positive integer, got '" + text.str() + "'";
}

std::optional<std::string> LoadedSession::open(const std::string &path,
                                               const lathe_session_options &options) {
  lathe_status status;
  lathe_model *m = nullptr;
  if (lathe_model_load_file(path.c_str(), lathe_system_allocator(), &m, &status) != LATHE_OK)
    return std::string(status.message);
  model.reset(m);
  lathe_session *s = nullptr;
  if (lathe_session_create_with_options(m, lathe_system_allocator(), &options, &s, &status) !=
      LATHE_OK)
    return path + ": " + status.message;
  session.reset(s);
  return std::nullopt;
}

void showProgress(llvm::StringRef what, size_t done, size_t total, llvm::StringRef unit) {
  if (!llvm::errs().is_displayed())
    return;
  // The line is rewritten in place and cleared of a longer earlier one.
  llvm::errs() << "\r\x1b[Klathe: " << what << ": " << done << "/" << total << " " << unit;
  if (done == total)
    llvm::errs() << "\n";
  llvm::errs().flush();
}

} // namespace lathe::driver
