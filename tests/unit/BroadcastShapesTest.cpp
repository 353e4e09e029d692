#include "dialects/lathe/LatheDialect.h"

#include <gtest/gtest.h>

namespace {

llvm::SmallVector<int64_t> broadcast(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                                     bool &ok) {
  llvm::SmallVector<int64_t> out;
  ok = llvm::succeeded(lathe::broadcastShapes(a, b, out));
  return out;
}

TEST(BroadcastShapes, AlignsTrailingDims) {
  bool ok;
  EXPECT_EQ(broadcast({2, 1, 4}, {3, 1}, ok), (llvm::SmallVector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(broadcast({}, {5}, ok), (llvm::SmallVector<int64_t>{5}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(broadcast({0, 1}, {1, 3}, ok), (llvm::SmallVector<int64_t>{0, 3}));
  EXPECT_TRUE(ok);
}

TEST(BroadcastShapes, RejectsMismatch) {
  bool ok;
  broadcast({2, 3}, {4}, ok);
  EXPECT_FALSE(ok);
  broadcast({2, 0}, {2, 3}, ok);
  EXPECT_FALSE(ok);
}

} // namespace
