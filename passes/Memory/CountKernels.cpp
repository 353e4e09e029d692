//===- CountKernels.cpp - the kernels a lowered partition runs ------------===//
#include "dialects/lathe/LatheDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/SetVector.h"

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

/// Adds the ONNX node names in `loc` (fused locations included) to `names`.
void collectNodeNames(Location loc, llvm::SetVector<StringRef> &names) {
  if (auto name = dyn_cast<NameLoc>(loc))
    names.insert(name.getName().strref());
  else if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      collectNodeNames(part, names);
}

/// [the kernel's op name, each ONNX node whose ops it computes].
ArrayAttr describeKernel(Operation &kernel, Builder &b) {
  llvm::SetVector<StringRef> names;
  kernel.walk([&](Operation *op) { collectNodeNames(op->getLoc(), names); });
  // The op that does the work: the loop's innermost named structured op.
  StringRef what = kernel.getName().getStringRef();
  kernel.walk([&](linalg::LinalgOp op) { what = op->getName().getStringRef(); });
  SmallVector<Attribute> parts{b.getStringAttr(what)};
  for (StringRef name : names)
    parts.push_back(b.getStringAttr(name));
  return b.getArrayAttr(parts);
}

struct CountKernels : lathe::impl::CountKernelsBase<CountKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t kernels = 0;
    Builder b(&getContext());
    SmallVector<Attribute> kernelNodes;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      for (Operation &op : func.getBody().getOps())
        if (isa<scf::ForOp, scf::ForallOp, linalg::LinalgOp, tensor::PadOp>(op) ||
            (isa<tensor::InsertSliceOp>(op) && !insertsInPlace(cast<tensor::InsertSliceOp>(op)))) {
          ++kernels;
          kernelNodes.push_back(describeKernel(op, b));
        }
    module->setAttr(lathe::LatheDialect::KernelsAttrHelper::getNameStr(),
                    b.getI64IntegerAttr(kernels));
    module->setAttr(lathe::LatheDialect::KernelNodesAttrHelper::getNameStr(),
                    b.getArrayAttr(kernelNodes));
  }
};

} // namespace
