//===- lathe.cpp - the lathe driver ---------------------------------------===//
//
//   lathe import MODEL.onnx [--input-shape NAME=D0,D1,...]... [-o OUT.mlir]
//   lathe ops
//
// Every failure is one line on stderr, "lathe: error: WHERE: WHAT", and exit
// code 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <exception>
#include <functional>
#include <optional>

using namespace lathe;

namespace {

constexpr const char *kUsage = R"(lathe: ahead-of-time compiler for ONNX models on edge hardware

usage:
  lathe import MODEL [--input-shape NAME=D0,D1,...]... [-o FILE]
               [--elide-large-constants] [--debug-info] [--split-input-file]
      Imports MODEL (.onnx, or .onnxtext in ONNX text syntax) into the lathe
      dialect and prints the verified IR. --debug-info prints locations (ONNX
      node names); --split-input-file imports each "# -----"-separated part
      of a text model on its own.
  lathe ops
      Lists the ONNX ops lathe imports.

Options take either --name=value or --name value.
)";

int fail(const llvm::Twine &message) {
  llvm::errs() << "lathe: error: " << message << "\n";
  return 1;
}

/// Command-line options after the subcommand: positional arguments and
/// --name value / --name=value pairs.
class Args {
public:
  Args(int argc, char **argv) : argc(argc), argv(argv) {}

  /// Walks the arguments, calling `onOption(name, value)` for each option.
  /// Options in `valued` take a value, those in `flags` none; any other
  /// option is an error.
  std::optional<std::string>
  parse(llvm::ArrayRef<llvm::StringRef> valued, llvm::ArrayRef<llvm::StringRef> flags,
        const std::function<void(llvm::StringRef, llvm::StringRef)> &onOption) {
    for (int i = 0; i < argc; ++i) {
      llvm::StringRef arg = argv[i];
      if (!arg.starts_with("-") || arg == "-") {
        positional.push_back(arg);
        continue;
      }
      auto [name, value] = arg.split('=');
      bool isFlag = llvm::is_contained(flags, name);
      if (!isFlag && !llvm::is_contained(valued, name))
        return "unknown option " + name.str();
      if (isFlag && arg.contains('='))
        return "option " + name.str() + " takes no value";
      if (!isFlag && !arg.contains('=')) {
        if (i + 1 >= argc)
          return "option " + name.str() + " needs a value";
        value = argv[++i];
      }
      onOption(name, value);
    }
    return std::nullopt;
  }

  std::vector<llvm::StringRef> positional;

private:
  int argc;
  char **argv;
};

/// Prints errors as single lines naming the model node they concern; notes
/// and remarks stay quiet.
void installDiagnosticHandler(mlir::MLIRContext &context, int &errors) {
  context.getDiagEngine().registerHandler([&errors](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
      return;
    ++errors;
    std::string where;
    mlir::Location loc = diag.getLocation();
    if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc)) {
      if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(name.getChildLoc()))
        where = file.getFilename().str() + ": ";
      where += "node '" + name.getName().str() + "': ";
    } else if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(loc)) {
      where = file.getFilename().str() + ": ";
    }
    std::string message = diag.str();
    std::replace(message.begin(), message.end(), '\n', ' ');
    llvm::errs() << "lathe: error: " << where << message << "\n";
  });
}

int runImport(int argc, char **argv) {
  ImportOptions options;
  std::string output = "-";
  bool elide = false, debugInfo = false, split = false;
  Args args(argc, argv);
  std::string shapeError;
  auto parseError = args.parse({"--input-shape", "-o", "--output"},
                               {"--elide-large-constants", "--debug-info", "--split-input-file"},
                               [&](llvm::StringRef name, llvm::StringRef value) {
    if (name == "--input-shape") {
      if (auto err = parseInputShape(value, options))
        shapeError = llvm::toString(std::move(err));
    } else if (name == "-o" || name == "--output") {
      output = value.str();
    } else if (name == "--elide-large-constants") {
      elide = true;
    } else if (name == "--debug-info") {
      debugInfo = true;
    } else if (name == "--split-input-file") {
      split = true;
    }
  });
  if (parseError)
    return fail("import: " + *parseError);
  if (!shapeError.empty())
    return fail(shapeError);
  if (args.positional.size() != 1)
    return fail("import: expected one model file (lathe import MODEL.onnx)");

  llvm::StringRef path = args.positional[0];
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
    mlir::DialectRegistry registry;
    registerImporterDialects(registry);
    mlir::MLIRContext context(registry);
    int errors = 0;
    installDiagnosticHandler(context, errors);
    mlir::OwningOpRef<mlir::ModuleOp> module = importModel(context, **model, options);
    if (!module)
      return errors ? 1 : fail(path + ": import failed");
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

int runOps() {
  for (const std::string &op : supportedOnnxOps())
    llvm::outs() << op << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return llvm::errs() << kUsage, 1;
  llvm::StringRef command = argv[1];
  try {
    if (command == "import")
      return runImport(argc - 2, argv + 2);
    if (command == "ops")
      return runOps();
    if (command == "--help" || command == "-h" || command == "help")
      return llvm::outs() << kUsage, 0;
  } catch (const std::exception &e) {
    // The ONNX and protobuf libraries throw on some malformed input.
    return fail(std::string("unexpected failure: ") + e.what());
  }
  return fail("unknown command '" + command + "' (try lathe --help)");
}
