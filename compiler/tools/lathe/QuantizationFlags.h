//===- QuantizationFlags.h - compile's and quantize's calibration options -*- C++ -*-===//
#ifndef LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H
#define LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H

#include "compiler/quantization/StaticQuantization.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace lathe::driver {

/// What --quantize, --calibration, --calibration-method, --keep-float and
/// --warn-below-sqnr asked for (options of both compile and quantize).
struct QuantizationRequest {
  /// "static", "dynamic", "weights-int8"; empty: no quantization.
  std::string mode;
  StaticQuantizationOptions options;

  /// The request the flags make, or what is wrong with them; `defaultMode`
  /// applies without --quantize (quantize: static; compile: none).
  static llvm::Expected<QuantizationRequest> fromFlags(llvm::StringRef defaultMode);
  bool enabled() const { return !mode.empty(); }
  /// The QDQ model calibration writes for `model` at the `import` shapes,
  /// with its accuracy; a warning line on stderr if layers fall below the
  /// threshold, a progress line on a terminal while calibrating.
  llvm::Expected<QuantizedModel> quantize(mlir::MLIRContext &context, LoadedModel &model,
                                       const ImportOptions &import);
};

} // namespace lathe::driver

#endif // LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H
