//===- ExternalizeConstants.cpp - constants from the artifact's section ---===//
//
// The generated code does not embed weights: each constant global becomes a
// view of a `constants` argument at a 64-byte aligned offset, and the bytes
// are collected into one blob (module attribute `lathe.constants`) that the
// artifact stores and the runtime maps without copying. Coefficient tables
// marked lathe.code_table stay in the code, where LLVM knows their values.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
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

constexpr int64_t kAlignment = 64;

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
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::vector<char> blob;
    llvm::StringMap<int64_t> offsets;
    SmallVector<memref::GetGlobalOp> uses;
    module.walk([&](memref::GetGlobalOp get) { uses.push_back(get); });
    for (memref::GetGlobalOp get : uses) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
      if (!global || !global.getConstant() || !global.getInitialValue())
        continue;
      if (global->hasAttr(lathe::LatheDialect::CodeTableAttrHelper::getNameStr()))
        continue;
      auto [it, inserted] = offsets.try_emplace(global.getSymName(), 0);
      if (inserted) {
        blob.resize((blob.size() + kAlignment - 1) / kAlignment * kAlignment);
        it->second = blob.size();
        if (!appendBytes(*global.getInitialValue(), global.getType(), blob)) {
          global.emitError("constant data is not available");
          return signalPassFailure();
        }
      }
    }
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
    auto blobType = RankedTensorType::get({(int64_t)blob.size()}, IntegerType::get(&getContext(), 8));
    module->setAttr(lathe::LatheDialect::ConstantsAttrHelper::getNameStr(),
                    DenseResourceElementsAttr::get(
                        blobType, "lathe_constants",
                        HeapAsmResourceBlob::allocateAndCopyWithAlign(blob, kAlignment)));
  }
};

} // namespace
