//===- ConstantPool.h - constant bytes shared by an artifact's code -*- C++ -*-===//
//
// The bytes of an artifact's CONSTANTS section as lathe-externalize-constants
// fills it when one pool serves every partition of every entry of a compile:
// a tensor whose bytes are already there (a weight two entries of one model
// read, a table two partitions share) is stored once and read by both at the
// same offset.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_PASSES_MEMORY_CONSTANTPOOL_H
#define LATHE_PASSES_MEMORY_CONSTANTPOOL_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <map>
#include <vector>

namespace lathe {

class ConstantPool {
public:
  static constexpr uint64_t kAlignment = 64;
  /// The offset of `data` in the pool: where the same bytes already are, or
  /// where they are appended (64-byte aligned).
  uint64_t add(llvm::ArrayRef<char> data);
  const std::vector<char> &bytes() const { return bytes_; }
  /// Bytes asked for, each copy counted: what the pool saved is this minus
  /// bytes().size().
  uint64_t requestedBytes() const { return requested_; }

private:
  std::vector<char> bytes_;
  /// Offsets of the tensors stored so far, by (size, hash of their bytes).
  std::multimap<std::pair<uint64_t, uint64_t>, uint64_t> offsets_;
  uint64_t requested_ = 0;
};

} // namespace lathe

#endif // LATHE_PASSES_MEMORY_CONSTANTPOOL_H
