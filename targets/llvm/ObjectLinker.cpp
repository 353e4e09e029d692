//===- ObjectLinker.cpp - relocatable objects to a loadable ELF -----------===//
//
// LLD reads and writes files: the objects go to temporary files, LLD links
// them, and the result is read back. LLD keeps global state, so links
// are serialized.
//
//===----------------------------------------------------------------------===//
#include "targets/llvm/ObjectLinker.h"

#include "lld/Common/Driver.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

using namespace lathe;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

} // namespace

llvm::Expected<std::vector<char>> lathe::linkObjects(llvm::ArrayRef<std::vector<char>> objects,
                                                     llvm::ArrayRef<std::string> modeArgs) {
  static std::mutex lldMutex;
  std::vector<TempFile> inputs(objects.size());
  for (auto [object, input] : llvm::zip(objects, inputs)) {
    int fd;
    if (llvm::sys::fs::createTemporaryFile("lathe-code", "o", fd, input.path))
      return fail("cannot create a temporary object file");
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  TempFile output;
  if (llvm::sys::fs::createTemporaryFile("lathe-code", "elf", output.path))
    return fail("cannot create a temporary output file");

  std::vector<std::string> args{"ld.lld", "-O2", "-o", output.path.str().str()};
  args.insert(args.end(), modeArgs.begin(), modeArgs.end());
  for (const TempFile &input : inputs)
    args.push_back(input.path.str().str());
  std::vector<const char *> argv;
  for (const std::string &a : args)
    argv.push_back(a.c_str());

  std::string diagnostics;
  llvm::raw_string_ostream errors(diagnostics);
  lld::Result result;
  {
    std::lock_guard<std::mutex> lock(lldMutex);
    result = lld::lldMain(argv, llvm::nulls(), errors, {{lld::Gnu, &lld::elf::link}});
  }
  if (result.retCode != 0 || !result.canRunAgain)
    return fail("linking the generated code failed: " + diagnostics);
  auto buffer = llvm::MemoryBuffer::getFile(output.path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read the linked code back");
  return std::vector<char>((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
}
