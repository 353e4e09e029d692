//===- FuzzOnnxImport.cpp - ONNX model bytes -> the importer --------------===//
//
// The bytes are a binary ModelProto, imported as `lathe import` would: every
// outcome is a module that verifies or errors, each one line. One context
// serves many inputs (creating one per input would spend the fuzzing time
// on dialect registration); it is renewed now and then so that the
// attributes it uniques do not pile up.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdlib>
#include <exception>
#include <memory>

namespace {

std::unique_ptr<mlir::MLIRContext> context;
int uses = 0;

mlir::MLIRContext &freshEnoughContext() {
  if (!context || ++uses > 2000) {
    mlir::DialectRegistry registry;
    lathe::registerImporterDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->disableMultithreading();
    context->loadAllAvailableDialects();
    uses = 0;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  try {
    auto model = lathe::loadModelFromBytes(bytes, "fuzz.onnx");
    if (!model) {
      llvm::consumeError(model.takeError());
      return 0;
    }
    mlir::MLIRContext &ctx = freshEnoughContext();
    // A model that does not import says why in one error (the driver prints
    // each error as one line).
    int errors = 0;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&errors](mlir::Diagnostic &diag) {
      errors += diag.getSeverity() == mlir::DiagnosticSeverity::Error;
      return mlir::success();
    });
    lathe::ImportOptions options;
    mlir::OwningOpRef<mlir::ModuleOp> module = lathe::importModel(ctx, **model, options);
    if (errors > 1 || (!module && errors == 0))
      std::abort();
    if (module && failed(mlir::verify(*module)))
      std::abort(); // the importer returned a module that does not verify
  } catch (const std::exception &) {
    // The ONNX and protobuf libraries throw on some malformed input; the
    // driver turns that into one line (lathe.cpp's main).
  }
  return 0;
}
