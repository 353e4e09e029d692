//===- TileBuffers.h - a tile's intermediate buffers, sized at most -*- C++ -*-===//
//
// Bufferizing a kernel's scf.forall gives each tile the buffers of its own
// intermediates (a reduction's row before its epilogue), allocated inside
// the loop, with dynamic sizes where a tile at an edge is cut short. The
// arena plan (one buffer for a loop that runs on one thread) and the
// parallel outlining (one buffer per thread, on its stack) both allocate
// such a buffer once, before its loop, as bytes of its largest size, which
// the tile views at its own size.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_MEMORY_TILEBUFFERS_H
#define LATHE_PASSES_MEMORY_TILEBUFFERS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace lathe {

/// The bytes of `alloc` at its largest size, if its dynamic sizes have
/// constant upper bounds.
llvm::FailureOr<int64_t> largestBytes(mlir::memref::AllocOp alloc);

/// Replaces `alloc` by a view of `bytes` bytes allocated before `before`
/// (on the stack when `onStack`).
void allocateTileBufferBefore(mlir::memref::AllocOp alloc, int64_t bytes, mlir::Operation *before,
                              bool onStack);

} // namespace lathe

#endif // LATHE_PASSES_MEMORY_TILEBUFFERS_H
