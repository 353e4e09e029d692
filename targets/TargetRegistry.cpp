//===- TargetRegistry.cpp - the one list of targets -----------------------===//
#include "targets/Target.h"
#include "targets/ane/AneTarget.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/hexagon/HexagonTarget.h"

#include "lathe/artifact_format.h"

using namespace lathe;

Target::~Target() = default;

llvm::StringRef Target::name() const { return lathe_target_name(kind()); }

namespace {

/// Each target's id (lathe/artifact_format.h, which names it) and maker; a
/// new target adds its line here.
struct Registration {
  uint32_t kind;
  std::unique_ptr<Target> (*create)();
};
constexpr Registration kTargets[] = {
    {LATHE_TARGET_CPU, createCpuTarget},
    {LATHE_TARGET_HEXAGON, createHexagonTarget},
    {LATHE_TARGET_ANE, createAneTarget},
};

} // namespace

std::unique_ptr<Target> lathe::createTarget(llvm::StringRef name) {
  for (const Registration &r : kTargets)
    if (name == lathe_target_name(r.kind))
      return r.create();
  return nullptr;
}

std::vector<std::string> lathe::targetNames() {
  std::vector<std::string> names;
  for (const Registration &r : kTargets)
    names.push_back(lathe_target_name(r.kind));
  return names;
}
