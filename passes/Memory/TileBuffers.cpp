//===- TileBuffers.cpp - a tile's intermediate buffers, sized at most -----===//
#include "passes/Memory/TileBuffers.h"

#include "dialects/lathe/SizeLimit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;
using namespace lathe;

FailureOr<int64_t> lathe::largestBytes(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity() || !alloc.getSymbolOperands().empty())
    return failure();
  SmallVector<int64_t> largest;
  auto dynamicSizes = alloc.getDynamicSizes();
  unsigned next = 0;
  for (int64_t dim : type.getShape()) {
    if (!ShapedType::isDynamic(dim)) {
      largest.push_back(dim);
      continue;
    }
    FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, ValueBoundsConstraintSet::Variable(dynamicSizes[next++]),
        /*stopCondition=*/nullptr, /*closedUB=*/true);
    if (failed(bound))
      return failure();
    largest.push_back(*bound);
  }
  std::optional<uint64_t> bytes =
      boundedBytes(largest, std::max<uint64_t>(1, (type.getElementTypeBitWidth() + 7) / 8));
  if (!bytes)
    return failure();
  return std::max<int64_t>(1, (int64_t)*bytes);
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
