//===- NodeImporter.h - what an op converter sees of its node ---*- C++ -*-===//
//
// Each ONNX op type has one converter (compiler/importer/ops/*.cpp) that reads
// its node through NodeImporter: inputs as values, attributes with their
// defaults, inputs that must be constants (shape arguments), and builds lathe
// ops whose types are inferred and checked before the op exists.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_IMPORTER_NODEIMPORTER_H
#define LATHE_COMPILER_IMPORTER_NODEIMPORTER_H

#include "dialects/lathe/LatheDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

namespace lathe {

class LoadedModel;
class NodeImporter;
using OpConverter = llvm::LogicalResult (*)(NodeImporter &);

/// The one table of supported ops: op type (ai.onnx, or qualified by its
/// domain) to its converter.
class OpConverterTable {
public:
  void add(llvm::StringRef opType, OpConverter convert) { converters[opType] = convert; }
  OpConverter lookup(llvm::StringRef opType) const { return converters.lookup(opType); }
  std::vector<std::string> names() const;

private:
  llvm::StringMap<OpConverter> converters;
};

const OpConverterTable &opConverters();

// One registration function per file under compiler/importer/ops/.
void registerElementwiseOps(OpConverterTable &table);
void registerReductionOps(OpConverterTable &table);
void registerNeuralNetOps(OpConverterTable &table);
void registerDataMovementOps(OpConverterTable &table);
void registerConstantOps(OpConverterTable &table);
void registerQuantizedOps(OpConverterTable &table);

/// The op table's key of ONNX op `opType` in `domain`: the type alone in
/// the default domain, "domain.Type" otherwise (com.microsoft.QLinearAdd).
std::string opTableKey(llvm::StringRef domain, llvm::StringRef opType);

/// A decoder compiled with its key/value cache in the session (`lathe
/// compile --kv-cache`): its shapes are folded at one past length, but the
/// values the graph derives from the past length (position ids, the causal
/// mask's diagonal) follow the position the session is at when it runs.
/// Which values those are is found by folding the graph a second time at
/// another past length: a value that differs between the two depends on it.
struct CachePosition {
  /// The position at run time: an int64 scalar the session binds.
  mlir::Value position;
  /// The past length the shapes are folded at, and the other one.
  int64_t length = 0, probeLength = 0;
  /// The small integer constants of the graph folded at `probeLength`, by
  /// ONNX name.
  const llvm::StringMap<mlir::DenseElementsAttr> *probe = nullptr;
};

class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, LoadedModel &model, int64_t opset,
               int64_t sinceVersion, mlir::Location loc, mlir::OpBuilder &builder,
               const llvm::StringMap<mlir::Value> &values)
      : node(node), model(&model), opset(opset), sinceVersion(sinceVersion), loc(loc),
        builder(builder), values(values) {}

  const onnx::NodeProto &node;
  /// The model the node belongs to (tensors in attributes may point into it).
  LoadedModel *const model;
  /// The model's ai.onnx opset, and the version of this op's definition in it.
  const int64_t opset, sinceVersion;
  const mlir::Location loc;
  mlir::OpBuilder &builder;

  mlir::MLIRContext *context() const { return builder.getContext(); }
  llvm::StringRef opType() const { return node.op_type(); }

  //===--- inputs ---===//
  /// Inputs present: named and non-empty (an empty name skips an optional).
  bool hasInput(size_t i) const;
  mlir::Value input(size_t i) const;
  mlir::RankedTensorType inputType(size_t i) const;
  size_t numInputs() const { return node.input_size(); }
  /// The input's value if it is a constant (after folding).
  mlir::DenseElementsAttr constantInput(size_t i) const;
  /// A constant integer input (shapes, axes, pads) as int64s; an error when
  /// it is not a constant.
  llvm::FailureOr<llvm::SmallVector<int64_t>> intsInput(size_t i, llvm::StringRef what);
  /// A constant float input as doubles.
  llvm::FailureOr<llvm::SmallVector<double>> floatsInput(size_t i, llvm::StringRef what);

  //===--- a decoder's cache position ---===//
  /// Set when the graph is imported with its cache in the session.
  const CachePosition *cache = nullptr;
  /// How much constant scalar input `i` grows per cache position: 0 when it
  /// does not depend on the position (or there is no cache); an error when
  /// it depends on it other than as an integer multiple.
  llvm::FailureOr<int64_t> positionSlope(size_t i, llvm::StringRef what);
  /// `value` + `slope` * (position - cache->length): a scalar input that
  /// was `value` where the shapes were folded, as a run-time tensor<T>.
  llvm::FailureOr<mlir::Value> atPosition(double value, int64_t slope, mlir::Type element);

  //===--- attributes ---===//
  const onnx::AttributeProto *attribute(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attribute(name) != nullptr; }
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::string stringAttr(llvm::StringRef name, llvm::StringRef defaultValue) const;
  llvm::SmallVector<int64_t> intsAttr(llvm::StringRef name) const;
  llvm::SmallVector<float> floatsAttr(llvm::StringRef name) const;

  //===--- results ---===//
  size_t numOutputs() const { return node.output_size(); }
  /// Whether output `i` is used: named (an empty name drops an optional).
  bool hasOutput(size_t i) const {
    return (int)i < node.output_size() && !node.output(i).empty();
  }
  llvm::LogicalResult setOutputs(mlir::ValueRange results);
  llvm::ArrayRef<mlir::Value> outputs() const { return results; }

  //===--- building ---===//
  /// Creates `OpTy` after inferring its result types (a failure reports the
  /// reason at the node and creates nothing), verifies it and folds it.
  template <typename OpTy>
  llvm::FailureOr<llvm::SmallVector<mlir::Value>>
  buildAll(mlir::ValueRange operands, llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    return buildOp(OpTy::getOperationName(), &OpTy::inferReturnTypes, operands, attributes);
  }
  /// Same, for ops with one result.
  template <typename OpTy>
  llvm::FailureOr<mlir::Value> build(mlir::ValueRange operands,
                                     llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    auto results = buildAll<OpTy>(operands, attributes);
    if (failed(results))
      return mlir::failure();
    return (*results)[0];
  }
  mlir::Value constant(mlir::ElementsAttr value);
  mlir::Value scalarConstant(mlir::Type elementType, double value);

  // Attribute makers.
  mlir::NamedAttribute attr(llvm::StringRef name, mlir::Attribute value) const {
    return builder.getNamedAttr(name, value);
  }
  mlir::NamedAttribute i64(llvm::StringRef name, int64_t v) const {
    return attr(name, builder.getI64IntegerAttr(v));
  }
  mlir::NamedAttribute f32(llvm::StringRef name, float v) const {
    return attr(name, builder.getF32FloatAttr(v));
  }
  mlir::NamedAttribute f64(llvm::StringRef name, double v) const {
    return attr(name, builder.getF64FloatAttr(v));
  }
  mlir::NamedAttribute boolean(llvm::StringRef name, bool v) const {
    return attr(name, builder.getBoolAttr(v));
  }
  mlir::NamedAttribute array(llvm::StringRef name, llvm::ArrayRef<int64_t> v) const {
    return attr(name, builder.getDenseI64ArrayAttr(v));
  }
  mlir::NamedAttribute str(llvm::StringRef name, llvm::StringRef v) const {
    return attr(name, builder.getStringAttr(v));
  }

  //===--- errors ---===//
  /// Reports `message` at this node; always returns failure.
  llvm::LogicalResult error(const llvm::Twine &message) const;
  /// Reports a variant of this op lathe does not import.
  llvm::LogicalResult unsupported(const llvm::Twine &feature) const;
  /// Checks that the required inputs are present.
  llvm::LogicalResult requireInputs(size_t count) const;
  /// Normalizes `axis` in [-rank, rank) to [0, rank).
  llvm::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;

private:
  using InferFn = llvm::LogicalResult (*)(mlir::MLIRContext *, std::optional<mlir::Location>,
                                          mlir::ValueRange, mlir::DictionaryAttr,
                                          mlir::OpaqueProperties, mlir::RegionRange,
                                          llvm::SmallVectorImpl<mlir::Type> &);
  llvm::FailureOr<llvm::SmallVector<mlir::Value>>
  buildOp(llvm::StringRef name, InferFn infer, mlir::ValueRange operands,
          llvm::ArrayRef<mlir::NamedAttribute> attributes);

  const llvm::StringMap<mlir::Value> &values;
  llvm::SmallVector<mlir::Value> results;
};

/// A Conv of `operands` (input, weight[, bias]) with the node's window
/// attributes (Conv, ConvInteger, QLinearConv).
llvm::FailureOr<mlir::Value> buildConv(NodeImporter &n, mlir::ValueRange operands);

} // namespace lathe

#endif // LATHE_COMPILER_IMPORTER_NODEIMPORTER_H
