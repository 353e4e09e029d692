//===- CompileCommand.cpp - lathe compile ---------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/importer/ModelLoader.h"
#include "compiler/pipeline/CLibraryWriter.h"
#include "compiler/pipeline/CompileJob.h"
#include "compiler/report/HtmlReport.h"
#include "compiler/tools/lathe/ImportOptionsFlags.h"
#include "compiler/tools/lathe/QuantizationFlags.h"
#include "targets/ane/MlPackage.h"

#include "lathe/artifact_format.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &compileCommand() {
  static cl::SubCommand command("compile", "Compiles an ONNX model into one artifact file");
  return command;
}

namespace {

cl::list<std::string> models(cl::Positional, cl::desc("MODEL"), cl::sub(compileCommand()));
cl::opt<std::string> output("o", cl::desc("The artifact to write"), cl::value_desc("OUT.lathe"),
                            cl::sub(compileCommand()));
cl::alias outputLong("output", cl::desc("Alias for -o"), cl::aliasopt(output));
ImportOptionsFlags importFlags(compileCommand(), /*kvCache=*/true);
cl::list<std::string> entrySpecs(
    "entry",
    cl::desc("Compiles the model once more with these input shapes (over --input-shape's) as\n"
             "an entry of the artifact (--entry prefill:input_ids=1,128 --entry "
             "decode:input_ids=1,1):\nall entries' code reads one copy of the weights; the "
             "first is the default\n(lathe run/bench --entry NAME pick another)"),
    cl::value_desc("NAME:INPUT=D0,...[+INPUT=...]"), cl::sub(compileCommand()));
cl::opt<std::string> target(
    "target",
    cl::desc("Where the ops run: cpu; hexagon (the Hexagon DSP, ops it does not run fall back\n"
             "to the cpu); ane (Core ML ML Programs in fp16, the rest on the cpu)"),
    cl::value_desc("cpu|hexagon|ane"), cl::init("cpu"), cl::sub(compileCommand()));
cl::opt<std::string> host(
    "host",
    cl::desc("The CPU that runs the runtime and the cpu partitions (the artifact records it):\n"
             "this machine by default, or aarch64-linux-gnu for an Arm device's cores"),
    cl::value_desc("x86_64-linux-gnu|aarch64-linux-gnu"), cl::sub(compileCommand()));
cl::opt<std::string> cpu("cpu",
                         cl::desc("The host's CPU as LLVM names it: native, x86-64-v3, oryon-1,\n"
                                  "apple-m4, cortex-a78, ... (default: this machine's, or the\n"
                                  "baseline of a foreign --host)"),
                         cl::value_desc("CPU"),
                         cl::sub(compileCommand()));
cl::opt<std::string> hexagonArch(
    "hexagon-arch",
    cl::desc("Emits the DSP's code for a device (HVX floating point); by default it runs "
             "under qemu-hexagon"),
    cl::value_desc("v68|v73|v75"), cl::sub(compileCommand()));
cl::opt<std::string> mlpackageDir(
    "emit-mlpackage",
    cl::desc("Writes the ane partitions as .mlpackage directories (OUT.mlpackage for one,\n"
             "OUT/<partition>.mlpackage for several)"),
    cl::value_desc("OUT"), cl::sub(compileCommand()));
cl::opt<std::string> cLibraryDir(
    "emit-c-library",
    cl::desc("Writes the model as a C library: DIR/lib<name>.a and DIR/<name>.h with a typed\n"
             "C API (<name>_create, <name>_run, <name>_release; sizes as constants), no\n"
             "runtime, loader or file needed at run time (cpu target, one entry)"),
    cl::value_desc("DIR"), cl::sub(compileCommand()));
cl::opt<std::string> cLibraryName(
    "c-library-name",
    cl::desc("The C library's name, the prefix of its symbols (default: the model file's)"),
    cl::value_desc("NAME"), cl::sub(compileCommand()));
cl::opt<std::string> cLibraryWeights(
    "c-library-weights",
    cl::desc("linked: the weights in the library (default); file: in DIR/<name>.weights,\n"
             "mapped by <name>_create_from_file"),
    cl::value_desc("linked|file"), cl::init("linked"), cl::sub(compileCommand()));
cl::opt<std::string> reportPath(
    "report",
    cl::desc("Writes one self-contained HTML page of the compile: the graph coloured by\n"
             "target and partition, the tensors that cross, each partition's kernels and the\n"
             "ONNX nodes fused into them, the arena as a timeline of buffers, constants and\n"
             "code sizes, warnings and per-layer SQNR when quantized"),
    cl::value_desc("FILE.html"), cl::sub(compileCommand()));
cl::opt<std::string> statsPath(
    "stats",
    cl::desc("Writes the compile's numbers as JSON: ops per target, partitions, kernels, arena,\n"
             "constants and code bytes, warnings, quantization accuracy"),
    cl::value_desc("FILE.json"), cl::sub(compileCommand()));
cl::opt<bool> printIrAfterAll("print-ir-after-all", cl::desc("Prints the IR after every pass"),
                              cl::sub(compileCommand()));
cl::list<std::string> disabledPasses(
    "disable-pass", cl::desc("Leaves one optional pass out (an unknown name's error lists them)"),
    cl::value_desc("NAME"), cl::sub(compileCommand()));
cl::opt<bool> noFusion("no-fusion", cl::desc("Leaves out every fusion"), cl::sub(compileCommand()));
cl::opt<bool> noLayout("no-layout",
                       cl::desc("Keeps convolutions channels first and matmul weights as they are "
                                "(not packed in panels)"),
                       cl::sub(compileCommand()));
cl::opt<bool> passTiming("pass-timing", cl::desc("Prints MLIR's time per pass"),
                         cl::sub(compileCommand()));
cl::opt<std::string> crashReproducer(
    "crash-reproducer",
    cl::desc("A pass that crashes or fails writes the IR and pipeline that reproduce it\n"
             "(lathe-opt --run-reproducer FILE runs it)"),
    cl::value_desc("FILE"), cl::sub(compileCommand()));

/// The ane partitions' packages: `directory`.mlpackage when there is one
/// (`directory` itself if it ends so), else `directory` holds
/// <partition>.mlpackage each; Xcode and coremltools know a package by
/// that extension.
llvm::Error writeMlPackages(const Artifact &artifact, llvm::StringRef directory) {
  std::vector<ane::MlPackage> packages;
  for (const Artifact::Code &code : artifact.code)
    if (code.target == LATHE_TARGET_ANE) {
      auto some = ane::deserializePackages(llvm::ArrayRef<uint8_t>(
          reinterpret_cast<const uint8_t *>(code.bytes.data()), code.bytes.size()));
      if (!some)
        return some.takeError();
      for (ane::MlPackage &package : *some)
        packages.push_back(std::move(package));
    }
  if (packages.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no op runs on the ane (compile with --target ane)");
  for (const ane::MlPackage &package : packages) {
    llvm::SmallString<256> path(directory);
    if (packages.size() > 1)
      llvm::sys::path::append(path, package.name + ".mlpackage");
    else if (!directory.ends_with(".mlpackage"))
      path += ".mlpackage";
    if (auto err = ane::writePackage(package, path))
      return err;
  }
  return llvm::Error::success();
}

/// --entry NAME:INPUT=D0,D1,...[+INPUT=...]: the --input-shape shapes with
/// the entry's own over them.
std::optional<std::string> addEntries(CompileOptions &options) {
  for (const std::string &spec : entrySpecs) {
    llvm::StringRef name, shapes;
    std::tie(name, shapes) = llvm::StringRef(spec).split(':');
    if (name.empty() || !llvm::StringRef(spec).contains(':') ||
        !llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_' || c == '-'; }))
      return "--entry '" + spec +
             "': expected NAME:INPUT=D0,D1,...[+INPUT=...] (NAME of letters, digits, _ and -)";
    if (llvm::any_of(options.entries, [&](const auto &e) { return e.name == name; }))
      return "--entry '" + spec + "': a second entry named '" + name.str() + "'";
    CompileOptions::Entry entry{name.str(), options.import};
    llvm::SmallVector<llvm::StringRef> parts;
    if (!shapes.empty())
      shapes.split(parts, '+');
    for (llvm::StringRef part : parts)
      if (auto err = parseInputShape(part, entry.import))
        return "--entry '" + spec + "': " + llvm::toString(std::move(err));
    options.entries.push_back(std::move(entry));
  }
  return std::nullopt;
}

llvm::Error writeFile(const std::string &path, llvm::StringRef bytes) {
  std::string openError;
  auto out = mlir::openOutputFile(path, &openError);
  if (!out)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write '" + path + "': " + openError);
  out->os() << bytes;
  out->keep();
  return llvm::Error::success();
}

} // namespace

int runCompile() {
  // LLD, which links the cpu partitions, resets every cl option when it
  // reads its -mllvm flags: the values are copied out before anything links.
  const std::string outputPath = output, stats = statsPath, mlpackage = mlpackageDir,
                    cLibrary = cLibraryDir, cLibraryWeightsMode = cLibraryWeights,
                    reportFile = reportPath;
  std::string cName = cLibraryName;
  CompileJob job;
  CompileOptions &options = job.options;
  options.target = target;
  TargetOptions &targetOptions = options.targetOptions;
  if (host.getNumOccurrences())
    targetOptions.host = host;
  if (cpu.getNumOccurrences())
    targetOptions.cpu = cpu;
  if (hexagonArch.getNumOccurrences())
    targetOptions.hexagonArch = hexagonArch;
  targetOptions.disabledPasses.assign(disabledPasses.begin(), disabledPasses.end());
  targetOptions.printIrAfterAll = printIrAfterAll;
  targetOptions.passTiming = passTiming;
  targetOptions.crashReproducer = crashReproducer;
  targetOptions.noFusion = noFusion;
  targetOptions.noLayout = noLayout;
  options.progress = [](llvm::StringRef what, size_t done, size_t total) {
    showProgress(what, done, total, "");
  };

  auto quantization = quantizationFromFlags(/*defaultMode=*/"");
  if (!quantization)
    return fail("compile: " + llvm::toString(quantization.takeError()));
  job.quantization = std::move(*quantization);
  if (auto error = importFlags.apply(options.import))
    return fail("compile: " + *error);
  if (auto error = addEntries(options))
    return fail("compile: " + *error);
  if (models.size() != 1)
    return fail("compile: expected one model file (lathe compile MODEL.onnx -o OUT.lathe)");
  if (outputPath.empty() && cLibrary.empty())
    return fail("compile: -o OUT.lathe (or --emit-c-library DIR) is required");
  const std::string path = models[0];
  CLibraryOptions cLibraryOptions;
  if (!cLibrary.empty()) {
    if (cLibraryWeightsMode != "linked" && cLibraryWeightsMode != "file")
      return fail("compile: --c-library-weights '" + cLibraryWeightsMode +
                  "': expected linked or file");
    cLibraryOptions.linkWeights = cLibraryWeightsMode == "linked";
    if (cName.empty()) {
      // The model file's name, made an identifier.
      for (char c : llvm::sys::path::stem(path))
        cName += llvm::isAlnum(c) ? c : '_';
      if (cName.empty() || llvm::isDigit(cName[0]))
        cName = "model_" + cName;
    }
    cLibraryOptions.name = cName;
    if (!isCLibraryName(cName))
      return fail("compile: --c-library-name '" + cName +
                  "': a C library's name prefixes its symbols (letters, digits and _, no digit "
                  "first)");
    options.entryPrefix = cName + "_step";
    options.keepCpuObjects = true;
  }
  auto model = loadModel(path);
  if (!model)
    return fail(model.takeError());

  CompileReport report;
  if (!reportFile.empty())
    options.report = &report;
  auto compiled = compileJob(**model, job);
  if (!compiled) {
    std::string message = llvm::toString(compiled.takeError());
    // The job's own complaints about its options name no file.
    if (llvm::StringRef(message).starts_with("--"))
      return fail("compile: " + message);
    return fail(llvm::createStringError(llvm::inconvertibleErrorCode(), message));
  }
  for (const std::string &line : compiled->warnings)
    llvm::errs() << "lathe: warning: " << line << "\n";
  for (const std::string &line : compiled->notes)
    llvm::errs() << "lathe: note: " << line << "\n";
  if (!outputPath.empty()) {
    std::vector<char> bytes = serializeArtifact(compiled->artifact);
    if (auto err = writeFile(outputPath, llvm::StringRef(bytes.data(), bytes.size())))
      return fail(std::move(err));
  }
  if (!cLibrary.empty())
    if (auto err = writeCLibrary(compiled->artifact, options.targetOptions, cLibraryOptions,
                                 cLibrary, path))
      return fail(path + ": " + llvm::toString(std::move(err)));
  if (!stats.empty())
    if (auto err = writeFile(stats, compiled->stats.json()))
      return fail(std::move(err));
  if (!reportFile.empty())
    if (auto err = writeFile(reportFile, renderHtmlReport(report, compiled->stats.json())))
      return fail(std::move(err));
  if (!mlpackage.empty())
    if (auto err = writeMlPackages(compiled->artifact, mlpackage))
      return fail(path + ": --emit-mlpackage: " + llvm::toString(std::move(err)));
  return 0;
}

} // namespace lathe::driver
