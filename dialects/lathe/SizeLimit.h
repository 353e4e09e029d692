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

/// The bytes of `type` (booleans a byte each), or nothing when a dim is
/// dynamic or negative or the product passes the limit.
inline std::optional<uint64_t> boundedTensorBytes(mlir::RankedTensorType type) {
  uint64_t bytes = std::max<uint64_t>(1, type.getElementTypeBitWidth() / 8);
  for (int64_t d : type.getShape()) {
    if (d < 0 || (d && bytes > LATHE_MAX_TENSOR_BYTES / static_cast<uint64_t>(d)))
      return std::nullopt;
    bytes *= static_cast<uint64_t>(d);
  }
  return bytes;
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
