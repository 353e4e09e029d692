//===- ObjectLinker.cpp - relocatable object to shared object -------------===//
//
// LLD reads and writes files: the object goes to a temporary file, LLD links
// it, and the shared object is read back. LLD keeps global state, so links
// are serialized.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/ObjectLinker.h"

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

llvm::Expected<std::vector<char>> lathe::linkSharedObject(llvm::ArrayRef<char> object,
                                                          llvm::ArrayRef<std::string> extraArgs) {
  static std::mutex lldMutex;
  TempFile input, output;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("lathe-code", "o", fd, input.path))
    return fail("cannot create a temporary object file");
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  if (llvm::sys::fs::createTemporaryFile("lathe-code", "so", output.path))
    return fail("cannot create a temporary shared object file");

  std::vector<std::string> args{"ld.lld", "-shared", "--no-undefined-version", "-O2",
                                "--hash-style=gnu", "-o", output.path.str().str()};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
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
