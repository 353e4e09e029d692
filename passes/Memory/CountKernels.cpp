//===- CountKernels.cpp - the kernels a lowered partition runs ------------===//
#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace lathe {
#define GEN_PASS_DEF_COUNTKERNELS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// An insertion of a kernel's result into the slice the kernel wrote it to
/// (lathe-fuse-pads): bufferization leaves it out, so it is no kernel.
bool insertsInPlace(tensor::InsertSliceOp insert) {
  auto result = dyn_cast<OpResult>(insert.getSource());
  if (!result)
    return false;
  Value destination;
  if (auto loop = dyn_cast<scf::ForallOp>(result.getOwner()))
    destination = loop.getOutputs()[result.getResultNumber()];
  else if (auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner()))
    destination = dps.getTiedOpOperand(result)->get();
  auto slice = destination ? destination.getDefiningOp<tensor::ExtractSliceOp>() : nullptr;
  return slice && slice.getSource() == insert.getDest() &&
         isEqualConstantIntOrValueArray(slice.getMixedOffsets(), insert.getMixedOffsets()) &&
         isEqualConstantIntOrValueArray(slice.getMixedSizes(), insert.getMixedSizes()) &&
         isEqualConstantIntOrValueArray(slice.getMixedStrides(), insert.getMixedStrides());
}

struct CountKernels : lathe::impl::CountKernelsBase<CountKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t kernels = 0;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (Operation &op : func.getBody().getOps())
        if (isa<scf::ForOp, scf::ForallOp, linalg::LinalgOp, tensor::PadOp>(op) ||
            (isa<tensor::InsertSliceOp>(op) && !insertsInPlace(cast<tensor::InsertSliceOp>(op))))
          ++kernels;
    module->setAttr(lathe::LatheDialect::KernelsAttrHelper::getNameStr(),
                    Builder(&getContext()).getI64IntegerAttr(kernels));
  }
};

} // namespace
