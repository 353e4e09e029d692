//===- OnnxImporter.cpp - ONNX graph to a lathe function ------------------===//
//
// The graph becomes `func.func @main`: graph inputs (those that are not
// initializers) are its arguments with shapes made static, initializers and
// Constant nodes are lathe.constant, and each node is converted by the
// converter the op table names for its op type. Before anything is built the
// whole graph is scanned so that every op lathe cannot import is reported in
// one message.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/OnnxImporter.h"
#include "dialects/lathe/LatheDialect.h"
#include "dialects/lathe/SizeLimit.h"
#include "compiler/importer/FunctionExpansion.h"
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/NodeImporter.h"
#include "compiler/importer/TensorConversion.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include "onnx/defs/schema.h"

using namespace mlir;
using namespace lathe;

llvm::Error lathe::parseInputShape(llvm::StringRef spec, ImportOptions &options) {
  auto [name, dims] = spec.rsplit('=');
  auto bad = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--input-shape '" + spec + "': " + why);
  };
  if (name.empty() || !spec.contains('='))
    return bad("expected NAME=D0,D1,... (e.g. x=1,3,224,224)");
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  if (!dims.empty())
    dims.split(parts, ',');
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part.trim().getAsInteger(10, d) || d < 0)
      return bad("'" + part + "' is not a dim (a non-negative integer)");
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return llvm::Error::success();
}

void lathe::registerImporterDialects(DialectRegistry &registry) {
  registry.insert<LatheDialect, func::FuncDialect>();
}

std::vector<std::string> lathe::supportedOnnxOps() { return opConverters().names(); }

namespace {

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string describeShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "," : "") + (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d));
  return s + "]";
}

/// A decoder's key/value cache as torch.onnx.export writes it: graph input
/// `input` (the past) concatenated in front of the new keys or values along
/// `axis` by `concat` into graph output `output` (the present).
struct CachePair {
  std::string input, output;
  const onnx::NodeProto *concat = nullptr;
  int64_t axis = 0;
  /// The input's declared shape (the axis's dim aside, static).
  SmallVector<int64_t> shape;
};

/// How a graph with cache pairs is imported: folded at a past length, to
/// see which constants depend on it (a probe), or with its caches in the
/// session.
struct CacheImport {
  std::vector<CachePair> pairs;
  /// The past length the caches' Shape reads.
  int64_t pastLength = 0;
  /// A probe fills it with the graph's small integer constants.
  llvm::StringMap<DenseElementsAttr> *constants = nullptr;
  /// Set when the caches are in the session: their capacity, and the
  /// constants of a probe at another past length.
  int64_t capacity = 0;
  const llvm::StringMap<DenseElementsAttr> *probe = nullptr;
  int64_t probeLength = 0;
  /// What the import saw: the present's length along its axis.
  int64_t presentLength = 0;
};

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, LoadedModel &model, const ImportOptions &options,
                CacheImport *cache = nullptr)
      : context(context), model(model), options(options), cacheImport(cache), builder(&context),
        fileLoc(FileLineColLoc::get(&context, model.path(), 0, 0)) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult checkOpsSupported();
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &info);
  LogicalResult importInitializers();
  LogicalResult importNode(const onnx::NodeProto &node, Location loc, int64_t opset);
  /// Runs `convert` on the node and records its outputs.
  LogicalResult importWith(NodeImporter &importer, OpConverter convert,
                           const onnx::NodeProto &node);
  LogicalResult importFunctionBody(const onnx::NodeProto &node, const onnx::OpSchema &schema,
                                   Location loc);
  LogicalResult checkOutput(const onnx::ValueInfoProto &info, Value value);
  Location nodeLoc(const onnx::NodeProto &node, size_t index);
  LogicalResult fail(const llvm::Twine &message) { return emitError(fileLoc) << message; }

  const CachePair *cachePairOf(StringRef input) const;
  /// In the session: Concat(past, new) as the cache written at the position.
  LogicalResult importCacheWrite(const onnx::NodeProto &node, const CachePair &pair, Location loc);

  MLIRContext &context;
  LoadedModel &model;
  const ImportOptions &options;
  CacheImport *cacheImport;
  CachePosition cachePosition;
  llvm::StringMap<Value> cacheArgs;
  OpBuilder builder;
  Location fileLoc;
  llvm::StringMap<Value> values;
  unsigned functionCount = 0;
};

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                         : node.name();
  return NameLoc::get(StringAttr::get(&context, name), fileLoc);
}

LogicalResult GraphImporter::checkOpsSupported() {
  struct Miss {
    size_t count = 0;
    std::string firstNode;
  };
  std::vector<std::pair<std::string, Miss>> missing; // in order of first appearance
  const OpConverterTable &table = opConverters();
  for (auto [index, node] : llvm::enumerate(model.proto().graph().node())) {
    std::string key = opTableKey(node.domain(), node.op_type());
    if (table.lookup(key) || functionSchema(node.op_type(), node.domain(), model.opset()))
      continue;
    auto it = llvm::find_if(missing, [&](const auto &entry) { return entry.first == key; });
    if (it == missing.end())
      it = missing.insert(missing.end(), {key, Miss()});
    Miss &miss = it->second;
    if (miss.count++ == 0)
      miss.firstNode = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                           : node.name();
  }
  if (missing.empty())
    return success();
  std::string list;
  for (auto &[op, miss] : missing)
    list += (list.empty() ? "" : ", ") + op + " (" + std::to_string(miss.count) + " node" +
            (miss.count == 1 ? "" : "s") + ", first '" + miss.firstNode + "')";
  return fail("unsupported ops: " + list);
}

FailureOr<RankedTensorType> GraphImporter::inputType(const onnx::ValueInfoProto &info) {
  const std::string &name = info.name();
  if (!info.type().has_tensor_type())
    return fail("input '" + name + "' is not a tensor; lathe takes tensor inputs only");
  const auto &tensorType = info.type().tensor_type();
  Type element = elementTypeFor(tensorType.elem_type(), &context);
  if (!element)
    return fail("input '" + name + "' has element type " + onnxTypeName(tensorType.elem_type()) +
                ", which lathe does not support");
  auto given = options.inputShapes.find(name);
  if (!tensorType.has_shape() && given == options.inputShapes.end())
    return fail("input '" + name + "' has no shape in the model; pass --input-shape " + name +
                "=D0,D1,...");
  SmallVector<int64_t> shape;
  if (tensorType.has_shape())
    for (const auto &dim : tensorType.shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : ShapedType::kDynamic);
  if (given != options.inputShapes.end()) {
    ArrayRef<int64_t> dims = given->second;
    if (tensorType.has_shape() && dims.size() != shape.size())
      return fail("--input-shape " + name + " gives " + llvm::Twine(dims.size()) +
                  " dims, the model's input has rank " + llvm::Twine(shape.size()) + " " +
                  describeShape(shape));
    for (auto [i, d] : llvm::enumerate(dims))
      if (tensorType.has_shape() && !ShapedType::isDynamic(shape[i]) && shape[i] != d)
        return fail("--input-shape " + name + " sets dim " + llvm::Twine(i) + " to " +
                    llvm::Twine(d) + ", the model fixes it to " + llvm::Twine(shape[i]));
    shape.assign(dims.begin(), dims.end());
  }
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (ShapedType::isDynamic(d)) {
      const auto &dim = tensorType.shape().dim(i);
      std::string symbol = dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "";
      return fail("input '" + name + "' has an unknown dim " + llvm::Twine(i) + symbol +
                  " in " + describeShape(shape) + "; pass --input-shape " + name +
                  "=D0,D1,...");
    }
    if (d < 0)
      return fail("input '" + name + "' has a negative dim " + llvm::Twine(d));
  }
  auto type = RankedTensorType::get(shape, element);
  if (!boundedTensorBytes(type))
    return fail("input '" + name + "' of shape " + shapeText(shape) + " is beyond lathe's limit of " +
                llvm::Twine(LATHE_MAX_TENSOR_BYTES) + " bytes a tensor");
  return type;
}

LogicalResult GraphImporter::importInitializers() {
  for (const onnx::TensorProto &tensor : model.proto().graph().initializer()) {
    auto value = convertTensor(tensor, &context, model);
    if (!value)
      return fail(llvm::toString(value.takeError()));
    Location loc = NameLoc::get(StringAttr::get(&context, tensor.name()), fileLoc);
    values[tensor.name()] = ConstantOp::create(builder, loc, value->getType(), *value);
  }
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, Location loc,
                                        int64_t opset) {
  for (const std::string &input : node.input())
    if (!input.empty() && !values.count(input))
      return emitError(loc) << node.op_type() << ": input '" << input
                            << "' is not produced by any earlier node, initializer or graph input";
  if (!cacheArgs.empty() && node.op_type() == "Concat" && node.input_size() == 2)
    if (const CachePair *pair = cachePairOf(node.input(0)); pair && pair->concat == &node)
      return importCacheWrite(node, *pair, loc);
  OpConverter convert = opConverters().lookup(opTableKey(node.domain(), node.op_type()));
  // ONNX Runtime's contrib ops have no schema in ONNX's registry: their one
  // version is the converter's.
  if (convert && !isDefaultDomain(node.domain())) {
    NodeImporter importer(node, model, opset, /*sinceVersion=*/1, loc, builder, values);
    return importWith(importer, convert, node);
  }
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), (int)opset, node.domain());
  if (!schema)
    return emitError(loc) << node.op_type() << " has no definition in opset " << opset;
  if (!convert) {
    if (functionSchema(node.op_type(), node.domain(), opset))
      return importFunctionBody(node, *schema, loc);
    // Only a function body can hold an op the graph scan did not see.
    return emitError(loc) << "unsupported ops: " << node.op_type()
                          << " (in the ONNX function body that implements this node)";
  }
  NodeImporter importer(node, model, opset, schema->SinceVersion(), loc, builder, values);
  return importWith(importer, convert, node);
}

LogicalResult GraphImporter::importWith(NodeImporter &importer, OpConverter convert,
                                        const onnx::NodeProto &node) {
  if (cachePosition.position)
    importer.cache = &cachePosition;
  if (failed(convert(importer)))
    return failure();
  for (auto [i, result] : llvm::enumerate(importer.outputs()))
    if ((int)i < node.output_size() && !node.output(i).empty())
      values[node.output(i)] = result;
  return success();
}

const CachePair *GraphImporter::cachePairOf(StringRef input) const {
  if (!cacheImport)
    return nullptr;
  for (const CachePair &pair : cacheImport->pairs)
    if (pair.input == input)
      return &pair;
  return nullptr;
}

LogicalResult GraphImporter::importCacheWrite(const onnx::NodeProto &node, const CachePair &pair,
                                              Location loc) {
  Value update = values.lookup(node.input(1));
  auto cacheType = cast<RankedTensorType>(cacheArgs.lookup(pair.input).getType());
  auto updateType = cast<RankedTensorType>(update.getType());
  if (updateType.getRank() != cacheType.getRank() ||
      updateType.getElementType() != cacheType.getElementType())
    return emitError(loc) << "Concat: the new entries of cache '" << pair.input << "' ("
                          << updateType << ") do not match the cache (" << cacheType << ")";
  for (int64_t d = 0; d < cacheType.getRank(); ++d)
    if (d != pair.axis && updateType.getDimSize(d) != cacheType.getDimSize(d))
      return emitError(loc) << "Concat: the new entries of cache '" << pair.input << "' ("
                            << updateType << ") do not match the cache (" << cacheType << ")";
  auto write = CacheWriteOp::create(builder, loc, cacheType, cacheArgs.lookup(pair.input), update,
                                    cachePosition.position, builder.getI64IntegerAttr(pair.axis));
  values[node.output(0)] = write.getResult();
  return success();
}

/// Imports the ONNX function body of `node` in its place; body nodes are
/// located at "NODE/OpType_index".
LogicalResult GraphImporter::importFunctionBody(const onnx::NodeProto &node,
                                                const onnx::OpSchema &schema, Location loc) {
  SmallVector<onnx::TypeProto> inputTypes;
  for (const std::string &input : node.input()) {
    onnx::TypeProto type;
    if (!input.empty()) {
      auto tensor = cast<RankedTensorType>(values.lookup(input).getType());
      auto *tensorType = type.mutable_tensor_type();
      tensorType->set_elem_type(onnxTypeFor(tensor.getElementType()));
      auto *shape = tensorType->mutable_shape();
      for (int64_t d : tensor.getShape())
        shape->add_dim()->set_dim_value(d);
    }
    inputTypes.push_back(type);
  }
  std::string name = cast<NameLoc>(loc).getName().str();
  auto expanded = expandFunction(node, schema, inputTypes, model.opset(),
                                 "lathe_fn" + std::to_string(functionCount++) + "_");
  if (!expanded)
    return emitError(loc) << llvm::toString(expanded.takeError());
  for (auto [index, bodyNode] : llvm::enumerate(expanded->body.node())) {
    std::string bodyName = name + "/" + bodyNode.op_type() + "_" + std::to_string(index);
    Location bodyLoc = NameLoc::get(StringAttr::get(&context, bodyName), fileLoc);
    if (failed(importNode(bodyNode, bodyLoc, expanded->opset)))
      return failure();
  }
  for (const std::string &output : node.output())
    if (!output.empty() && !values.count(output))
      return emitError(loc) << node.op_type() << ": its function body does not produce '"
                            << output << "'";
  return success();
}

LogicalResult GraphImporter::checkOutput(const onnx::ValueInfoProto &info, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!info.type().has_tensor_type())
    return success();
  const auto &tensorType = info.type().tensor_type();
  Type declared = elementTypeFor(tensorType.elem_type(), &context);
  if (tensorType.elem_type() != 0 && declared != type.getElementType())
    return fail("output '" + info.name() + "': the model declares element type " +
                onnxTypeName(tensorType.elem_type()) + ", the graph computes another");
  if (!tensorType.has_shape())
    return success();
  bool mismatch = tensorType.shape().dim_size() != type.getRank();
  for (int i = 0; !mismatch && i < tensorType.shape().dim_size(); ++i) {
    const auto &dim = tensorType.shape().dim(i);
    mismatch = dim.has_dim_value() && dim.dim_value() != type.getDimSize(i);
  }
  if (mismatch) {
    SmallVector<int64_t> shape;
    for (const auto &dim : tensorType.shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : ShapedType::kDynamic);
    return fail("output '" + info.name() + "': the model declares shape " +
                describeShape(shape) + ", lathe infers " + describeShape(type.getShape()));
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  const onnx::GraphProto &graph = model.proto().graph();
  if (failed(checkOpsSupported()))
    return nullptr;
  if (model.opset() < 0) {
    (void)fail("the model imports no ai.onnx opset");
    return nullptr;
  }
  if (auto err = model.check()) {
    (void)fail(llvm::toString(std::move(err)));
    return nullptr;
  }
  context.loadDialect<LatheDialect, func::FuncDialect>();

  llvm::StringSet<> initializerNames;
  for (const auto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  for (const auto &entry : options.inputShapes) {
    bool found = llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &info) {
      return info.name() == entry.getKey() && !initializerNames.contains(info.name());
    });
    if (!found) {
      (void)fail("--input-shape names '" + entry.getKey() + "', which is not an input of the model");
      return nullptr;
    }
  }

  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  // A cache's type at a past length along its axis.
  auto cacheType = [&](const onnx::ValueInfoProto &info, const CachePair &pair, int64_t length) {
    SmallVector<int64_t> shape = pair.shape;
    shape[pair.axis] = length;
    return RankedTensorType::get(shape,
                                 elementTypeFor(info.type().tensor_type().elem_type(), &context));
  };
  bool inSession = cacheImport && cacheImport->capacity;
  SmallVector<const onnx::ValueInfoProto *> caches;
  for (const auto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue; // an initializer listed as input (IR version < 4): a constant
    if (const CachePair *pair = cachePairOf(info.name())) {
      if (inSession) {
        caches.push_back(&info);
        continue;
      }
      argTypes.push_back(cacheType(info, *pair, cacheImport->pastLength));
      args.push_back(&info);
      continue;
    }
    auto type = inputType(info);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    args.push_back(&info);
  }
  // In the session the caches follow the caller's inputs, at their
  // capacity, then the position.
  size_t callerInputs = args.size();
  for (const onnx::ValueInfoProto *info : caches) {
    argTypes.push_back(cacheType(*info, *cachePairOf(info->name()), cacheImport->capacity));
    args.push_back(info);
  }
  if (inSession)
    argTypes.push_back(RankedTensorType::get({}, IntegerType::get(&context, 64)));

  OwningOpRef<ModuleOp> module = ModuleOp::create(
      fileLoc, graph.name().empty() ? std::optional<StringRef>() : StringRef(graph.name()));
  // What the model says of itself, for targets that describe it (Core ML's
  // metadata).
  const onnx::ModelProto &proto = model.proto();
  if (proto.has_model_version())
    (*module)->setAttr("lathe.model_version", builder.getI64IntegerAttr(proto.model_version()));
  if (!proto.doc_string().empty())
    (*module)->setAttr("lathe.doc_string", builder.getStringAttr(proto.doc_string()));
  if (!proto.producer_name().empty())
    (*module)->setAttr("lathe.producer",
                       builder.getStringAttr(proto.producer_version().empty()
                                                 ? proto.producer_name()
                                                 : proto.producer_name() + " " +
                                                       proto.producer_version()));
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, info] : llvm::enumerate(args)) {
    values[info->name()] = body->getArgument(i);
    func.setArgAttr(i, LatheDialect::NameAttrHelper::getNameStr(),
                    builder.getStringAttr(info->name()));
  }
  builder.setInsertionPointToEnd(body);
  if (inSession) {
    unsigned positionArg = args.size();
    func.setArgAttr(positionArg, LatheDialect::NameAttrHelper::getNameStr(),
                    builder.getStringAttr("cache_position"));
    cachePosition = {body->getArgument(positionArg), cacheImport->pastLength,
                     cacheImport->probeLength, cacheImport->probe};
    // The graph reads the past's shape only: a stand-in of the past length
    // the shapes fold at, dead once they did.
    for (const onnx::ValueInfoProto *info : ArrayRef(args).drop_front(callerInputs)) {
      auto type = cacheType(*info, *cachePairOf(info->name()), cacheImport->pastLength);
      cacheArgs[info->name()] = values[info->name()];
      values[info->name()] = ConstantOp::create(
          builder, fileLoc, type, DenseElementsAttr::get(type, builder.getZeroAttr(type.getElementType())));
    }
  }

  if (failed(importInitializers()))
    return nullptr;
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, nodeLoc(node, index), model.opset())))
      return nullptr;
  if (options.tensorTypes)
    for (const auto &entry : values)
      (*options.tensorTypes)[entry.getKey()] = cast<RankedTensorType>(entry.getValue().getType());

  if (cacheImport) {
    const CachePair &first = cacheImport->pairs.front();
    cacheImport->presentLength =
        cast<RankedTensorType>(values.lookup(first.output).getType()).getDimSize(first.axis);
    if (cacheImport->constants)
      for (const auto &entry : values) {
        DenseElementsAttr attr;
        if (matchPattern(entry.getValue(), m_Constant(&attr)) &&
            isa<IntegerType>(attr.getElementType()) && attr.getNumElements() <= 64)
          (*cacheImport->constants)[entry.getKey()] = attr;
      }
  }

  SmallVector<Value> results;
  SmallVector<StringRef> resultNames;
  for (const auto &output : graph.output()) {
    Value value = values.lookup(output.name());
    if (!value) {
      (void)fail("graph output '" + output.name() + "' is not produced by any node");
      return nullptr;
    }
    // The present keys and values are the session's caches, written in place.
    if (inSession && llvm::any_of(cacheImport->pairs,
                                  [&](const CachePair &p) { return p.output == output.name(); }))
      continue;
    if (failed(checkOutput(output, value)))
      return nullptr;
    results.push_back(value);
    resultNames.push_back(output.name());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, name] : llvm::enumerate(resultNames))
    func.setResultAttr(i, LatheDialect::NameAttrHelper::getNameStr(), builder.getStringAttr(name));

  // Constants only shape computations used are dead once those folded.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body->getOperations())))
    if (isOpTriviallyDead(&op))
      op.erase();

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

/// The graph's key/value cache pairs: a graph input whose one use other
/// than Shape is the first operand of a two-operand Concat that writes a
/// graph output. The first error found is emitted.
FailureOr<std::vector<CachePair>> findCachePairs(MLIRContext &context, LoadedModel &model,
                                                 const ImportOptions &options) {
  const onnx::GraphProto &graph = model.proto().graph();
  Location loc = FileLineColLoc::get(&context, model.path(), 0, 0);
  llvm::StringSet<> outputs, initializers;
  for (const auto &output : graph.output())
    outputs.insert(output.name());
  for (const auto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  std::vector<CachePair> pairs;
  for (const auto &info : graph.input()) {
    if (initializers.contains(info.name()))
      continue;
    const onnx::NodeProto *concat = nullptr;
    bool otherUse = false;
    for (const auto &node : graph.node())
      for (auto [i, input] : llvm::enumerate(node.input()))
        if (input == info.name()) {
          if (node.op_type() == "Concat" && i == 0 && node.input_size() == 2 &&
              node.output_size() == 1 && outputs.contains(node.output(0)) && !concat)
            concat = &node;
          else if (node.op_type() != "Shape")
            otherUse = true;
        }
    if (!concat)
      continue;
    if (otherUse)
      return emitError(loc) << "--kv-cache: input '" << info.name()
                            << "' is concatenated into output '" << concat->output(0)
                            << "' as a cache, but the graph also reads it otherwise";
    if (options.inputShapes.count(info.name()))
      return emitError(loc) << "--input-shape " << info.name()
                            << ": with --kv-cache the cache's shape is the model's, its length "
                               "the cache's capacity";
    const auto &type = info.type().tensor_type();
    CachePair pair{info.name(), concat->output(0), concat, 0, {}};
    for (const auto &dim : type.shape().dim())
      pair.shape.push_back(dim.has_dim_value() ? dim.dim_value() : ShapedType::kDynamic);
    int64_t rank = pair.shape.size(), axis = 0;
    for (const auto &a : concat->attribute())
      if (a.name() == "axis")
        axis = a.i();
    if (rank == 0 || axis < -rank || axis >= rank)
      return emitError(loc) << "--kv-cache: cache '" << info.name() << "' of rank " << rank
                            << " is concatenated along axis " << axis;
    pair.axis = axis < 0 ? axis + rank : axis;
    for (auto [d, size] : llvm::enumerate(pair.shape))
      if ((int64_t)d != pair.axis && ShapedType::isDynamic(size))
        return emitError(loc) << "--kv-cache: cache '" << info.name() << "' has an unknown dim "
                              << d << " other than its length (dim " << pair.axis << ")";
    pairs.push_back(std::move(pair));
  }
  if (pairs.empty())
    return emitError(loc) << "--kv-cache: the model has no key/value cache: no input is "
                             "concatenated in front of new entries into an output (as a "
                             "past_key/present_key export does)";
  return pairs;
}

/// A decoder with its caches in the session: the graph folded at past
/// length 1 tells how many positions a run writes (n), folded at C - n + 1
/// which constants follow the past length, and imported at C - n, where the
/// present fills the cache's capacity C.
OwningOpRef<ModuleOp> importWithCache(MLIRContext &context, LoadedModel &model,
                                      const ImportOptions &options) {
  auto pairs = findCachePairs(context, model, options);
  if (failed(pairs))
    return nullptr;
  int64_t capacity = options.kvCacheCapacity;
  llvm::StringMap<DenseElementsAttr> constants;
  auto probe = [&](int64_t pastLength) {
    CacheImport cache;
    cache.pairs = *pairs;
    cache.pastLength = pastLength;
    cache.constants = &constants;
    bool imported = (bool)GraphImporter(context, model, options, &cache).run();
    return imported ? cache.presentLength - pastLength : (int64_t)-1;
  };
  int64_t advance = probe(1);
  if (advance < 0)
    return nullptr;
  Location loc = FileLineColLoc::get(&context, model.path(), 0, 0);
  if (advance < 1 || advance > capacity) {
    emitError(loc) << "--kv-cache " << capacity << ": a run writes " << advance
                   << " positions into the cache, more than it holds";
    return nullptr;
  }
  constants.clear();
  int64_t length = capacity - advance;
  int64_t again = probe(length + 1);
  if (again < 0)
    return nullptr;
  if (again != advance) {
    emitError(loc) << "--kv-cache " << capacity << ": a run writes " << advance
                   << " positions after a past of 1 and " << again << " after a past of "
                   << length + 1 << "; lathe keeps caches a run writes a fixed count of";
    return nullptr;
  }
  CacheImport cache;
  cache.pairs = *pairs;
  cache.pastLength = length;
  cache.capacity = capacity;
  cache.probe = &constants;
  cache.probeLength = length + 1;
  OwningOpRef<ModuleOp> module = GraphImporter(context, model, options, &cache).run();
  if (module && options.cacheLayout)
    *options.cacheLayout = {(unsigned)pairs->size() + 1, advance, capacity};
  return module;
}

} // namespace

OwningOpRef<ModuleOp> lathe::importModel(MLIRContext &context, LoadedModel &model,
                                         const ImportOptions &options) {
  if (options.kvCacheCapacity > 0)
    return importWithCache(context, model, options);
  return GraphImporter(context, model, options).run();
}
