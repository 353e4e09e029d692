//===- Passes.h - lathe's target-independent passes -------------*- C++ -*-===//
#ifndef LATHE_PASSES_PASSES_H
#define LATHE_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace lathe {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

class ConstantPool;
/// lathe-externalize-constants storing into `pool`, which every partition
/// of every entry of one compile shares, rather than into the module's own
/// blob.
std::unique_ptr<mlir::Pass> createExternalizeConstants(ConstantPool &pool);

} // namespace lathe

#endif // LATHE_PASSES_PASSES_H
