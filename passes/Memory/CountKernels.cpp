//===- CountKernels.cpp - the kernels a lowered partition runs ------------===//
#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace lathe {
#define GEN_PASS_DEF_COUNTKERNELS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

struct CountKernels : lathe::impl::CountKernelsBase<CountKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t kernels = 0;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (Operation &op : func.getBody().getOps())
        if (isa<scf::ForOp, scf::ForallOp, linalg::LinalgOp, tensor::PadOp, tensor::InsertSliceOp>(op))
          ++kernels;
    module->setAttr(lathe::LatheDialect::KernelsAttrHelper::getNameStr(),
                    Builder(&getContext()).getI64IntegerAttr(kernels));
  }
};

} // namespace
