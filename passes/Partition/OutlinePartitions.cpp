//===- OutlinePartitions.cpp - one function per target partition ----------===//
//
// The compiler assigns each op a target (the first of the preferred targets
// that supports it); this pass turns that assignment into code structure:
// the graph function calls one function per partition, the plan the
// artifact records. Tensors crossing from one call to the next are the
// tensors crossing between targets at run time.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace lathe {
#define GEN_PASS_DEF_OUTLINEPARTITIONS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kTargetAttr = lathe::LatheDialect::TargetAttrHelper::getNameStr();

struct Partition {
  StringAttr target;
  SmallVector<Operation *> ops;
  /// Values read from outside (graph inputs, other partitions' results).
  SetVector<Value> inputs;
  /// Values other partitions read, then one per graph output it feeds.
  SetVector<Value> shared;
  SmallVector<Value> results;
};

bool isConstant(Operation *op) { return op->hasTrait<OpTrait::ConstantLike>(); }

/// Assigns each op to a partition: the latest partition of its target if
/// everything the op reads is produced by then, a new one otherwise.
LogicalResult groupOps(Block &body, SmallVector<Partition> &partitions,
                       DenseMap<Operation *, unsigned> &partitionOf) {
  for (Operation &op : body.without_terminator()) {
    if (isConstant(&op))
      continue;
    auto target = op.getAttrOfType<StringAttr>(kTargetAttr);
    if (!target)
      return op.emitError() << "has no " << kTargetAttr << " assigned";
    unsigned ready = 0;
    for (Value operand : op.getOperands())
      if (Operation *def = operand.getDefiningOp(); def && partitionOf.count(def))
        ready = std::max(ready, partitionOf[def]);
    std::optional<unsigned> chosen;
    for (unsigned i = partitions.size(); i-- > 0;)
      if (partitions[i].target == target) {
        if (i >= ready)
          chosen = i;
        break;
      }
    if (!chosen) {
      chosen = partitions.size();
      partitions.push_back(Partition{target, {}, {}, {}, {}});
    }
    partitions[*chosen].ops.push_back(&op);
    partitionOf[&op] = *chosen;
  }
  return success();
}

LogicalResult outline(func::FuncOp func, SymbolTable &symbols, StringRef defaultTarget) {
  Block &body = func.getBody().front();
  SmallVector<Partition> partitions;
  DenseMap<Operation *, unsigned> partitionOf;
  if (failed(groupOps(body, partitions, partitionOf)))
    return failure();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  if (returnOp.getNumOperands() == 0)
    return success();
  // Outputs that are inputs or constants still need a step to write them:
  // the last partition if it is of the default target, else a new one (an
  // accelerator's partition may not hold every type of tensor).
  auto defaultAttr = StringAttr::get(func.getContext(), defaultTarget);
  bool passThrough = llvm::any_of(returnOp.getOperands(), [&](Value v) {
    return !v.getDefiningOp() || !partitionOf.count(v.getDefiningOp());
  });
  if (partitions.empty() || (passThrough && partitions.back().target != defaultAttr))
    partitions.push_back(Partition{defaultAttr, {}, {}, {}, {}});

  // What crosses: operands from outside each partition; results read by
  // another partition; one result per graph output.
  auto owner = [&](Value v) -> std::optional<unsigned> {
    Operation *def = v.getDefiningOp();
    if (!def || !partitionOf.count(def))
      return std::nullopt;
    return partitionOf[def];
  };
  for (auto [index, partition] : llvm::enumerate(partitions))
    for (Operation *op : partition.ops)
      for (Value operand : op->getOperands()) {
        std::optional<unsigned> from = owner(operand);
        if (from == index || (operand.getDefiningOp() && isConstant(operand.getDefiningOp())))
          continue;
        partition.inputs.insert(operand);
        if (from)
          partitions[*from].shared.insert(operand);
      }
  // Graph outputs: each a result of its own; graph inputs and constants
  // returned as they are pass through the last (default-target) partition.
  SmallVector<std::pair<unsigned, unsigned>> outputAt; // (partition, result)
  for (Value v : returnOp.getOperands()) {
    std::optional<unsigned> from = owner(v);
    unsigned p = from.value_or(partitions.size() - 1);
    if (!from && !(v.getDefiningOp() && isConstant(v.getDefiningOp())))
      partitions[p].inputs.insert(v);
    outputAt.push_back({p, (unsigned)partitions[p].results.size()});
    partitions[p].results.push_back(v);
  }
  // Results other partitions read come after the graph outputs (a graph
  // output later partitions read is read from the output).
  SmallVector<DenseMap<Value, unsigned>> resultIndex(partitions.size());
  for (auto [index, partition] : llvm::enumerate(partitions)) {
    for (Value v : partition.shared) {
      auto *it = llvm::find(partition.results, v);
      resultIndex[index][v] = it - partition.results.begin();
      if (it == partition.results.end())
        partition.results.push_back(v);
    }
  }

  OpBuilder builder(func.getContext());
  DenseMap<Value, Value> outer; // a crossing value -> the call result
  SmallVector<Value> newOutputs(returnOp.getNumOperands());
  for (auto [index, partition] : llvm::enumerate(partitions)) {
    SmallVector<Type> inputTypes, resultTypes;
    for (Value v : partition.inputs)
      inputTypes.push_back(v.getType());
    for (Value v : partition.results)
      resultTypes.push_back(v.getType());
    auto callee = func::FuncOp::create(func.getLoc(),
                                       (func.getName() + "_step" + Twine(index)).str(),
                                       builder.getFunctionType(inputTypes, resultTypes));
    callee.setPrivate();
    callee->setAttr(kTargetAttr, partition.target);
    // Each argument and result named after the ONNX tensor it carries: a
    // graph input's or output's own name, else the node that computes it
    // (a target that describes its interface, Core ML, shows them).
    StringRef nameAttr = lathe::LatheDialect::NameAttrHelper::getNameStr();
    auto tensorName = [&](Value v) -> StringAttr {
      if (auto arg = dyn_cast<BlockArgument>(v))
        return func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), nameAttr);
      auto node = dyn_cast<NameLoc>(v.getLoc());
      if (!node)
        return {};
      Operation *def = v.getDefiningOp();
      std::string name = node.getName().str();
      if (def->getNumResults() > 1)
        name += "_" + std::to_string(cast<OpResult>(v).getResultNumber());
      return builder.getStringAttr(name);
    };
    for (auto [i, v] : llvm::enumerate(partition.inputs))
      if (StringAttr name = tensorName(v))
        callee.setArgAttr(i, nameAttr, name);
    for (auto [i, v] : llvm::enumerate(partition.results)) {
      auto output = llvm::find(outputAt, std::pair<unsigned, unsigned>(index, i));
      StringAttr name = output != outputAt.end()
                            ? func.getResultAttrOfType<StringAttr>(output - outputAt.begin(), nameAttr)
                            : tensorName(v);
      if (name)
        callee.setResultAttr(i, nameAttr, name);
    }
    symbols.insert(callee, Block::iterator(func));
    Block *entry = callee.addEntryBlock();
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip(partition.inputs, entry->getArguments()))
      mapping.map(v, arg);
    builder.setInsertionPointToStart(entry);
    auto cloneConstant = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && isConstant(def) && !mapping.contains(v))
        builder.clone(*def, mapping);
    };
    for (Operation *op : partition.ops) {
      for (Value operand : op->getOperands())
        cloneConstant(operand);
      Operation *clone = builder.clone(*op, mapping);
      clone->removeAttr(kTargetAttr);
    }
    SmallVector<Value> returned;
    for (Value v : partition.results) {
      cloneConstant(v);
      returned.push_back(mapping.lookup(v));
    }
    func::ReturnOp::create(builder, func.getLoc(), returned);

    // The call, at the end of the graph function (the partitions are in
    // dependency order).
    builder.setInsertionPoint(returnOp);
    SmallVector<Value> args;
    for (Value v : partition.inputs)
      args.push_back(outer.count(v) ? outer[v] : v);
    auto call = func::CallOp::create(builder, func.getLoc(), callee, args);
    for (auto [v, i] : resultIndex[index])
      outer[v] = call.getResult(i);
    for (auto [k, at] : llvm::enumerate(outputAt))
      if (at.first == index)
        newOutputs[k] = call.getResult(at.second);
  }
  returnOp->setOperands(newOutputs);
  // The original ops, now dead, in reverse order; then unused constants.
  for (Partition &partition : llvm::reverse(partitions))
    for (Operation *op : llvm::reverse(partition.ops))
      op->erase();
  SmallVector<Operation *> unused;
  for (Operation &op : body.without_terminator())
    if (isConstant(&op) && op.use_empty())
      unused.push_back(&op);
  for (Operation *op : unused)
    op->erase();
  return success();
}

struct OutlinePartitionsPass : public lathe::impl::OutlinePartitionsBase<OutlinePartitionsPass> {
  using OutlinePartitionsBase::OutlinePartitionsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> graphs;
    for (func::FuncOp func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && !func->hasAttr(kTargetAttr))
        graphs.push_back(func);
    for (func::FuncOp func : graphs)
      if (failed(outline(func, symbols, defaultTarget)))
        return signalPassFailure();
  }
};

} // namespace
