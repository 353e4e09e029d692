//===- SizeLimit.h - lathe's one tensor size limit, in the compiler -*- C++ -*-===//
//
// The compiler refuses what the runtime would refuse: a tensor of more than
// LATHE_MAX_TENSOR_BYTES (2 GiB, runtime/include/lathe/artifact_format.h).
// It is checked where shapes enter (graph inputs, initializers, each op's
// inferred results) so that an absurd size stops the import with one error
// instead of folding or compiling for minutes.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_DIALECTS_LATHE_SIZELIMIT_H
#define LATHE_DIALECTS_LATHE_SIZELIMIT_H

#include "lathe/artifact_format.h"

#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace lathe {

/// The largest extent of any dim, pad, kernel or stride lathe takes: no
/// tensor dim can exceed the byte limit, so neither can anything that
/// sweeps one. Keeps shape arithmetic far from int64 overflow.
constexpr int64_t kMaxExtent = static_cast<int64_t>(LATHE_MAX_TENSOR_BYTES);

/// The bytes of a tensor of `dims` and `elementBytes` a element, or nothing
/// when a dim is negative (or dynamic) or the product passes the limit.
inline std::optional<uint64_t> boundedBytes(llvm::ArrayRef<int64_t> dims, uint64_t elementBytes) {
  uint64_t bytes = elementBytes;
  for (int64_t d : dims) {
    if (d < 0 || (d && bytes > LATHE_MAX_TENSOR_BYTES / static_cast<uint64_t>(d)))
      return std::nullopt;
    bytes *= static_cast<uint64_t>(d);
  }
  if (bytes > LATHE_MAX_TENSOR_BYTES)
    return std::nullopt;
  return bytes;
}

/// The bytes of `type` (booleans a byte each), bounded as above.
inline std::optional<uint64_t> boundedTensorBytes(mlir::RankedTensorType type) {
  return boundedBytes(type.getShape(), std::max<uint64_t>(1, type.getElementTypeBitWidth() / 8));
}

/// "[d0, d1, ...]" for messages about sizes.
inline std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

} // namespace lathe

#endif // LATHE_DIALECTS_LATHE_SIZELIMIT_H
