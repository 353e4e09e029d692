//===- AnePackageTest.cpp - weight.bin and the package list ---------------===//
#include "targets/ane/MlPackage.h"
#include "targets/ane/WeightBlobWriter.h"

#include <gtest/gtest.h>

using namespace lathe::ane;

namespace {

uint32_t u32At(const std::vector<uint8_t> &b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | uint32_t(b[at + 3]) << 24;
}
uint64_t u64At(const std::vector<uint8_t> &b, size_t at) {
  return u32At(b, at) | uint64_t(u32At(b, at + 4)) << 32;
}

// Blob storage v2 as Core ML reads it: header {count, version 2}, each blob
// 64 bytes of metadata {0xDEADBEEF, type, size, data offset} and its data,
// all 64-byte aligned.
TEST(WeightBlobWriter, LaysBlobsOutAsBlobStorageV2) {
  WeightBlobWriter writer;
  std::vector<uint8_t> first(6, 0xAB), second(130, 0xCD);
  uint64_t a = writer.add(BlobType::Float16, first);
  uint64_t b = writer.add(BlobType::Int8, second);
  const std::vector<uint8_t> &file = writer.bytes();
  EXPECT_EQ(u32At(file, 0), 2u);
  EXPECT_EQ(u32At(file, 4), 2u);
  EXPECT_EQ(a, 64u);
  EXPECT_EQ(b, 192u); // 64 + 64 of metadata + 6 bytes padded to 64
  for (auto [offset, type, size] : {std::tuple{a, 1u, first.size()}, std::tuple{b, 4u, second.size()}}) {
    EXPECT_EQ(u32At(file, offset), 0xDEADBEEFu);
    EXPECT_EQ(u32At(file, offset + 4), type);
    EXPECT_EQ(u64At(file, offset + 8), size);
    EXPECT_EQ(u64At(file, offset + 16), offset + 64);
  }
  EXPECT_EQ(file[b + 64], 0xCD);
  EXPECT_EQ(file.size() % 64, 0u);
}

TEST(MlPackage, SerializedPackagesReadBackAndTruncationsAreRefused) {
  std::vector<MlPackage> packages{makePackage("lathe_step0", {1, 2, 3}, {4, 5}),
                                  makePackage("lathe_step2", {6}, {})};
  std::vector<uint8_t> bytes = serializePackages(packages);
  auto back = deserializePackages(bytes);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].name, "lathe_step2");
  ASSERT_NE((*back)[0].file(kModelPath), nullptr);
  EXPECT_EQ((*back)[0].file(kModelPath)->bytes, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_NE((*back)[0].file("Manifest.json"), nullptr);
  for (size_t cut : {size_t(3), bytes.size() / 2, bytes.size() - 1}) {
    auto truncated = deserializePackages(llvm::ArrayRef<uint8_t>(bytes).take_front(cut));
    EXPECT_FALSE(bool(truncated)) << "accepted " << cut << " of " << bytes.size() << " bytes";
    llvm::consumeError(truncated.takeError());
  }
}

// The same contents give the same manifest (identifiers derive from them).
TEST(MlPackage, ManifestIsDeterministic) {
  auto one = makePackage("p", {1, 2}, {3}), two = makePackage("p", {1, 2}, {3}),
       other = makePackage("p", {1, 9}, {3});
  EXPECT_EQ(one.file("Manifest.json")->bytes, two.file("Manifest.json")->bytes);
  EXPECT_NE(one.file("Manifest.json")->bytes, other.file("Manifest.json")->bytes);
}

} // namespace
