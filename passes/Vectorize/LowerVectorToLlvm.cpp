//===- LowerVectorToLlvm.cpp - vector ops to LLVM on 32-bit index targets -===//
//
// Upstream convert-vector-to-llvm converts memref operands to descriptors
// with 64-bit sizes and strides whatever the data layout says, so a vector
// load from a buffer of a 32-bit target leaves casts between two descriptor
// types that never reconcile. This pass takes the width from the module's
// data layout; the rest is upstream's patterns.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Analysis/DataLayoutAnalysis.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_LOWERVECTORTOLLVM
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

struct LowerVectorToLlvmPass : lathe::impl::LowerVectorToLlvmBase<LowerVectorToLlvmPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    const DataLayout &layout = getAnalysis<DataLayoutAnalysis>().getAtOrAbove(module);
    bool narrowIndex = layout.getTypeSizeInBits(IndexType::get(context)) <= 32;
    {
      RewritePatternSet patterns(context);
      vector::populateVectorMaskMaterializationPatterns(patterns, narrowIndex);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
      if (failed(applyPatternsGreedily(module, std::move(patterns))))
        return signalPassFailure();
    }
    LowerToLLVMOptions options(context, layout);
    LLVMTypeConverter converter(context, options);
    RewritePatternSet patterns(context);
    populateVectorToLLVMConversionPatterns(converter, patterns, /*reassociateFPReductions=*/false,
                                           narrowIndex);
    LLVMConversionTarget target(*context);
    target.addIllegalDialect<vector::VectorDialect>();
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
