//===- ConstantPool.cpp - constant bytes shared by an artifact's code ------===//
#include "passes/Memory/ConstantPool.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringRef.h"

#include <cstring>

using namespace lathe;

uint64_t ConstantPool::add(llvm::ArrayRef<char> data) {
  requested_ += data.size();
  std::pair<uint64_t, uint64_t> key{data.size(), llvm::hash_value(llvm::StringRef(data.data(), data.size()))};
  auto [first, last] = offsets_.equal_range(key);
  for (auto it = first; it != last; ++it)
    if (data.empty() || std::memcmp(bytes_.data() + it->second, data.data(), data.size()) == 0)
      return it->second;
  uint64_t offset = (bytes_.size() + kAlignment - 1) / kAlignment * kAlignment;
  bytes_.resize(offset, 0);
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  offsets_.emplace(key, offset);
  return offset;
}
