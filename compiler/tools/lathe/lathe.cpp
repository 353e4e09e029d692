//===- lathe.cpp - the lathe driver ---------------------------------------===//
//
//   lathe import | compile | quantize | run | bench | generate | inspect | ops
//
// LLVM's command-line library parses the subcommands and generates their
// --help; each command lives in its own file (Driver.h says how they meet).
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/OnnxImporter.h"
#include "compiler/tools/lathe/Driver.h"

#include "lathe/artifact_format.h"
#include "lathe_version.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

#include <exception>
#include <sys/mman.h>
#include <unistd.h>
#include <optional>

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &opsCommand() {
  static cl::SubCommand command("ops", "Lists the ONNX ops lathe imports");
  return command;
}

int runOps() {
  for (const std::string &op : supportedOnnxOps())
    llvm::outs() << op << "\n";
  return 0;
}

namespace {

/// cl's own complaints ("lathe: Unknown command line argument '--x'.  Try:
/// ...", possibly with "lathe: Did you mean '--y'?") as one error line.
std::string oneLine(llvm::StringRef text, llvm::StringRef usage) {
  std::string joined;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    line = line.trim();
    line.consume_front("lathe: ");
    line.consume_front("for the ");
    llvm::StringRef option;
    if (line.consume_front("Unknown command line argument '")) {
      option = line.take_until([](char c) { return c == '\''; });
      joined += "unknown option " + option.split('=').first.str() + " (" + usage.str() + " --help lists the options)";
      continue;
    }
    if (line.consume_front("Did you mean '")) {
      joined += "; did you mean " + line.take_until([](char c) { return c == '\''; }).split('=').first.str() + "?";
      continue;
    }
    joined += (joined.empty() ? "" : "; ") + line.str();
  }
  return joined;
}

/// Catches what is written to stderr (fd 2) while it lives.
class StderrCapture {
public:
  StderrCapture() {
    llvm::errs().flush();
    saved = dup(2);
    file = memfd_create("lathe-command-line", 0);
    if (saved >= 0 && file >= 0)
      dup2(file, 2);
  }
  ~StderrCapture() {
    if (saved >= 0) {
      dup2(saved, 2);
      close(saved);
    }
    if (file >= 0)
      close(file);
  }
  std::string text() {
    std::string text;
    if (file < 0)
      return text;
    char buffer[4096];
    ssize_t n;
    lseek(file, 0, SEEK_SET);
    while ((n = read(file, buffer, sizeof(buffer))) > 0)
      text.append(buffer, n);
    return text;
  }

private:
  int saved = -1, file = -1;
};

/// LLVM's own options (libLLVM's codegen and debugging flags) are
/// registered at the top level, which cl also searches when a subcommand is
/// given: one of them given to a command is an unknown option of lathe's.
std::optional<std::string> llvmOptionGiven() {
  for (auto &[name, option] : cl::getRegisteredOptions(cl::SubCommand::getTopLevel()))
    if (option->getNumOccurrences() && !option->Subs.contains(&cl::SubCommand::getAll()))
      return "unknown option --" + name.str();
  return std::nullopt;
}

void printVersion(llvm::raw_ostream &os) {
  os << "lathe " LATHE_VERSION "\n"
     << "  artifact format " << LATHE_ARTIFACT_VERSION << "\n"
     << "  targets: cpu (x86-64, AArch64), hexagon, ane\n"
     << "  LLVM/MLIR " LLVM_VERSION_STRING "\n";
}

struct Command {
  cl::SubCommand &(*subcommand)();
  int (*run)();
};

constexpr Command kCommands[] = {
    {importCommand, runImport},     {compileCommand, runCompile},
    {quantizeCommand, runQuantize}, {runCommand, runRun},
    {benchCommand, runBench},       {generateCommand, runGenerate},
    {inspectCommand, runInspect},   {opsCommand, runOps},
};

int drive(int argc, char **argv) {
  for (const Command &c : kCommands)
    c.subcommand();
  // libLLVM's own options (codegen and debugging flags) are not the
  // driver's: --help shows only the commands and the generic options.
  cl::HideUnrelatedOptions(llvm::ArrayRef<const cl::OptionCategory *>{});
  cl::SetVersionPrinter(printVersion);
  if (argc < 2)
    return fail("expected a command (lathe --help lists them)");
  llvm::StringRef command = argv[1];
  if (!command.starts_with("-") &&
      llvm::none_of(kCommands, [&](const Command &c) { return c.subcommand().getName() == command; }))
    return fail("unknown command '" + command + "' (try lathe --help)");

  std::string complaints;
  bool parsed;
  {
    // Some of cl's complaints (a missing value) go to stderr whatever
    // stream it is given: stderr is caught while it parses.
    StderrCapture capture;
    llvm::raw_string_ostream errors(complaints);
    parsed = cl::ParseCommandLineOptions(
        argc, argv, "lathe: ahead-of-time compiler for ONNX models on edge hardware\n", &errors,
        /*VFS=*/nullptr, /*EnvVar=*/nullptr, /*LongOptionsUseDoubleDash=*/true);
    complaints = capture.text() + complaints;
  }
  bool subcommand = !command.starts_with("-");
  if (!parsed)
    return fail((subcommand ? command.str() + ": " : "") +
                oneLine(complaints, subcommand ? "lathe " + command.str() : "lathe"));
  if (auto error = llvmOptionGiven())
    return fail(command + ": " + *error + " (lathe " + command + " --help lists the options)");
  for (const Command &c : kCommands)
    if (c.subcommand())
      return c.run();
  return fail("expected a command (lathe --help lists them)");
}

} // namespace
} // namespace lathe::driver

int main(int argc, char **argv) {
  try {
    return lathe::driver::drive(argc, argv);
  } catch (const std::exception &e) {
    // The ONNX and protobuf libraries throw on some malformed input.
    return lathe::driver::fail(std::string("unexpected failure: ") + e.what());
  }
}
