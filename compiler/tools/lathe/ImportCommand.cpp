//===- ImportCommand.cpp - lathe import -----------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/CompileJob.h"
#include "compiler/tools/lathe/ImportOptionsFlags.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &importCommand() {
  static cl::SubCommand command("import", "Imports an ONNX model into the lathe dialect and prints the IR");
  return command;
}

namespace {

cl::list<std::string> models(cl::Positional, cl::desc("MODEL"), cl::sub(importCommand()));
cl::opt<std::string> output("o", cl::desc("Where the IR goes (default: stdout)"),
                            cl::value_desc("FILE"), cl::init("-"), cl::sub(importCommand()));
cl::alias outputLong("output", cl::desc("Alias for -o"), cl::aliasopt(output));
cl::opt<bool> elide("elide-large-constants",
                    cl::desc("Prints large constants as <elided> (IR to read, not to parse)"),
                    cl::sub(importCommand()));
cl::opt<bool> debugInfo("debug-info", cl::desc("Prints locations: the ONNX node names"),
                        cl::sub(importCommand()));
cl::opt<bool> split("split-input-file",
                    cl::desc("Imports each '# -----'-separated part of a text model as a model "
                             "of its own"),
                    cl::sub(importCommand()));
ImportOptionsFlags importFlags(importCommand(), /*kvCache=*/true);

} // namespace

int runImport() {
  ImportOptions options;
  if (auto error = importFlags.apply(options))
    return fail("import: " + *error);
  if (models.size() != 1)
    return fail("import: expected one model file (lathe import MODEL.onnx)");

  llvm::StringRef path = models[0];
  std::string openError;
  auto out = mlir::openOutputFile(output, &openError);
  if (!out)
    return fail("cannot write '" + output + "': " + openError);
  mlir::OpPrintingFlags flags;
  if (elide)
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
  if (debugInfo)
    flags.enableDebugInfo();

  // Each part is imported in a context of its own, as its own model.
  auto importOne = [&](llvm::Expected<std::unique_ptr<LoadedModel>> model) {
    if (!model)
      return fail(llvm::toString(model.takeError()));
    CompilerContext compiler;
    mlir::OwningOpRef<mlir::ModuleOp> module = importModel(compiler.context(), **model, options);
    if (!module)
      return fail(compiler.takeErrors(path + ": import failed"));
    module->print(out->os(), flags);
    out->os() << "\n";
    return 0;
  };

  int status = 0;
  if (!split) {
    status = importOne(loadModel(path));
  } else {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return fail(path + ": cannot read the file: " + buffer.getError().message());
    llvm::SmallVector<llvm::StringRef> parts;
    (*buffer)->getBuffer().split(parts, "\n# -----");
    for (auto [i, part] : llvm::enumerate(parts)) {
      if (i)
        out->os() << "// -----\n";
      status |= importOne(loadModelFromText(part, path));
    }
  }
  out->keep();
  return status;
}

} // namespace lathe::driver
