//===- Driver.cpp - what the lathe driver's commands share ----------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/importer/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace lathe::driver {

int fail(const llvm::Twine &message) {
  llvm::errs() << "lathe: error: " << message << "\n";
  return 1;
}

std::optional<std::string> parsePositive(llvm::StringRef option, llvm::StringRef text,
                                         unsigned &value) {
  if (!text.getAsInteger(10, value) && value >= 1)
    return std::nullopt;
  return "--" + option.str() + " needs a positive integer, got '" + text.str() + "'";
}

namespace {

mlir::DialectRegistry importerRegistry() {
  mlir::DialectRegistry registry;
  registerImporterDialects(registry);
  return registry;
}

} // namespace

CompilerContext::CompilerContext() : context(importerRegistry()) {
  context.getDiagEngine().registerHandler([this](mlir::Diagnostic &diag) {
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

std::optional<std::string> LoadedSession::open(const std::string &path,
                                               const lathe_session_options &options) {
  lathe_status status;
  lathe_model *m = nullptr;
  if (lathe_model_load_file(path.c_str(), lathe_system_allocator(), &m, &status) != LATHE_OK)
    return std::string(status.message);
  model.reset(m);
  lathe_session *s = nullptr;
  if (lathe_session_create_with_options(m, lathe_system_allocator(), &options, &s, &status) !=
      LATHE_OK)
    return path + ": " + status.message;
  session.reset(s);
  return std::nullopt;
}

void showProgress(llvm::StringRef what, size_t done, size_t total, llvm::StringRef unit) {
  if (!llvm::errs().is_displayed())
    return;
  // The line is rewritten in place and cleared of a longer earlier one.
  llvm::errs() << "\r\x1b[Klathe: " << what << ": " << done << "/" << total << " " << unit;
  if (done == total)
    llvm::errs() << "\n";
  llvm::errs().flush();
}

} // namespace lathe::driver
