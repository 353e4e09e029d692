//===- TileBuffers.cpp - a tile's intermediate buffers, sized at most -----===//
#include "passes/Memory/TileBuffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;

FailureOr<int64_t> lathe::largestBytes(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity() || !alloc.getSymbolOperands().empty())
    return failure();
  int64_t elements = 1;
  auto dynamicSizes = alloc.getDynamicSizes();
  unsigned next = 0;
  for (int64_t dim : type.getShape()) {
    int64_t largest = dim;
    if (ShapedType::isDynamic(dim)) {
      FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
          presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(dynamicSizes[next++]),
          /*stopCondition=*/nullptr, /*closedUB=*/true);
      if (failed(bound) || *bound < 0)
        return failure();
      largest = *bound;
    }
    if (largest > 0 && elements > (int64_t(1) << 40) / largest)
      return failure();
    elements *= largest;
  }
  return std::max<int64_t>(1, elements * ((type.getElementTypeBitWidth() + 7) / 8));
}

void lathe::allocateTileBufferBefore(memref::AllocOp alloc, int64_t bytes, Operation *before,
                                     bool onStack) {
  auto bytesType = MemRefType::get({bytes}, IntegerType::get(alloc.getContext(), 8));
  OpBuilder b(before);
  IntegerAttr alignment = alloc.getAlignmentAttr() ? alloc.getAlignmentAttr() : b.getI64IntegerAttr(64);
  Value buffer = onStack ? memref::AllocaOp::create(b, alloc.getLoc(), bytesType, ValueRange{},
                                                    alignment)
                               .getResult()
                         : memref::AllocOp::create(b, alloc.getLoc(), bytesType, ValueRange{},
                                                   alignment)
                               .getResult();
  b.setInsertionPoint(alloc);
  Value zero = arith::ConstantIndexOp::create(b, alloc.getLoc(), 0);
  Value view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(), buffer, zero,
                                      alloc.getDynamicSizes());
  alloc.replaceAllUsesWith(view);
  alloc.erase();
}
