//===- MilEmitter.h - an ane partition as a Core ML ML Program -*- C++ -*-===//
//
// One function of lathe ops becomes a Core ML Model (specification 8) whose
// ML Program has one function, `main`, in opset CoreML7: fp32 multi-array
// inputs and outputs, cast to fp16 at the edges, every op in fp16, named,
// with every parameter explicit as a named `const` op; constants of more
// than a few elements are stored in weight.bin, the rest inline.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_ANE_MILEMITTER_H
#define LATHE_TARGETS_ANE_MILEMITTER_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class Operation;
namespace func {
class FuncOp;
}
} // namespace mlir

namespace lathe::ane {

inline constexpr int32_t kSpecificationVersion = 8;
inline constexpr const char *kOpset = "CoreML7";

struct MlProgram {
  std::vector<uint8_t> model;   // a serialized CoreML.Specification.Model
  std::vector<uint8_t> weights; // weight.bin
  /// Constants outside fp16's range, saturated when converted.
  std::vector<std::string> rangeWarnings;
};

/// Whether the emitter writes `op` (a lathe op) as MIL.
bool emitsOp(mlir::Operation *op);

/// The Core ML rule `op` breaks, for an op of a kind the emitter writes
/// that it does not write in this form (batch_norm with statistics that are
/// not constants, a pool with ceil_mode and asymmetric padding); empty
/// otherwise.
std::string coreMlRuleBroken(mlir::Operation *op);

/// The ML Program of `func`, whose ops all satisfy emitsOp.
llvm::Expected<MlProgram> emitMlProgram(mlir::func::FuncOp func);

} // namespace lathe::ane

#endif // LATHE_TARGETS_ANE_MILEMITTER_H
