//===- WeightBlobWriter.h - Core ML weight.bin (blob storage v2) -*- C++ -*-===//
//
// weight.bin holds an ML Program's large constants: a 64-byte header
// {u32 count, u32 version = 2, zeros}, then per blob a 64-byte metadata
// record {u32 0xDEADBEEF, u32 data type, u64 size in bytes, u64 offset of the
// data, zeros} and the data, every record and every data start 64-byte
// aligned, little-endian. A program names a blob by its metadata's offset.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_ANE_WEIGHTBLOBWRITER_H
#define LATHE_TARGETS_ANE_WEIGHTBLOBWRITER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace lathe::ane {

/// Blob data types of blob storage v2.
enum class BlobType : uint32_t { Float16 = 1, Float32 = 2, UInt8 = 3, Int8 = 4 };

inline constexpr uint32_t kBlobSentinel = 0xDEADBEEF;
inline constexpr uint32_t kBlobStorageVersion = 2;
inline constexpr uint64_t kBlobAlignment = 64;

class WeightBlobWriter {
public:
  WeightBlobWriter();
  /// Appends one blob; returns the offset of its metadata record.
  uint64_t add(BlobType type, llvm::ArrayRef<uint8_t> data);
  /// The file as written so far (the header counts every blob added).
  const std::vector<uint8_t> &bytes() const { return file; }
  uint32_t count() const { return blobs; }

private:
  std::vector<uint8_t> file;
  uint32_t blobs = 0;
};

} // namespace lathe::ane

#endif // LATHE_TARGETS_ANE_WEIGHTBLOBWRITER_H
