//===- ConstantValues.h - reading and making constants in graph passes -*- C++ -*-===//
#ifndef LATHE_PASSES_CONSTANTVALUES_H
#define LATHE_PASSES_CONSTANTVALUES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

#include <optional>
#include <vector>

namespace mlir {
class OpBuilder;
}

namespace lathe {

/// The value of a constant whose every element is the same float.
inline std::optional<double> splatFloat(mlir::Value v) {
  mlir::DenseElementsAttr attr;
  if (!v || !mlir::matchPattern(v, mlir::m_Constant(&attr)) || !attr.isSplat() ||
      !mlir::isa<mlir::FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<llvm::APFloat>().convertToDouble();
}

/// The values of a constant f32 tensor (dense, splat or resource blob), in
/// row-major order.
std::optional<std::vector<float>> constantFloats(mlir::Value value);

/// A lathe.constant of `type` holding `values`; 1 KiB and more go into a
/// resource blob named after `name`, as the importer stores initializers.
mlir::Value makeFloatConstant(mlir::OpBuilder &builder, mlir::Location loc,
                              mlir::RankedTensorType type, llvm::ArrayRef<float> values,
                              llvm::StringRef name);

/// The values of a constant integer tensor (dense, splat or resource blob)
/// in row-major order, widened by the element type's signedness.
std::optional<std::vector<int64_t>> constantIntegers(mlir::Value value);

/// A lathe.constant of integer `type` holding `values` (truncated to its
/// width); 1 KiB and more go into a resource blob named after `name`.
mlir::Value makeIntegerConstant(mlir::OpBuilder &builder, mlir::Location loc,
                                mlir::RankedTensorType type, llvm::ArrayRef<int64_t> values,
                                llvm::StringRef name);

/// `values` of `shape` transposed by `perm` (result dim i is input dim perm[i]).
std::vector<float> transposeValues(llvm::ArrayRef<float> values, llvm::ArrayRef<int64_t> shape,
                                   llvm::ArrayRef<int64_t> perm);

} // namespace lathe

#endif // LATHE_PASSES_CONSTANTVALUES_H
