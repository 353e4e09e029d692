//===- WeightBlobWriter.cpp - Core ML weight.bin (blob storage v2) --------===//
#include "targets/ane/WeightBlobWriter.h"

#include <cstring>

using namespace lathe::ane;

namespace {

void put32(std::vector<uint8_t> &file, uint64_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    file[at + i] = uint8_t(v >> (8 * i));
}

void put64(std::vector<uint8_t> &file, uint64_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    file[at + i] = uint8_t(v >> (8 * i));
}

uint64_t aligned(uint64_t v) { return (v + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment; }

} // namespace

WeightBlobWriter::WeightBlobWriter() : file(kBlobAlignment, 0) {
  put32(file, 4, kBlobStorageVersion);
}

uint64_t WeightBlobWriter::add(BlobType type, llvm::ArrayRef<uint8_t> data) {
  uint64_t metadata = aligned(file.size());
  uint64_t start = metadata + kBlobAlignment;
  file.resize(aligned(start + data.size()), 0);
  put32(file, metadata, kBlobSentinel);
  put32(file, metadata + 4, uint32_t(type));
  put64(file, metadata + 8, data.size());
  put64(file, metadata + 16, start);
  if (!data.empty())
    std::memcpy(file.data() + start, data.data(), data.size());
  put32(file, 0, ++blobs);
  return metadata;
}
