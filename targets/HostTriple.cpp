//===- HostTriple.cpp - the CPU an artifact's runtime runs on -------------===//
//
// The runtime loads cpu code as an ELF shared object with the system's
// dynamic loader, so a host is a Linux (or Android) triple of one of the
// two CPU families lathe emits for.
//
//===----------------------------------------------------------------------===//
#include "targets/HostTriple.h"

#include "targets/Target.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/TargetParser/Host.h"

using namespace lathe;

llvm::Expected<HostCpu> lathe::resolveHost(const TargetOptions &options) {
  llvm::Triple build(llvm::sys::getDefaultTargetTriple());
  llvm::Triple triple = options.host.empty() ? build : llvm::Triple(llvm::Triple::normalize(options.host));
  auto refuse = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--host '" + options.host + "': " + why +
                                       " (hosts: x86_64-linux-gnu, aarch64-linux-gnu)");
  };
  uint32_t machine;
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    machine = llvm::ELF::EM_X86_64;
    break;
  case llvm::Triple::aarch64:
    machine = llvm::ELF::EM_AARCH64;
    break;
  default:
    return refuse("lathe emits cpu code for x86-64 and AArch64 hosts");
  }
  if (!triple.isOSLinux())
    return refuse("lathe's runtime loads cpu code as ELF on Linux and Android");
  bool same = triple.getArch() == build.getArch() && triple.getOS() == build.getOS() &&
              triple.getEnvironment() == build.getEnvironment();
  return HostCpu{triple, machine, same};
}
