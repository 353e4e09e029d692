//===- QuantizationFlags.cpp - compile's and quantize's calibration options ===//
#include "compiler/tools/lathe/QuantizationFlags.h"

#include "compiler/tools/lathe/Driver.h"

#include "llvm/ADT/StringExtras.h"

namespace cl = llvm::cl;

namespace lathe::driver {
namespace {

cl::opt<std::string> quantizeMode(
    "quantize",
    cl::desc("static: int8 activations and weights, calibrated on --calibration's samples;\n"
             "dynamic: ONNX Runtime's quantize_dynamic form for matmuls and gemms (the input\n"
             "quantized at run time); weights-int8: only the weights, per output channel\n"
             "(no samples)"),
    cl::value_desc("static|dynamic|weights-int8"), cl::sub(compileCommand()),
    cl::sub(quantizeCommand()));
cl::opt<std::string> calibrationDir(
    "calibration",
    cl::desc("The calibration samples: one .npy/.pb per sample for a model of one input, or\n"
             "one folder per sample with a file per input name"),
    cl::value_desc("DIR"), cl::sub(compileCommand()), cl::sub(quantizeCommand()));
cl::opt<std::string> calibrationMethod("calibration-method",
                                       cl::desc("How activation ranges are chosen (default minmax)"),
                                       cl::value_desc("minmax|percentile|entropy"),
                                       cl::sub(compileCommand()), cl::sub(quantizeCommand()));
cl::list<std::string> keepFloat("keep-float", cl::desc("ONNX nodes left in float"),
                                cl::value_desc("NODE,..."), cl::CommaSeparated,
                                cl::sub(compileCommand()), cl::sub(quantizeCommand()));
cl::opt<std::string> warnBelowSqnr(
    "warn-below-sqnr",
    cl::desc("Warns of quantized layers whose output SQNR against fp32 is below DB (default 20)"),
    cl::value_desc("DB"), cl::sub(compileCommand()), cl::sub(quantizeCommand()));

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

llvm::Expected<QuantizationRequest> quantizationFromFlags(llvm::StringRef defaultMode) {
  QuantizationRequest request;
  request.mode = quantizeMode.getNumOccurrences() ? quantizeMode.getValue() : defaultMode.str();
  StaticQuantizationOptions &options = request.options;
  options.calibrationDir = calibrationDir;
  if (calibrationMethod.getNumOccurrences()) {
    auto method = parseCalibrationMethod(calibrationMethod);
    if (!method)
      return method.takeError();
    options.method = *method;
  }
  if (warnBelowSqnr.getNumOccurrences() &&
      !llvm::to_float(warnBelowSqnr.getValue(), options.warnBelowSqnrDb))
    return failure("--warn-below-sqnr needs a number of dB, got '" + warnBelowSqnr + "'");
  for (const std::string &node : keepFloat)
    if (!node.empty())
      options.keepFloat.push_back(node);
  options.progress = [](size_t done, size_t total) {
    showProgress("calibrating", done, total, "runs");
  };
  if (auto err = request.check())
    return std::move(err);
  return request;
}

} // namespace lathe::driver
