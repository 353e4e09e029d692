//===- DistinctResults.cpp - one value per function result ----------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace lathe {
#define GEN_PASS_DEF_DISTINCTRESULTS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

struct DistinctResultsPass : public lathe::impl::DistinctResultsBase<DistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || seen.insert(v).second)
          continue;
        Value init = tensor::EmptyOp::create(b, ret.getLoc(), type.getShape(), type.getElementType());
        operand.set(linalg::CopyOp::create(b, ret.getLoc(), v, init).getResult(0));
      }
    });
  }
};

} // namespace
