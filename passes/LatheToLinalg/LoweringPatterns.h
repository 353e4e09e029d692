//===- LoweringPatterns.h - lathe-to-linalg pattern sets --------*- C++ -*-===//
#ifndef LATHE_PASSES_LATHETOLINALG_LOWERINGPATTERNS_H
#define LATHE_PASSES_LATHETOLINALG_LOWERINGPATTERNS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lathe {

/// Signless storage for lathe's tensors: `ui8` becomes `i8`, and so on. The
/// patterns read signedness from the original lathe op's types.
class SignlessTypeConverter : public mlir::TypeConverter {
public:
  SignlessTypeConverter();
};

void populateElementwiseToLinalgPatterns(const mlir::TypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
void populateReductionToLinalgPatterns(const mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
/// `attentionColumns`: the columns of the attention kernel's vectors of
/// sums (the target's register tile width; 0 keeps the linalg form).
void populateNeuralNetToLinalgPatterns(const mlir::TypeConverter &converter,
                                       mlir::RewritePatternSet &patterns,
                                       int64_t attentionColumns = 32);
void populateIndexingToLinalgPatterns(const mlir::TypeConverter &converter,
                                      mlir::RewritePatternSet &patterns);
void populateWinogradToLinalgPatterns(const mlir::TypeConverter &converter,
                                      mlir::RewritePatternSet &patterns);
void populateDataMovementToLinalgPatterns(const mlir::TypeConverter &converter,
                                          mlir::RewritePatternSet &patterns);

/// Converts a scalar between element types with ONNX Cast semantics (float
/// to integer truncates; to bool is "not zero"). `from`/`to` carry the
/// signedness; `x` is in signless storage.
mlir::Value convertElementScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                                 mlir::Type from, mlir::Type to);

} // namespace lathe

#endif // LATHE_PASSES_LATHETOLINALG_LOWERINGPATTERNS_H
