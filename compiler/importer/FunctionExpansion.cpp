//===- FunctionExpansion.cpp - ONNX ops defined as functions --------------===//
#include "compiler/importer/FunctionExpansion.h"

#include "onnx/defs/function.h"
#include "onnx/defs/schema.h"

#include <set>

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
    // A body attribute that refers to one of the node's (ref_attr_name) which
    // the node does not set takes the op's default from its schema, or is
    // dropped when the op has none; left as it is, it would read as set.
    std::set<std::string> given;
    for (const auto &attribute : node.attribute())
      given.insert(attribute.name());
    const auto &defaults = schema.attributes();
    for (onnx::NodeProto &bodyNode : *function.mutable_node()) {
      auto *attributes = bodyNode.mutable_attribute();
      for (int i = attributes->size() - 1; i >= 0; --i) {
        const std::string ref = attributes->Get(i).ref_attr_name();
        if (ref.empty() || given.count(ref))
          continue;
        auto it = defaults.find(ref);
        if (it != defaults.end() &&
            it->second.default_value.type() != onnx::AttributeProto::UNDEFINED) {
          onnx::AttributeProto value = it->second.default_value;
          value.set_name(attributes->Get(i).name());
          *attributes->Mutable(i) = value;
        } else {
          attributes->DeleteSubrange(i, 1);
        }
      }
    }
    onnx::FunctionExpandHelper(node, function, expanded.body, prefix);
    return expanded;
  } catch (const std::exception &e) {
    return fail(e.what());
  }
}
