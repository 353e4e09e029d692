//===- TensorConversion.h - ONNX tensors and types as MLIR ------*- C++ -*-===//
#ifndef LATHE_COMPILER_IMPORTER_TENSORCONVERSION_H
#define LATHE_COMPILER_IMPORTER_TENSORCONVERSION_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Types.h"
#include "llvm/Support/Error.h"

namespace onnx {
class TensorProto;
}

namespace lathe {

class LoadedModel;

/// The MLIR element type of an ONNX TensorProto::DataType, or null for the
/// types lathe does not compute with (string, complex).
mlir::Type elementTypeFor(int32_t onnxType, mlir::MLIRContext *context);

/// The ONNX data type of an MLIR element type (UNDEFINED when it has none).
int32_t onnxTypeFor(mlir::Type elementType);

/// The ONNX name of a data type ("FLOAT", "INT64", ...).
std::string onnxTypeName(int32_t onnxType);

/// The value of an initializer or Constant tensor. Large tensors become
/// resource blobs that point into the model's memory (or its mapped external
/// data) instead of copying it. Errors name the tensor and the problem.
llvm::Expected<mlir::ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                                 mlir::MLIRContext *context, LoadedModel &model);

} // namespace lathe

#endif // LATHE_COMPILER_IMPORTER_TENSORCONVERSION_H
