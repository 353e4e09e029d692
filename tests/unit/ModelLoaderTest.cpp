#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace lathe;

namespace {

std::string errorOf(llvm::Error err) { return llvm::toString(std::move(err)); }

template <typename T>
std::string errorOf(llvm::Expected<T> value) {
  return value ? std::string() : llvm::toString(value.takeError());
}

/// Writes `bytes` to a fresh temporary file and returns its path.
std::string writeTemp(llvm::StringRef bytes, llvm::StringRef suffix) {
  llvm::SmallString<128> path;
  int fd;
  EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("lathe-test", suffix, fd, path));
  llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
  out << bytes;
  return path.str().str();
}

constexpr const char *kRelu = R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2] x) => (float[2] y) { y = Relu(x) })";

TEST(ModelLoader, ParsesText) {
  auto model = loadModelFromText(kRelu, "relu.onnxtext");
  ASSERT_TRUE(!!model) << errorOf(model.takeError());
  EXPECT_EQ((*model)->opset(), 17);
}

TEST(ModelLoader, TextSyntaxErrorIsOneLine) {
  std::string message = errorOf(loadModelFromText("<ir_version: 8> g (float[2] x", "bad.onnxtext"));
  EXPECT_NE(message.find("bad.onnxtext: ONNX text does not parse"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ModelLoader, RejectsNewerOpset) {
  std::string message = errorOf(loadModelFromText(
      R"(<ir_version: 8, opset_import: ["" : 19]> g (float[2] x) => (float[2] y) { y = Relu(x) })",
      "new.onnxtext"));
  EXPECT_NE(message.find("opset 19 is outside the range lathe imports (1 to 17)"),
            std::string::npos)
      << message;
}

TEST(ModelLoader, RejectsGarbageAndTruncatedFiles) {
  std::string garbage;
  for (int i = 0; i < 2048; ++i)
    garbage.push_back(char((i * 7919 + 13) % 251));
  std::string path = writeTemp(garbage, "onnx");
  EXPECT_NE(errorOf(loadModel(path)).find("not a valid ONNX model"), std::string::npos);
  llvm::sys::fs::remove(path);

  path = writeTemp("", "onnx");
  EXPECT_NE(errorOf(loadModel(path)).find("not a valid ONNX model"), std::string::npos);
  llvm::sys::fs::remove(path);

  EXPECT_NE(errorOf(loadModel("/nonexistent/model.onnx")).find("cannot read the file"),
            std::string::npos);
}

TEST(InputShape, ParsesNameAndDims) {
  ImportOptions options;
  ASSERT_FALSE(errorOf(parseInputShape("x=1,3,224,224", options)).size());
  EXPECT_EQ(options.inputShapes["x"], (llvm::SmallVector<int64_t>{1, 3, 224, 224}));
  // A name may itself hold '='; the last one separates the dims.
  ASSERT_FALSE(errorOf(parseInputShape("a=b=2", options)).size());
  EXPECT_EQ(options.inputShapes["a=b"], (llvm::SmallVector<int64_t>{2}));
  // A scalar input has no dims.
  ASSERT_FALSE(errorOf(parseInputShape("s=", options)).size());
  EXPECT_TRUE(options.inputShapes["s"].empty());
}

TEST(InputShape, RejectsBadSpecs) {
  ImportOptions options;
  for (const char *spec : {"x", "=1,2", "x=1,,2", "x=-1", "x=1.5", "x=a"}) {
    std::string message = errorOf(parseInputShape(spec, options));
    EXPECT_NE(message.find("--input-shape"), std::string::npos) << spec;
  }
}

} // namespace
