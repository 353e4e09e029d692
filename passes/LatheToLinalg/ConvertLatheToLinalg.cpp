//===- ConvertLatheToLinalg.cpp - the lathe-to-linalg lowering pass -------===//
#include "passes/LatheToLinalg/LinalgBuilders.h"
#include "passes/LatheToLinalg/LoweringPatterns.h"
#include "passes/Passes.h"

#include "dialects/lathe/LatheDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lathe {
#define GEN_PASS_DEF_CONVERTLATHETOLINALG
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;
using namespace lathe;

SignlessTypeConverter::SignlessTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](IntegerType type) -> Type {
    return type.isSignless() ? type : IntegerType::get(type.getContext(), type.getWidth());
  });
  addConversion([this](RankedTensorType type) -> Type {
    return RankedTensorType::get(type.getShape(), convertType(type.getElementType()));
  });
}

namespace {

/// Constants keep their bytes; only the element type becomes signless.
struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(getTypeConverter()->convertType(op.getType()));
    Attribute value = op.getValue();
    if (type != op.getType()) {
      if (auto dense = dyn_cast<DenseElementsAttr>(value))
        value = dense.bitcast(type.getElementType());
      else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
        value = DenseResourceElementsAttr::get(type, resource.getRawHandle());
      else
        return rewriter.notifyMatchFailure(op, "unknown constant kind");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, cast<TypedAttr>(value));
    return success();
  }
};

struct ConvertLatheToLinalgPass
    : public lathe::impl::ConvertLatheToLinalgBase<ConvertLatheToLinalgPass> {
  using ConvertLatheToLinalgBase::ConvertLatheToLinalgBase;
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    SignlessTypeConverter converter;
    RewritePatternSet patterns(context);
    patterns.add<ConstantLowering>(converter, context);
    populateElementwiseToLinalgPatterns(converter, patterns);
    populateReductionToLinalgPatterns(converter, patterns);
    populateNeuralNetToLinalgPatterns(converter, patterns, attentionColumns);
    populateWinogradToLinalgPatterns(converter, patterns);
    populateDataMovementToLinalgPatterns(converter, patterns);
    populateIndexingToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*context);
    target.addIllegalDialect<LatheDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, scf::SCFDialect, memref::MemRefDialect,
                           bufferization::BufferizationDialect, vector::VectorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [&](func::ReturnOp r) { return converter.isLegal(r.getOperandTypes()); });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
