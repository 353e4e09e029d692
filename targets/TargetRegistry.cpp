//===- TargetRegistry.cpp - the one list of targets -----------------------===//
#include "targets/Target.h"
#include "targets/ane/AneTarget.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/hexagon/HexagonTarget.h"

using namespace lathe;

Target::~Target() = default;

std::unique_ptr<Target> lathe::createTarget(llvm::StringRef name) {
  if (name == "cpu")
    return createCpuTarget();
  if (name == "hexagon")
    return createHexagonTarget();
  if (name == "ane")
    return createAneTarget();
  return nullptr;
}

std::vector<std::string> lathe::targetNames() { return {"cpu", "hexagon", "ane"}; }
