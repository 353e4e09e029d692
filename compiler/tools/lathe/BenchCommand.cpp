//===- BenchCommand.cpp - lathe bench -------------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/tools/TensorFiles.h"
#include "runtime/tools/bench.h"

#include <cstdio>

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &benchCommand() {
  static cl::SubCommand command("bench", "Times an artifact's runs: latency, load time, arena, peak RSS");
  return command;
}

namespace {

cl::list<std::string> artifacts(cl::Positional, cl::desc("ARTIFACT"), cl::sub(benchCommand()));
cl::list<std::string> inputFiles("input",
                                 cl::desc("A graph input's tensor (the others are seeded random)"),
                                 cl::value_desc("NAME=FILE"), cl::sub(benchCommand()));
cl::opt<std::string> runs("runs", cl::desc("Timed runs (default 50)"), cl::value_desc("N"),
                          cl::init("50"), cl::sub(benchCommand()));
cl::opt<std::string> entryName("entry", cl::desc("The entry to time (default: the first)"),
                               cl::value_desc("NAME"), cl::sub(benchCommand()));
cl::opt<bool> json("json", cl::desc("Prints the numbers as one JSON object"),
                   cl::sub(benchCommand()));

/// Inputs from files where given (the rest seeded by lathe_bench).
struct InputFiles {
  std::vector<HostTensor> tensors;

  static int provide(void *self, const lathe_tensor_info *info, size_t, const void **data,
                     lathe_status *status) {
    auto *files = static_cast<InputFiles *>(self);
    for (llvm::StringRef spec : inputFiles) {
      auto [name, file] = spec.rsplit('=');
      if (name != info->name)
        continue;
      auto tensor = readTensorFile(file.str());
      if (!tensor) {
        status->code = LATHE_INVALID_ARGUMENT;
        std::snprintf(status->message, sizeof(status->message), "%s",
                      llvm::toString(tensor.takeError()).c_str());
        return -1;
      }
      files->tensors.push_back(std::move(*tensor));
      *data = files->tensors.back().bytes.data();
      return 1;
    }
    return 0;
  }
};

} // namespace

int runBench() {
  lathe_bench_options options = {50, 0, nullptr, nullptr, nullptr};
  unsigned count = 0;
  if (auto error = parsePositive("runs", runs, count))
    return fail("bench: " + *error);
  options.runs = count;
  size_t threads = 0;
  if (auto error = threadsFromFlag(threads))
    return fail("bench: " + *error);
  options.threads = (int)threads;
  if (!entryName.empty())
    options.entry = entryName.c_str();
  if (artifacts.size() != 1)
    return fail("bench: expected one artifact (lathe bench OUT.lathe)");
  const std::string &path = artifacts[0];

  InputFiles files;
  // Pointers into it are handed out run by run: it must not move.
  files.tensors.reserve(inputFiles.size());
  options.self = &files;
  options.input = InputFiles::provide;
  lathe_bench_result result;
  lathe_status status;
  if (lathe_bench(path.c_str(), &options, &result, &status) != LATHE_OK)
    return fail(llvm::StringRef(status.message).starts_with(path) ? std::string(status.message)
                                                                  : path + ": " + status.message);
  lathe_bench_print(stdout, path.c_str(), &options, &result, json);
  return 0;
}

} // namespace lathe::driver
