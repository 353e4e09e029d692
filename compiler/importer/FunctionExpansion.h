//===- FunctionExpansion.h - ONNX ops defined as functions ------*- C++ -*-===//
//
// ONNX defines many ops (losses, Celu, MeanVarianceNormalization, ...) as
// functions of other ops. An op without a converter of its own imports as
// its function body, expanded in place of the node.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_IMPORTER_FUNCTIONEXPANSION_H
#define LATHE_COMPILER_IMPORTER_FUNCTIONEXPANSION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include "onnx/onnx_pb.h"

namespace onnx {
class OpSchema;
}

namespace lathe {

/// The schema of `opType` in `opset` if ONNX defines it as a function
/// (fixed, or built from the node's attributes and input types).
const onnx::OpSchema *functionSchema(const std::string &opType, const std::string &domain,
                                     int64_t opset);

struct ExpandedFunction {
  /// The body's nodes, reading the node's inputs and writing its outputs;
  /// values inside the body are renamed with the prefix given.
  onnx::GraphProto body;
  /// The ai.onnx opset the body's nodes are written against.
  int64_t opset;
};

llvm::Expected<ExpandedFunction> expandFunction(const onnx::NodeProto &node,
                                                const onnx::OpSchema &schema,
                                                llvm::ArrayRef<onnx::TypeProto> inputTypes,
                                                int64_t modelOpset, const std::string &prefix);

} // namespace lathe

#endif // LATHE_COMPILER_IMPORTER_FUNCTIONEXPANSION_H
