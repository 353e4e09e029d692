//===- LatheDialect.h - the lathe dialect and its ops ----------*- C++ -*-===//
#ifndef LATHE_DIALECTS_LATHE_LATHEDIALECT_H
#define LATHE_DIALECTS_LATHE_LATHEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/lathe/LatheDialect.h.inc"

namespace lathe {

/// Numpy-style multidirectional broadcast of two static shapes; fails when a
/// pair of dims is neither equal nor 1.
llvm::LogicalResult broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                                    llvm::SmallVectorImpl<int64_t> &result);

namespace detail {
// Shape rules shared by whole op classes (see LatheOps.td).
llvm::LogicalResult inferWithElementType(mlir::Value input, mlir::Type elementType,
                                         llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferBroadcast(std::optional<mlir::Location> loc, mlir::ValueRange operands,
                                   bool boolResult, llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferReduce(std::optional<mlir::Location> loc, mlir::Value input,
                                llvm::ArrayRef<int64_t> axes, bool keepdims,
                                llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferArgReduce(std::optional<mlir::Location> loc, mlir::Value input,
                                   int64_t axis, bool keepdims,
                                   llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferSameWithAxis(std::optional<mlir::Location> loc, mlir::Value input,
                                      int64_t axis, llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferGlobalPool(std::optional<mlir::Location> loc, mlir::Value input,
                                    llvm::SmallVectorImpl<mlir::Type> &types);
} // namespace detail
} // namespace lathe

#define GET_OP_CLASSES
#include "dialects/lathe/LatheOps.h.inc"

#endif // LATHE_DIALECTS_LATHE_LATHEDIALECT_H
