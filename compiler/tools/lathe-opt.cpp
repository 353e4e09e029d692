//===- lathe-opt.cpp - mlir-opt with the lathe dialect and passes ---------===//
#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"
#include "targets/cpu/CpuTarget.h"
#include "targets/llvm/LlvmCodegen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllPasses.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<lathe::LatheDialect, mlir::func::FuncDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllPasses();
  lathe::registerLathePasses();
  // The real pipeline of the cpu target, as `lathe compile` runs it.
  lathe::registerCpuPipeline();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lathe optimizer driver\n", registry));
}
