//===- ExternalizeConstants.cpp - constants from the artifact's section ---===//
//
// The generated code does not embed weights: each constant global becomes a
// view of a `constants` argument at a 64-byte aligned offset, and the bytes
// are collected into one blob (module attribute `lathe.constants`) that the
// artifact stores and the runtime maps without copying. A compile's passes
// share one pool instead (createExternalizeConstants(pool)): every entry
// and partition then reads the artifact's one CONSTANTS blob from its start,
// and bytes stored once serve them all. Coefficient tables
// marked lathe.code_table stay in the code, where LLVM knows their values.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/Memory/ConstantPool.h"
#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace lathe {
#define GEN_PASS_DEF_EXTERNALIZECONSTANTS
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

constexpr int64_t kAlignment = lathe::ConstantPool::kAlignment;

/// The little-endian bytes of a constant, one byte per bool, splats expanded.
bool appendBytes(Attribute value, MemRefType type, std::vector<char> &out) {
  int64_t count = type.getNumElements();
  Type element = type.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (element.isInteger(1)) {
      for (bool b : dense.getValues<bool>())
        out.push_back(b ? 1 : 0);
      if (dense.isSplat())
        out.insert(out.end(), count - 1, out.back());
      return true;
    }
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      for (int64_t i = 0; i < count; ++i)
        out.insert(out.end(), raw.begin(), raw.end());
    } else {
      out.insert(out.end(), raw.begin(), raw.end());
    }
    return true;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    out.insert(out.end(), data.begin(), data.end());
    return true;
  }
  return false;
}

struct ExternalizeConstantsPass
    : public lathe::impl::ExternalizeConstantsBase<ExternalizeConstantsPass> {
  ExternalizeConstantsPass() = default;
  explicit ExternalizeConstantsPass(lathe::ConstantPool &pool) : shared(&pool) {}

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Without a pool of the compile's, the module's own: its bytes become
    // the module's `lathe.constants`.
    lathe::ConstantPool own;
    lathe::ConstantPool &pool = shared ? *shared : own;
    llvm::StringMap<int64_t> offsets;
    SmallVector<memref::GetGlobalOp> uses;
    module.walk([&](memref::GetGlobalOp get) { uses.push_back(get); });
    std::vector<char> bytes;
    for (memref::GetGlobalOp get : uses) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
      if (!global || !global.getConstant() || !global.getInitialValue())
        continue;
      if (global->hasAttr(lathe::LatheDialect::CodeTableAttrHelper::getNameStr()))
        continue;
      auto [it, inserted] = offsets.try_emplace(global.getSymName(), 0);
      if (inserted) {
        bytes.clear();
        if (!appendBytes(*global.getInitialValue(), global.getType(), bytes)) {
          global.emitError("constant data is not available");
          return signalPassFailure();
        }
        it->second = pool.add(bytes);
      }
    }
    const std::vector<char> &blob = pool.bytes();
    int64_t size = std::max<int64_t>(blob.size(), 1);
    auto baseType = MemRefType::get({size}, IntegerType::get(&getContext(), 8));
    // Every entry function takes the section, used or not: the runtime
    // calls all partitions alike.
    for (func::FuncOp func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      unsigned index = func.getNumArguments();
      (void)func.insertArgument(
          index, baseType,
          DictionaryAttr::get(&getContext(),
                              {NamedAttribute(StringAttr::get(&getContext(),
                                                              lathe::LatheDialect::ConstantsAttrHelper::getNameStr()),
                                              UnitAttr::get(&getContext()))}),
          func.getLoc());
      BlockArgument base = func.getArgument(index);
      for (memref::GetGlobalOp get : uses) {
        if (get->getParentOfType<func::FuncOp>() != func || !offsets.count(get.getName()))
          continue;
        OpBuilder b(get);
        Value offset = arith::ConstantIndexOp::create(b, get.getLoc(), offsets[get.getName()]);
        Value view =
            memref::ViewOp::create(b, get.getLoc(), get.getType(), base, offset, ValueRange{});
        get.replaceAllUsesWith(view);
        get.erase();
      }
    }
    for (memref::GlobalOp global : llvm::make_early_inc_range(module.getOps<memref::GlobalOp>()))
      if (offsets.count(global.getSymName()))
        global.erase();
    if (shared)
      return;
    auto blobType = RankedTensorType::get({(int64_t)blob.size()}, IntegerType::get(&getContext(), 8));
    module->setAttr(lathe::LatheDialect::ConstantsAttrHelper::getNameStr(),
                    DenseResourceElementsAttr::get(
                        blobType, "lathe_constants",
                        HeapAsmResourceBlob::allocateAndCopyWithAlign(blob, kAlignment)));
  }

  lathe::ConstantPool *shared = nullptr;
};

} // namespace

std::unique_ptr<Pass> lathe::createExternalizeConstants(ConstantPool &pool) {
  return std::make_unique<ExternalizeConstantsPass>(pool);
}
