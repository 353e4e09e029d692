//===- ConstantValues.h - reading constant operands in graph passes -*- C++ -*-===//
#ifndef LATHE_PASSES_CONSTANTVALUES_H
#define LATHE_PASSES_CONSTANTVALUES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <optional>

namespace lathe {

/// The value of a constant whose every element is the same float.
inline std::optional<double> splatFloat(mlir::Value v) {
  mlir::DenseElementsAttr attr;
  if (!v || !mlir::matchPattern(v, mlir::m_Constant(&attr)) || !attr.isSplat() ||
      !mlir::isa<mlir::FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<llvm::APFloat>().convertToDouble();
}

} // namespace lathe

#endif // LATHE_PASSES_CONSTANTVALUES_H
