#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <gtest/gtest.h>

using namespace lathe;

namespace {

/// Imports ONNX text; returns the module or null and the errors reported.
struct Imported {
  std::unique_ptr<mlir::MLIRContext> context;
  std::unique_ptr<LoadedModel> model;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<std::string> errors;
};

Imported importText(const char *text, ImportOptions options = {}) {
  Imported result;
  mlir::DialectRegistry registry;
  registerImporterDialects(registry);
  result.context = std::make_unique<mlir::MLIRContext>(registry);
  mlir::ScopedDiagnosticHandler handler(result.context.get(), [&](mlir::Diagnostic &diag) {
    result.errors.push_back(diag.str());
    return mlir::success();
  });
  auto model = loadModelFromText(text, "test.onnxtext");
  if (!model) {
    result.errors.push_back(llvm::toString(model.takeError()));
    return result;
  }
  result.model = std::move(*model);
  result.module = importModel(*result.context, *result.model, options);
  return result;
}

mlir::func::FuncOp mainOf(Imported &imported) {
  return imported.module->lookupSymbol<mlir::func::FuncOp>("main");
}

TEST(Importer, SpecializesDynamicDims) {
  ImportOptions options;
  options.inputShapes["x"] = {4, 3};
  Imported imported = importText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[N, 3] x) => (float[N, 3] y) { y = Sigmoid(x) })",
                                 options);
  ASSERT_TRUE(imported.module) << (imported.errors.empty() ? "" : imported.errors[0]);
  mlir::FunctionType type = mainOf(imported).getFunctionType();
  EXPECT_EQ(type.getInput(0), mlir::RankedTensorType::get({4, 3}, mlir::Float32Type::get(
                                                                        imported.context.get())));
  EXPECT_EQ(type.getResult(0), type.getInput(0));
}

TEST(Importer, ListsEveryUnsupportedOpOnce) {
  Imported imported = importText(R"(<ir_version: 8, opset_import: ["" : 17]>
g (float[2] x) => (float[2] y) { a = NonZero(x) b = Unique(x) c = NonZero(x) y = Relu(x) })");
  EXPECT_FALSE(imported.module);
  ASSERT_EQ(imported.errors.size(), 1u);
  EXPECT_EQ(imported.errors[0], "unsupported ops: NonZero (2 nodes, first 'NonZero_0'), Unique "
                                "(1 node, first 'Unique_1')");
}

TEST(Importer, FoldsShapeComputations) {
  Imported imported = importText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,4] x) => (float[6,4] y) <int64[1] last = {-1}, int64[1] end = {3}> {
  s = Shape(x)
  t = Slice(s, last, end)
  shape = Concat <axis = 0> (last, t)
  y = Reshape(x, shape)
})");
  ASSERT_TRUE(imported.module) << (imported.errors.empty() ? "" : imported.errors[0]);
  // Only the reshape is left: the shape computation folded into its attribute.
  std::vector<std::string> ops;
  mainOf(imported).walk([&](mlir::Operation *op) {
    ops.push_back(op->getName().getStringRef().str());
  });
  EXPECT_EQ(ops, (std::vector<std::string>{"lathe.reshape", "func.return", "func.func"}));
}

TEST(Importer, EveryTableOpIsImportedByAnImporterTest) {
  // The op table is the one source of what the importer supports; each op
  // in it has a node in the importer's lit tests (test/lit/importer), whose
  // CHECK lines say what it becomes.
  std::vector<std::string> ops = supportedOnnxOps();
  ASSERT_GT(ops.size(), 100u);
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  std::string tests;
  std::error_code error;
  for (llvm::sys::fs::directory_iterator it(LATHE_SOURCE_DIR "/test/lit/importer", error), end;
       it != end && !error; it.increment(error)) {
    if (!llvm::StringRef(it->path()).ends_with(".onnxtext"))
      continue;
    auto buffer = llvm::MemoryBuffer::getFile(it->path());
    ASSERT_TRUE(!!buffer) << it->path();
    tests += (*buffer)->getBuffer().str();
  }
  ASSERT_FALSE(error) << error.message();
  for (const std::string &op : ops) {
    llvm::Regex node("[ =]" + op + " *[<(]");
    EXPECT_TRUE(node.match(tests)) << op << " has no node in test/lit/importer/*.onnxtext";
  }
}

} // namespace
