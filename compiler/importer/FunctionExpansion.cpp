//===- FunctionExpansion.cpp - ONNX ops defined as functions --------------===//
#include "compiler/importer/FunctionExpansion.h"

#include "onnx/defs/function.h"
#include "onnx/defs/schema.h"

using namespace lathe;

const onnx::OpSchema *lathe::functionSchema(const std::string &opType, const std::string &domain,
                                            int64_t opset) {
  if (!domain.empty() && domain != "ai.onnx")
    return nullptr;
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(opType, (int)opset, "");
  if (!schema || !(schema->HasFunction() || schema->HasContextDependentFunction()))
    return nullptr;
  return schema;
}

llvm::Expected<ExpandedFunction> lathe::expandFunction(const onnx::NodeProto &node,
                                                       const onnx::OpSchema &schema,
                                                       llvm::ArrayRef<onnx::TypeProto> inputTypes,
                                                       int64_t modelOpset,
                                                       const std::string &prefix) {
  auto fail = [&](const std::string &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot expand " + node.op_type() + " into its ONNX function: " +
                                       why);
  };
  onnx::FunctionProto function;
  try {
    if (schema.HasFunction()) {
      function = *schema.GetFunction();
    } else {
      onnx::FunctionBodyBuildContextImpl context(
          node, std::vector<onnx::TypeProto>(inputTypes.begin(), inputTypes.end()));
      if (!schema.BuildContextDependentFunction(context, function))
        return fail("ONNX builds no body for these attributes and input types");
    }
    ExpandedFunction expanded;
    expanded.opset = modelOpset;
    for (const auto &import : function.opset_import())
      if (import.domain().empty() || import.domain() == "ai.onnx")
        expanded.opset = import.version();
    onnx::FunctionExpandHelper(node, function, expanded.body, prefix);
    return expanded;
  } catch (const std::exception &e) {
    return fail(e.what());
  }
}
