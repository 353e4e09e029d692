//===- CopiesToLinalg.cpp - memref.copy as linalg.copy --------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace lathe {
#define GEN_PASS_DEF_COPIESTOLINALG
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

struct CopiesToLinalgPass : public lathe::impl::CopiesToLinalgBase<CopiesToLinalgPass> {
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
