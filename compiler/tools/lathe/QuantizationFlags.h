//===- QuantizationFlags.h - compile's and quantize's calibration options -*- C++ -*-===//
#ifndef LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H
#define LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H

#include "compiler/pipeline/CompileJob.h"

#include "llvm/Support/Error.h"

namespace lathe::driver {

/// What --quantize, --calibration, --calibration-method, --keep-float and
/// --warn-below-sqnr (options of both compile and quantize) ask for, with
/// a progress line on a terminal while calibrating; `defaultMode` applies
/// without --quantize (quantize: static; compile: none).
llvm::Expected<QuantizationRequest> quantizationFromFlags(llvm::StringRef defaultMode);

} // namespace lathe::driver

#endif // LATHE_COMPILER_TOOLS_LATHE_QUANTIZATIONFLAGS_H
