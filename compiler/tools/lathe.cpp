//===- lathe.cpp - the lathe driver ---------------------------------------===//
//
//   lathe import | compile | quantize | run | bench | inspect | ops
// (kUsage below says how each is called).
//
// Every failure is one line on stderr, "lathe: error: WHERE: WHAT", and exit
// code 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/Compiler.h"
#include "compiler/quantization/StaticQuantization.h"
#include "compiler/tools/TensorFiles.h"
#include "targets/ane/MlPackage.h"

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"
#include "runtime/tools/bench.h"
#include "runtime/tools/generate.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <sys/resource.h>
#include <functional>
#include <optional>

using namespace lathe;

namespace {

constexpr const char *kUsage = R"(lathe: ahead-of-time compiler for ONNX models on edge hardware

usage:
  lathe import MODEL [--input-shape NAME=D0,D1,...]... [--kv-cache N] [-o FILE]
               [--elide-large-constants] [--debug-info] [--split-input-file]
      Imports MODEL (.onnx, or .onnxtext in ONNX text syntax) into the lathe
      dialect and prints the verified IR. --debug-info prints locations (ONNX
      node names); --split-input-file imports each "# -----"-separated part
      of a text model on its own.
  lathe compile MODEL -o OUT.lathe [--target cpu|hexagon|ane] [--input-shape NAME=D0,...]...
                [--entry NAME:INPUT=D0,...[+INPUT=...]]... [--kv-cache N]
                [--host x86_64-linux-gnu|aarch64-linux-gnu] [--cpu native|x86-64-v3|oryon-1|...]
                [--hexagon-arch v68|v73|v75]
                [--emit-mlpackage DIR] [--stats FILE.json] [--print-ir-after-all]
                [--disable-pass NAME]... [--no-fusion] [--no-layout]
                [--pass-timing] [--crash-reproducer FILE]
                [--quantize static --calibration DIR [--calibration-method M]
                 [--keep-float NODE,...] [--warn-below-sqnr DB]] [--quantize dynamic|weights-int8]
      Compiles MODEL into one artifact file. Each --entry compiles MODEL
      once more with those input shapes (over --input-shape's) as an entry
      of the artifact (prefill:input_ids=1,128 --entry decode:input_ids=1,1):
      all entries' code reads one copy of the weights; the first entry is
      the default (`lathe run/bench --entry NAME` pick another). --kv-cache N
      keeps a decoder's key/value cache in the session: each past input
      concatenated in front of new keys or values into a present output
      becomes a cache of N positions that every entry writes in place (the
      presents are no outputs, the pasts no inputs; lathe generate drives
      it). --quantize static|dynamic|weights-int8
      compiles what lathe quantize would write (see there). --host names the
      CPU that runs the runtime and the cpu partitions (the artifact records
      it; a runtime built for another CPU refuses it): this machine by
      default, or aarch64-linux-gnu for an Arm device's cores, with --cpu
      naming its CPU as LLVM does (oryon-1, apple-m4, cortex-a78; the
      default there is the baseline). With --target hexagon, ops the
      Hexagon DSP does not run fall back to the cpu (--stats counts the ops
      per target and the partitions); the default code runs under
      qemu-hexagon, --hexagon-arch emits for a device (HVX floating point).
      With --target ane, ops go to Core ML ML Programs in fp16 (the rest to
      the cpu); --emit-mlpackage OUT writes them as .mlpackage directories
      (OUT.mlpackage for one, OUT/<partition>.mlpackage for several).
      --disable-pass leaves one optional pass out (the error lists them);
      --no-fusion leaves out every fusion, --no-layout keeps convolutions
      channels first and matmul weights as they are (not packed in panels).
      --pass-timing prints MLIR's time per pass; --crash-reproducer FILE has
      a pass that crashes or fails write the IR and pipeline that reproduce
      it (run it with lathe-opt --run-reproducer FILE).
  lathe quantize MODEL [--quantize static|dynamic|weights-int8] [--calibration DIR] -o OUT.qdq.onnx
                 [--input-shape NAME=D0,...]...
                 [--calibration-method minmax|percentile|entropy] [--keep-float NODE,...]
                 [--warn-below-sqnr DB] [--stats FILE.json]
      Post-training int8 quantization: calibrates MODEL on the samples in DIR
      (one .npy/.pb per sample for a model of one input, or one folder per
      sample with a file per input name) and writes the decisions as a QDQ
      ONNX model: activations around each convolution, matmul and gemm uint8
      per tensor, weights int8 per output channel, biases int32. lathe
      compiles it to integer kernels; any ONNX runtime runs it.
      --keep-float leaves the named nodes in float. A convolution's batch
      normalization is folded into its weights first. Calibration ends
      with the quantized model run beside the fp32 one over the samples:
      --stats writes each layer's output SQNR against fp32 and each
      output's SQNR and argmax agreement, and layers below
      --warn-below-sqnr (20 dB) are warned about. --quantize weights-int8
      writes only the weights int8 (per output channel, behind a
      DequantizeLinear) and needs no samples: the ane stores them as int8
      (constexpr_affine_dequantize) and computes in fp16; the cpu and
      hexagon read them as int8 panels in their matmuls. --quantize dynamic
      writes ONNX Runtime's quantize_dynamic form for matmuls and gemms
      (no samples): the input quantized to uint8 at run time
      (DynamicQuantizeLinear), weights int8 per column, MatMulInteger, the
      product scaled back to float; convolutions stay float.
  lathe run ARTIFACT --input NAME=FILE... --output-dir DIR [--threads N] [--entry NAME]
      Runs ARTIFACT (its entry NAME, else its first) on inputs from .npy or ONNX TensorProto .pb files and writes
      DIR/output_<i>.npy (graph output order) and DIR/outputs.json. The cpu
      kernels run on N threads (default: LATHE_NUM_THREADS, else 1); the
      outputs are the same, bit for bit, for every N.
  lathe bench ARTIFACT [--input NAME=FILE]... [--runs N] [--threads N] [--entry NAME] [--json]
      Times ARTIFACT's runs (seeded random inputs unless given): p50/p95/min
      latency, load time, arena bytes, peak RSS, on N threads.
  lathe generate ARTIFACT --prompt-ids ID,... --max-new-tokens N [--threads N] [--json]
      Greedy decoding with a decoder compiled with --kv-cache: the prompt
      goes through the entries that write the most positions a run (a
      prefill), each new id (the argmax of the last logits) through the
      entry that writes one (decode:input_ids=1,1). Prints the new ids, the
      time to the first and the tokens per second after it.
  lathe inspect ARTIFACT
      Prints an artifact's layout: format version, sections (offset, size),
      signature, plan and arena size.
  lathe ops
      Lists the ONNX ops lathe imports.

Options take either --name=value or --name value.
)";

int fail(const llvm::Twine &message) {
  llvm::errs() << "lathe: error: " << message << "\n";
  return 1;
}

/// An artifact loaded with a session on it (lathe run, lathe generate).
struct LoadedSession {
  std::unique_ptr<lathe_model, void (*)(lathe_model *)> model{nullptr, lathe_model_release};
  std::unique_ptr<lathe_session, void (*)(lathe_session *)> session{nullptr, lathe_session_release};
  /// The error line, if `path` does not load or the session cannot be made.
  std::optional<std::string> open(const std::string &path, const lathe_session_options &options) {
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
};

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

/// The MLIR context a command that imports or compiles works in: the
/// importer's dialects, and errors printed as single lines (and counted).
struct CompilerContext {
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    registerImporterDialects(registry);
    return registry;
  }
  CompilerContext() : context(registry()) { installDiagnosticHandler(context, errors); }
  int errors = 0;
  mlir::MLIRContext context;
};

int runImport(int argc, char **argv) {
  ImportOptions options;
  std::string output = "-";
  bool elide = false, debugInfo = false, split = false;
  Args args(argc, argv);
  std::string shapeError;
  auto parseError = args.parse({"--input-shape", "--kv-cache", "-o", "--output"},
                               {"--elide-large-constants", "--debug-info", "--split-input-file"},
                               [&](llvm::StringRef name, llvm::StringRef value) {
    if (name == "--input-shape") {
      if (auto err = parseInputShape(value, options))
        shapeError = llvm::toString(std::move(err));
    } else if (name == "--kv-cache") {
      if (value.getAsInteger(10, options.kvCacheCapacity) || options.kvCacheCapacity < 1 ||
          options.kvCacheCapacity > (1 << 20))
        shapeError = "import: --kv-cache '" + value.str() +
                     "': expected the cache's capacity in positions (1 to 1048576)";
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
    CompilerContext compiler;
    mlir::MLIRContext &context = compiler.context;
    int &errors = compiler.errors;
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

/// The quantization options `compile` and `quantize` share.
struct QuantizationArgs {
  std::string mode;
  StaticQuantizationOptions options;
  std::string methodError;
  void option(llvm::StringRef name, llvm::StringRef value) {
    if (name == "--quantize") {
      mode = value.str();
    } else if (name == "--calibration") {
      options.calibrationDir = value.str();
    } else if (name == "--calibration-method") {
      auto method = parseCalibrationMethod(value);
      if (method)
        options.method = *method;
      else
        methodError = llvm::toString(method.takeError());
    } else if (name == "--warn-below-sqnr") {
      if (!llvm::to_float(value, options.warnBelowSqnrDb))
        methodError = "--warn-below-sqnr needs a number of dB, got '" + value.str() + "'";
    } else if (name == "--keep-float") {
      llvm::SmallVector<llvm::StringRef> names;
      value.split(names, ',', -1, /*KeepEmpty=*/false);
      for (llvm::StringRef n : names)
        options.keepFloat.push_back(n.str());
    }
  }
  /// What is wrong with the options, if anything; `required`: calibration
  /// is what the command does (quantize).
  std::optional<std::string> check(bool required) const {
    if (!methodError.empty())
      return methodError;
    if (!required && mode.empty()) {
      if (!options.calibrationDir.empty())
        return std::string("--calibration needs --quantize static");
      return std::nullopt;
    }
    if (mode == "weights-int8" || mode == "dynamic") {
      if (!options.calibrationDir.empty())
        return "--calibration is for --quantize static (" + mode + " needs no samples)";
      return std::nullopt;
    }
    if (mode != "static")
      return "--quantize " + mode +
             ": lathe quantizes static (calibrated), dynamic and weights-int8 for now";
    if (options.calibrationDir.empty())
      return std::string("--calibration DIR is required (the samples to calibrate on)");
    return std::nullopt;
  }
  bool enabled() const { return !mode.empty(); }
  /// The QDQ model calibration writes for `model` at the `import` shapes,
  /// with its accuracy; a warning line on stderr if layers fall below the
  /// threshold.
  llvm::Expected<QuantizedModel> quantize(mlir::MLIRContext &context, LoadedModel &model,
                                       const ImportOptions &import);
};

/// A progress line on a terminal while calibrating.
void showProgress(size_t done, size_t total) {
  if (!llvm::errs().is_displayed())
    return;
  llvm::errs() << "\rlathe: calibrating: " << done << "/" << total << " runs";
  if (done == total)
    llvm::errs() << "\n";
  llvm::errs().flush();
}

llvm::Expected<QuantizedModel> QuantizationArgs::quantize(mlir::MLIRContext &context,
                                                           LoadedModel &model,
                                                           const ImportOptions &import) {
  options.import = import;
  options.progress = showProgress;
  auto quantized = mode == "weights-int8" ? quantizeWeights(context, model, options)
                   : mode == "dynamic"    ? quantizeDynamic(context, model, options)
                                          : quantizeStatic(context, model, options);
  if (!quantized)
    return quantized;
  const QuantizationAccuracy &accuracy = quantized->accuracy;
  const QuantizationAccuracy::Tensor *lowest = nullptr;
  size_t below = 0;
  for (const QuantizationAccuracy::Tensor &t : accuracy.layers) {
    below += t.sqnrDb < accuracy.warnBelowDb;
    if (!lowest || t.sqnrDb < lowest->sqnrDb)
      lowest = &t;
  }
  if (below)
    llvm::errs() << llvm::formatv("lathe: warning: {0}: {1} of {2} quantized layers below {3:F1} dB "
                                  "SQNR against fp32 (lowest: {4} '{5}', {6:F1} dB); --stats "
                                  "lists each\n",
                                  model.path(), below, accuracy.layers.size(),
                                  accuracy.warnBelowDb, lowest->op, lowest->node, lowest->sqnrDb);
  return quantized;
}

int runCompile(int argc, char **argv) {
  CompileOptions options;
  QuantizationArgs quantization;
  std::string output, statsPath, shapeError, mlpackageDir;
  std::vector<std::string> entrySpecs;
  Args args(argc, argv);
  auto parseError = args.parse(
      {"--input-shape", "--entry", "--kv-cache", "-o", "--output", "--target", "--cpu",
       "--host", "--hexagon-arch", "--stats", "--disable-pass", "--emit-mlpackage", "--crash-reproducer", "--quantize",
       "--calibration", "--calibration-method", "--keep-float", "--warn-below-sqnr"},
      {"--print-ir-after-all", "--no-fusion", "--no-layout", "--pass-timing"},
      [&](llvm::StringRef name, llvm::StringRef value) {
        if (name == "--input-shape") {
          if (auto err = parseInputShape(value, options.import))
            shapeError = llvm::toString(std::move(err));
        } else if (name == "--entry") {
          entrySpecs.push_back(value.str());
        } else if (name == "--kv-cache") {
          int64_t capacity = 0;
          if (value.getAsInteger(10, capacity) || capacity < 1 || capacity > (1 << 20))
            shapeError = "compile: --kv-cache '" + value.str() +
                         "': expected the cache's capacity in positions (1 to 1048576)";
          options.import.kvCacheCapacity = capacity;
        } else if (name == "-o" || name == "--output") {
          output = value.str();
        } else if (name == "--target") {
          options.target = value.str();
        } else if (name == "--host") {
          options.targetOptions.host = value.str();
        } else if (name == "--cpu") {
          options.targetOptions.cpu = value.str();
        } else if (name == "--hexagon-arch") {
          options.targetOptions.hexagonArch = value.str();
        } else if (name == "--stats") {
          statsPath = value.str();
        } else if (name == "--emit-mlpackage") {
          mlpackageDir = value.str();
        } else if (name == "--disable-pass") {
          options.targetOptions.disabledPasses.push_back(value.str());
        } else if (name == "--print-ir-after-all") {
          options.targetOptions.printIrAfterAll = true;
        } else if (name == "--pass-timing") {
          options.targetOptions.passTiming = true;
        } else if (name == "--crash-reproducer") {
          options.targetOptions.crashReproducer = value.str();
        } else if (name == "--no-fusion") {
          options.targetOptions.noFusion = true;
        } else if (name == "--no-layout") {
          options.targetOptions.noLayout = true;
        } else {
          quantization.option(name, value);
        }
      });
  if (parseError)
    return fail("compile: " + *parseError);
  if (auto error = quantization.check(/*required=*/false))
    return fail("compile: " + *error);
  if (!shapeError.empty())
    return fail(shapeError);
  // --entry NAME:INPUT=D0,D1,...[+INPUT=...]: the --input-shape shapes with
  // the entry's own over them.
  for (const std::string &spec : entrySpecs) {
    auto [name, shapes] = llvm::StringRef(spec).split(':');
    if (name.empty() || !llvm::StringRef(spec).contains(':') ||
        !llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_' || c == '-'; }))
      return fail("compile: --entry '" + spec +
                  "': expected NAME:INPUT=D0,D1,...[+INPUT=...] (NAME of letters, digits, _ and -)");
    if (llvm::any_of(options.entries, [&](const auto &e) { return e.name == name; }))
      return fail("compile: --entry '" + spec + "': a second entry named '" + name.str() + "'");
    CompileOptions::Entry entry{name.str(), options.import};
    llvm::SmallVector<llvm::StringRef> parts;
    if (!shapes.empty())
      shapes.split(parts, '+');
    for (llvm::StringRef part : parts)
      if (auto err = parseInputShape(part, entry.import))
        return fail("compile: --entry '" + spec + "': " + llvm::toString(std::move(err)));
    options.entries.push_back(std::move(entry));
  }
  // Calibration runs at one set of shapes; the other modes do not depend on them.
  if (!options.entries.empty() && quantization.mode == "static")
    return fail("compile: --entry and --quantize static: quantize the model first (lathe quantize), "
                "then compile its entries");
  if (args.positional.size() != 1)
    return fail("compile: expected one model file (lathe compile MODEL.onnx -o OUT.lathe)");
  if (output.empty())
    return fail("compile: -o OUT.lathe is required");
  auto model = loadModel(args.positional[0]);
  if (!model)
    return fail(llvm::toString(model.takeError()));

  CompilerContext compiler;
  mlir::MLIRContext &context = compiler.context;
  int &errors = compiler.errors;
  std::optional<QuantizationAccuracy> accuracy;
  if (quantization.enabled()) {
    auto qdq = quantization.quantize(context, **model, options.import);
    if (!qdq)
      return errors ? 1 : fail(llvm::toString(qdq.takeError()));
    auto quantized = loadModelFromBytes(qdq->qdq, args.positional[0]);
    if (!quantized)
      return fail(llvm::toString(quantized.takeError()));
    *model = std::move(*quantized);
    accuracy = std::move(qdq->accuracy);
  }
  Artifact artifact;
  CompileStats stats;
  if (failed(compileModel(context, **model, options, artifact, stats)))
    return errors ? 1 : fail(args.positional[0] + ": compilation failed");
  if (accuracy && accuracy->samples) {
    llvm::append_range(stats.warnings, accuracy->warnings());
    stats.quantization = std::move(accuracy);
  }
  if (options.target != "cpu" && !stats.opsPerTarget.count(options.target))
    llvm::errs() << "lathe: note: " << args.positional[0] << ": no op runs on the "
                 << options.target << "; everything runs on the cpu\n";
  std::vector<char> bytes = serializeArtifact(artifact);
  std::string openError;
  auto out = mlir::openOutputFile(output, &openError);
  if (!out)
    return fail("cannot write '" + output + "': " + openError);
  out->os().write(bytes.data(), bytes.size());
  out->keep();
  if (!statsPath.empty()) {
    auto statsOut = mlir::openOutputFile(statsPath, &openError);
    if (!statsOut)
      return fail("cannot write '" + statsPath + "': " + openError);
    statsOut->os() << stats.json();
    statsOut->keep();
  }
  if (!mlpackageDir.empty())
    if (auto err = writeMlPackages(artifact, mlpackageDir))
      return fail(args.positional[0] + ": --emit-mlpackage: " + llvm::toString(std::move(err)));
  return 0;
}

int runQuantize(int argc, char **argv) {
  QuantizationArgs quantization;
  quantization.mode = "static";
  ImportOptions import;
  std::string output, shapeError, statsPath;
  Args args(argc, argv);
  auto parseError = args.parse(
      {"--input-shape", "-o", "--output", "--quantize", "--calibration", "--calibration-method",
       "--keep-float", "--warn-below-sqnr", "--stats"},
      {}, [&](llvm::StringRef name, llvm::StringRef value) {
        if (name == "--input-shape") {
          if (auto err = parseInputShape(value, import))
            shapeError = llvm::toString(std::move(err));
        } else if (name == "-o" || name == "--output") {
          output = value.str();
        } else if (name == "--stats") {
          statsPath = value.str();
        } else {
          quantization.option(name, value);
        }
      });
  if (parseError)
    return fail("quantize: " + *parseError);
  if (!shapeError.empty())
    return fail(shapeError);
  if (auto error = quantization.check(/*required=*/true))
    return fail("quantize: " + *error);
  if (args.positional.size() != 1)
    return fail("quantize: expected one model file (lathe quantize MODEL.onnx --calibration DIR "
                "-o OUT.qdq.onnx)");
  if (output.empty())
    return fail("quantize: -o OUT.qdq.onnx is required");
  auto model = loadModel(args.positional[0]);
  if (!model)
    return fail(llvm::toString(model.takeError()));
  CompilerContext compiler;
  mlir::MLIRContext &context = compiler.context;
  int &errors = compiler.errors;
  auto qdq = quantization.quantize(context, **model, import);
  if (!qdq)
    return errors ? 1 : fail(llvm::toString(qdq.takeError()));
  std::string openError;
  auto out = mlir::openOutputFile(output, &openError);
  if (!out)
    return fail("cannot write '" + output + "': " + openError);
  out->os() << qdq->qdq;
  out->keep();
  if (!statsPath.empty()) {
    auto statsOut = mlir::openOutputFile(statsPath, &openError);
    if (!statsOut)
      return fail("cannot write '" + statsPath + "': " + openError);
    llvm::json::OStream json(statsOut->os(), /*IndentSize=*/2);
    json.object([&] {
      json.attributeBegin("quantization");
      qdq->accuracy.write(json);
      json.attributeEnd();
    });
    statsOut->os() << "\n";
    statsOut->keep();
  }
  return 0;
}

int runRun(int argc, char **argv) {
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string outputDir, entryName;
  lathe_session_options sessionOptions = {0};
  std::string numberError;
  Args args(argc, argv);
  auto parseError = args.parse({"--input", "--output-dir", "--threads", "--entry"}, {},
                               [&](llvm::StringRef name, llvm::StringRef value) {
                                 if (name == "--entry") {
                                   entryName = value.str();
                                 } else if (name == "--input") {
                                   auto [n, file] = value.rsplit('=');
                                   inputs.push_back({n.str(), file.str()});
                                 } else if (name == "--threads") {
                                   if (value.getAsInteger(10, sessionOptions.threads) ||
                                       sessionOptions.threads < 1)
                                     numberError = "--threads needs a positive integer, got '" +
                                                   value.str() + "'";
                                 } else {
                                   outputDir = value.str();
                                 }
                               });
  if (parseError)
    return fail("run: " + *parseError);
  if (!numberError.empty())
    return fail("run: " + numberError);
  if (args.positional.size() != 1)
    return fail("run: expected one artifact (lathe run OUT.lathe --input NAME=FILE ...)");
  if (outputDir.empty())
    return fail("run: --output-dir DIR is required");
  std::string path = args.positional[0].str();

  LoadedSession loaded;
  if (auto error = loaded.open(path, sessionOptions))
    return fail(*error);
  lathe_model *model = loaded.model.get();
  lathe_session *session = loaded.session.get();
  lathe_status status;
  size_t entry = 0;
  if (!entryName.empty() &&
      (lathe_model_find_entry(model, entryName.c_str(), &entry, &status) != LATHE_OK ||
       lathe_session_select_entry(session, entry, &status) != LATHE_OK))
    return fail(path + ": " + status.message);

  std::vector<HostTensor> tensors(lathe_model_entry_input_count(model, entry));
  std::vector<bool> given(tensors.size(), false);
  for (const auto &[name, file] : inputs) {
    size_t index = tensors.size();
    for (size_t i = 0; i < tensors.size(); ++i) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, entry, i, &info, nullptr);
      if (name == info.name)
        index = i;
    }
    if (index == tensors.size())
      return fail(path + ": --input names '" + name + "', which is not an input of the model");
    auto tensor = readTensorFile(file);
    if (!tensor)
      return fail(llvm::toString(tensor.takeError()));
    tensors[index] = std::move(*tensor);
    given[index] = true;
    const HostTensor &t = tensors[index];
    if (lathe_session_set_input(session, index, t.bytes.data(), t.bytes.size(), t.dtype,
                                t.dims.data(), t.dims.size(), &status) != LATHE_OK)
      return fail(file + ": " + status.message);
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!given[i]) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, entry, i, &info, nullptr);
      return fail(path + ": input '" + info.name + "' is not given (--input " + info.name +
                  "=FILE)");
    }
  if (lathe_session_run(session, &status) != LATHE_OK)
    return fail(path + ": " + status.message);

  if (auto ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  std::string json = "{\n";
  size_t outputCount = lathe_model_entry_output_count(model, entry);
  for (size_t i = 0; i < outputCount; ++i) {
    lathe_tensor_info info;
    const void *data;
    size_t bytes;
    lathe_model_entry_output_info(model, entry, i, &info, nullptr);
    if (lathe_session_output(session, i, &data, &bytes, &status) != LATHE_OK)
      return fail(path + ": " + status.message);
    HostTensor t;
    t.dtype = info.dtype;
    t.dims.assign(info.dims, info.dims + info.rank);
    t.bytes.assign((const char *)data, (const char *)data + bytes);
    std::string file = outputDir + "/output_" + std::to_string(i) + ".npy";
    if (auto err = writeNpy(file, t))
      return fail(llvm::toString(std::move(err)));
    json += "  \"" + std::to_string(i) + "\": \"" + info.name + "\"" +
            (i + 1 < outputCount ? ",\n" : "\n");
  }
  json += "}\n";
  std::string openError;
  auto out = mlir::openOutputFile(outputDir + "/outputs.json", &openError);
  if (!out)
    return fail("cannot write '" + outputDir + "/outputs.json': " + openError);
  out->os() << json;
  out->keep();
  return 0;
}

int runBench(int argc, char **argv) {
  std::vector<std::pair<std::string, std::string>> inputs;
  lathe_bench_options options = {50, 0, nullptr, nullptr};
  bool json = false;
  Args args(argc, argv);
  std::string numberError;
  std::string entry;
  auto parseError = args.parse(
      {"--input", "--runs", "--threads", "--entry"}, {"--json"}, [&](llvm::StringRef name, llvm::StringRef value) {
        if (name == "--entry") {
          entry = value.str();
          options.entry = entry.c_str();
        } else if (name == "--input") {
          auto [n, file] = value.rsplit('=');
          inputs.push_back({n.str(), file.str()});
        } else if (name == "--json") {
          json = true;
        } else {
          int v;
          if (value.getAsInteger(10, v) || v < 1)
            numberError = name.str() + " needs a positive integer, got '" + value.str() + "'";
          (name == "--runs" ? options.runs : options.threads) = v;
        }
      });
  if (parseError)
    return fail("bench: " + *parseError);
  if (!numberError.empty())
    return fail("bench: " + numberError);
  if (args.positional.size() != 1)
    return fail("bench: expected one artifact (lathe bench OUT.lathe)");
  std::string path = args.positional[0].str();

  // Inputs from files where given (the rest seeded by lathe_bench).
  struct Files {
    const std::vector<std::pair<std::string, std::string>> *given;
    std::vector<HostTensor> tensors;
    std::string error;
  } files{&inputs, {}, {}};
  files.tensors.reserve(inputs.size());
  options.self = &files;
  options.input = [](void *self, const lathe_tensor_info *info, size_t, const void **data,
                     lathe_status *status) -> int {
    auto *f = static_cast<Files *>(self);
    for (const auto &[name, file] : *f->given) {
      if (name != info->name)
        continue;
      auto tensor = readTensorFile(file);
      if (!tensor) {
        status->code = LATHE_INVALID_ARGUMENT;
        std::snprintf(status->message, sizeof(status->message), "%s",
                      llvm::toString(tensor.takeError()).c_str());
        return -1;
      }
      f->tensors.push_back(std::move(*tensor));
      *data = f->tensors.back().bytes.data();
      return 1;
    }
    return 0;
  };
  lathe_bench_result result;
  lathe_status status;
  if (lathe_bench(path.c_str(), &options, &result, &status) != LATHE_OK)
    return fail(llvm::StringRef(status.message).starts_with(path) ? std::string(status.message)
                                                                  : path + ": " + status.message);
  lathe_bench_print(stdout, path.c_str(), &options, &result, json);
  return 0;
}

int runGenerate(int argc, char **argv) {
  std::vector<int64_t> prompt;
  size_t maxNew = 0;
  lathe_session_options sessionOptions = {0};
  bool json = false;
  std::string argumentError;
  Args args(argc, argv);
  auto parseError = args.parse(
      {"--prompt-ids", "--max-new-tokens", "--threads"}, {"--json"},
      [&](llvm::StringRef name, llvm::StringRef value) {
        if (name == "--json") {
          json = true;
        } else if (name == "--prompt-ids") {
          llvm::SmallVector<llvm::StringRef> parts;
          value.split(parts, ',');
          for (llvm::StringRef part : parts) {
            int64_t id;
            if (part.trim().getAsInteger(10, id))
              argumentError = "--prompt-ids '" + value.str() + "': '" + part.str() +
                              "' is not a token id";
            prompt.push_back(id);
          }
        } else {
          size_t &target = name == "--threads" ? sessionOptions.threads : maxNew;
          if (value.getAsInteger(10, target) || target < 1)
            argumentError = name.str() + " needs a positive integer, got '" + value.str() + "'";
        }
      });
  if (parseError)
    return fail("generate: " + *parseError);
  if (!argumentError.empty())
    return fail("generate: " + argumentError);
  if (args.positional.size() != 1 || prompt.empty() || !maxNew)
    return fail("generate: expected lathe generate MODEL.lathe --prompt-ids ID,... "
                "--max-new-tokens N");
  std::string path = args.positional[0].str();
  LoadedSession loaded;
  if (auto error = loaded.open(path, sessionOptions))
    return fail(*error);
  lathe_model *model = loaded.model.get();
  lathe_session *session = loaded.session.get();
  lathe_status status;
  std::vector<int64_t> ids(maxNew);
  lathe_generate_options options = {prompt.data(), prompt.size(), maxNew};
  lathe_generate_result result;
  result.ids = ids.data();
  if (lathe_generate(model, session, &options, &result, &status) != LATHE_OK)
    return fail(path + ": " + status.message);
  ids.resize(result.count);
  if (json) {
    llvm::json::OStream out(llvm::outs(), 2);
    out.object([&] {
      out.attributeArray("prompt_ids", [&] {
        for (int64_t id : prompt)
          out.value(id);
      });
      out.attributeArray("ids", [&] {
        for (int64_t id : ids)
          out.value(id);
      });
      out.attribute("time_to_first_token_ms", result.first_token_ms);
      out.attribute("decode_tokens_per_second", result.decode_tokens_per_second);
      out.attribute("prompt_runs", (int64_t)result.prompt_runs);
      out.attribute("threads", (int64_t)lathe_session_threads(session));
      out.attribute("cache_positions", (int64_t)lathe_session_cache_position(session));
      out.attribute("cache_bytes", (int64_t)lathe_model_cache_bytes(model));
    });
    llvm::outs() << "\n";
    return 0;
  }
  llvm::outs() << llvm::join(llvm::map_range(ids, [](int64_t id) { return std::to_string(id); }),
                             " ")
               << "\n"
               << llvm::formatv("time to first token {0:F2} ms ({1} prompt runs), {2:F1} tokens/s "
                                "after it, {3} threads\n",
                                result.first_token_ms, result.prompt_runs,
                                result.decode_tokens_per_second, lathe_session_threads(session));
  return 0;
}

int runInspect(int argc, char **argv) {
  if (argc != 1)
    return fail("inspect: expected one artifact (lathe inspect OUT.lathe)");
  std::string path = argv[0];
  // What the loader read and checked, through the runtime's API: inspect
  // shows exactly what a run would use.
  lathe_status status;
  lathe_model *model = nullptr;
  if (lathe_model_load_file(path.c_str(), lathe_system_allocator(), &model, &status) != LATHE_OK)
    return fail(status.message);
  std::unique_ptr<lathe_model, void (*)(lathe_model *)> owner(model, lathe_model_release);
  lathe_artifact_info artifact;
  lathe_model_artifact_info(model, &artifact, nullptr);
  llvm::outs() << llvm::formatv("{0}: lathe artifact, format version {1}, {2} bytes, checksum {3:x16}\n",
                                path, artifact.format_version, artifact.file_size, artifact.checksum);
  llvm::outs() << "sections:\n";
  for (uint32_t i = 0; i < artifact.section_count; ++i) {
    lathe_section_info section;
    lathe_model_section_info(model, i, &section, nullptr);
    std::string code;
    if (section.kind == LATHE_SECTION_CODE)
      code = llvm::formatv("  target {0}, {1} entries, {2} bytes of code, host {3}",
                           lathe_target_name(section.target), section.entry_count, section.code_bytes,
                           lathe_host_machine_name(section.host_machine));
    llvm::outs() << llvm::formatv("  {0,-2} {1,-10} offset {2,10}  size {3,10}{4}\n", i,
                                  lathe_section_kind_name(section.kind), section.offset, section.size,
                                  code);
  }
  auto describe = [](const lathe_tensor_info &info) {
    std::string dims;
    for (uint32_t d = 0; d < info.rank; ++d)
      dims += (d ? "x" : "") + std::to_string(info.dims[d]);
    return llvm::formatv("'{0}' dtype {1} [{2}] {3} bytes", info.name, info.dtype, dims, info.bytes).str();
  };
  // Each entry's signature (named when there are several), then the
  // arena, the crossing tensors and one line per step (target, code entry,
  // constants, arena, the slots it reads and writes), slots and steps
  // numbered model-wide.
  size_t entries = lathe_model_entry_count(model), slot = 0;
  for (size_t e = 0; e < entries; ++e) {
    if (entries > 1)
      llvm::outs() << "entry " << e << ": '" << lathe_model_entry_name(model, e) << "'\n";
    size_t inputs = lathe_model_entry_input_count(model, e), outputs = lathe_model_entry_output_count(model, e);
    for (size_t i = 0; i < inputs; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, e, i, &info, nullptr);
      llvm::outs() << "input " << i << ": " << describe(info) << "\n";
    }
    for (size_t i = 0; i < outputs; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_output_info(model, e, i, &info, nullptr);
      llvm::outs() << "output " << i << ": " << describe(info) << "\n";
    }
    if (size_t advance = lathe_model_entry_cache_advance(model, e))
      llvm::outs() << "writes " << advance << " cache positions a run\n";
    slot += inputs + outputs;
  }
  uint64_t capacity = lathe_model_cache_capacity(model);
  if (capacity)
    llvm::outs() << llvm::formatv("key/value cache: {0} positions, {1} bytes in the session\n",
                                  capacity, lathe_model_cache_bytes(model));
  llvm::outs() << "arena: " << lathe_model_arena_bytes(model) << " bytes\n";
  // (The caches' slots are the session's, counted in no signature.)
  if (entries == 1 && !capacity)
    for (size_t k = slot; k < lathe_model_slot_count(model); ++k)
      llvm::outs() << llvm::formatv("slot {0}: intermediate, {1} bytes\n", k, lathe_model_slot_bytes(model, k));
  for (size_t k = 0; k < lathe_model_step_count(model); ++k) {
    lathe_step_info step;
    lathe_model_step_info(model, k, &step, nullptr);
    std::string reads, writes;
    for (uint32_t j = 0; j < step.io_count; ++j) {
      std::string &list = j < step.input_count ? reads : writes;
      list += (list.empty() ? "" : ",") + std::to_string(step.slots[j]);
    }
    llvm::outs() << llvm::formatv("step {0}: {1} {2}, constants {3} bytes at {4}, arena {5} bytes, "
                                  "reads slots [{6}], writes [{7}]\n",
                                  k, lathe_target_name(step.target), step.entry, step.constants_bytes,
                                  step.constants_offset, step.arena_bytes, reads, writes);
  }
  return 0;
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
    if (command == "compile")
      return runCompile(argc - 2, argv + 2);
    if (command == "quantize")
      return runQuantize(argc - 2, argv + 2);
    if (command == "run")
      return runRun(argc - 2, argv + 2);
    if (command == "bench")
      return runBench(argc - 2, argv + 2);
    if (command == "inspect")
      return runInspect(argc - 2, argv + 2);
    if (command == "generate")
      return runGenerate(argc - 2, argv + 2);
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
