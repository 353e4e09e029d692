//===- QuantizeCommand.cpp - lathe quantize -------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/importer/ModelLoader.h"
#include "compiler/tools/lathe/ImportOptionsFlags.h"
#include "compiler/tools/lathe/QuantizationFlags.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &quantizeCommand() {
  static cl::SubCommand command("quantize", "Post-training int8 quantization into a QDQ ONNX model");
  return command;
}

namespace {

cl::list<std::string> models(cl::Positional, cl::desc("MODEL"), cl::sub(quantizeCommand()));
cl::opt<std::string> output("o", cl::desc("The QDQ model to write"),
                            cl::value_desc("OUT.qdq.onnx"), cl::sub(quantizeCommand()));
cl::alias outputLong("output", cl::desc("Alias for -o"), cl::aliasopt(output));
ImportOptionsFlags importFlags(quantizeCommand(), /*kvCache=*/false);
cl::opt<std::string> statsPath(
    "stats",
    cl::desc("Writes each quantized layer's output SQNR against fp32 and each output's SQNR\n"
             "and argmax agreement over the samples, as JSON"),
    cl::value_desc("FILE.json"), cl::sub(quantizeCommand()));

} // namespace

int runQuantize() {
  // Calibration compiles the model, and LLD resets every cl option when it
  // reads its -mllvm flags: the values are copied out first.
  const std::string outputPath = output, stats = statsPath;
  auto quantization = quantizationFromFlags(/*defaultMode=*/"static");
  if (!quantization)
    return fail("quantize: " + llvm::toString(quantization.takeError()));
  ImportOptions import;
  if (auto error = importFlags.apply(import))
    return fail("quantize: " + *error);
  if (models.size() != 1)
    return fail("quantize: expected one model file (lathe quantize MODEL.onnx --calibration DIR "
                "-o OUT.qdq.onnx)");
  if (outputPath.empty())
    return fail("quantize: -o OUT.qdq.onnx is required");
  auto model = loadModel(models[0]);
  if (!model)
    return fail(model.takeError());
  CompilerContext compiler;
  std::vector<std::string> warnings;
  auto qdq = quantizeModel(compiler, **model, *quantization, import, warnings);
  if (!qdq)
    return fail(qdq.takeError());
  for (const std::string &line : warnings)
    llvm::errs() << "lathe: warning: " << line << "\n";
  std::string openError;
  auto out = mlir::openOutputFile(outputPath, &openError);
  if (!out)
    return fail("cannot write '" + outputPath + "': " + openError);
  out->os() << qdq->qdq;
  out->keep();
  if (!stats.empty()) {
    auto statsOut = mlir::openOutputFile(stats, &openError);
    if (!statsOut)
      return fail("cannot write '" + stats + "': " + openError);
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

} // namespace lathe::driver
