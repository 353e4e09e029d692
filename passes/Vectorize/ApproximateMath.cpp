//===- ApproximateMath.cpp - math functions as inline polynomials ---------===//
//
// Left as they are, math.exp, tanh, erf and log become calls to libm: one
// scalar call per element, and a loop with a call in it does not vectorize.
// Softmax, sigmoid, GELU, SiLU and every exponential-based activation then
// spend most of their time in libm (40% of a transformer encoder's run).
// MLIR's polynomial approximations (Cephes-style, a few ulp in f32) are
// plain arithmetic that LLVM vectorizes with the rest of the loop.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lathe {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "passes/Passes.h.inc"
} // namespace lathe

using namespace mlir;

namespace {

/// The functions approximated by default: those whose approximation holds
/// over the whole f32 range (sin and cos lose accuracy on large arguments).
bool approximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"exp", "expm1", "tanh", "erf", "log", "log1p", "log2"}, name);
}

/// What `all` adds: functions expanded into others first, then the
/// approximations that are accurate only over part of the range.
constexpr llvm::StringLiteral kExpanded[] = {"tan",   "sinh",  "cosh", "asinh",
                                             "acosh", "atanh", "powf", "fpowi"};
bool approximatedToo(StringRef name) {
  name.consume_front("math.");
  return approximated(name) ||
         llvm::is_contained({"sin", "cos", "asin", "acos", "atan", "atan2", "cbrt"}, name);
}

struct ApproximateMathPass : public lathe::impl::ApproximateMathBase<ApproximateMathPass> {
  using ApproximateMathBase::ApproximateMathBase;
  void runOnOperation() override {
    auto isF32 = [](Type t) { return t.isF32(); };
    if (all) {
      SmallVector<Operation *> expand;
      getOperation().walk([&](Operation *op) {
        StringRef name = op->getName().getStringRef();
        if (name.consume_front("math.") && llvm::is_contained(kExpanded, name) &&
            llvm::all_of(op->getResultTypes(), isF32))
          expand.push_back(op);
      });
      RewritePatternSet expansions(&getContext());
      SmallVector<StringRef> mnemonics(std::begin(kExpanded), std::end(kExpanded));
      math::populateExpansionPatterns(expansions, mnemonics);
      if (!expand.empty() &&
          failed(applyOpPatternsGreedily(expand, std::move(expansions), GreedyRewriteConfig())))
        return signalPassFailure();
    }
    auto predicate = all ? approximatedToo : approximated;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) && predicate(op->getName().getStringRef()) &&
          llvm::all_of(op->getResultTypes(), isF32))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, predicate);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
