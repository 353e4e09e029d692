//===- StaticQuantization.h - calibrated int8 post-training quantization -*- C++ -*-===//
//
// `lathe quantize` and `lathe compile --quantize static`: the fp32 model is
// compiled for this machine with the tensors around its convolutions,
// matmuls and gemms as extra outputs, run over calibration samples, and
// each of those tensors gets a uint8 scale and zero point from the ranges
// seen; weights become int8 per output channel (symmetric), biases int32 in
// the accumulator's scale. The decisions are written as a QDQ ONNX model,
// which lathe compiles to integer kernels (lathe-integer-qdq-groups) and
// any ONNX runtime can run. The modes that need no samples write their
// models here too: weights-int8 (int8 weights behind DequantizeLinear) and
// dynamic (ONNX Runtime's quantize_dynamic form).
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_QUANTIZATION_STATICQUANTIZATION_H
#define LATHE_COMPILER_QUANTIZATION_STATICQUANTIZATION_H

#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/Compiler.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
}

namespace lathe {

class LoadedModel;

enum class CalibrationMethod {
  /// The smallest and largest value seen.
  MinMax,
  /// The values between the (100 - p) / 2 and (100 + p) / 2 percentiles of
  /// all seen (p = `percentile`), outliers clipped.
  Percentile,
  /// The clipping of |x| whose 8-bit histogram is nearest the seen one
  /// (least KL divergence), as TensorRT calibrates.
  Entropy,
};

struct StaticQuantizationOptions {
  /// One .npy/.pb per sample (a model of one input), or one folder per
  /// sample holding a file per input name.
  std::string calibrationDir;
  CalibrationMethod method = CalibrationMethod::MinMax;
  double percentile = 99.99;
  /// Nodes (by name) left in float.
  std::vector<std::string> keepFloat;
  /// Input shapes, as for the compile.
  ImportOptions import;
  /// Layers whose output SQNR against fp32 is below it are warned about.
  double warnBelowSqnrDb = 20.0;
  /// Called after each run of a sample (done, total).
  std::function<void(size_t, size_t)> progress;
};

/// The QDQ model (a binary ModelProto) and how far it computes from the
/// fp32 model on the calibration samples, compiled for this machine.
struct QuantizedModel {
  std::string qdq;
  QuantizationAccuracy accuracy;
};

/// Parses `minmax`, `percentile` or `entropy`.
llvm::Expected<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name);

/// Calibrates `model` on the samples and returns the QDQ model with its
/// accuracy. Errors are one line naming the file or node concerned.
llvm::Expected<QuantizedModel> quantizeStatic(mlir::MLIRContext &context, LoadedModel &model,
                                           const StaticQuantizationOptions &options);

/// Weight-only int8: each convolution's, matmul's and gemm's constant
/// weights int8 per output channel (symmetric) behind a DequantizeLinear,
/// activations and biases left in float. Needs no samples.
llvm::Expected<QuantizedModel> quantizeWeights(mlir::MLIRContext &context, LoadedModel &model,
                                               const StaticQuantizationOptions &options);

/// Dynamic: each matmul's and gemm's input quantized to uint8 at run time
/// (DynamicQuantizeLinear), its constant weights int8 per column, the
/// product in int32 (MatMulInteger) scaled back to float; ONNX Runtime's
/// quantize_dynamic form. Convolutions stay float. Needs no samples.
llvm::Expected<QuantizedModel> quantizeDynamic(mlir::MLIRContext &context, LoadedModel &model,
                                               const StaticQuantizationOptions &options);

} // namespace lathe

#endif // LATHE_COMPILER_QUANTIZATION_STATICQUANTIZATION_H
