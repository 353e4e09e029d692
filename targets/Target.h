//===- Target.h - the interface every lathe target implements --*- C++ -*-===//
//
// A target is a plug-in: its op support rule, its lowering pipeline from the
// lathe dialect, the emission of each partition's object, the link of its
// partitions into the one code blob the artifact stores, and (in runtime/)
// its backend. Adding a target touches its folder and one line of the
// registry.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_TARGET_H
#define LATHE_TARGETS_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class PassManager;
}

namespace lathe {

class ConstantPool;

/// The graph passes `--no-layout` and `--no-fusion` leave out, in pipeline
/// order (every target's pipeline names them the same).
inline constexpr const char *kLayoutPasses[] = {"lathe-conv-transpose-as-conv",
                                                "lathe-conv-channels-last",
                                                "lathe-winograd-convolutions",
                                                "lathe-sink-transposes", "lathe-pack-weights",
                                                "lathe-pack-integer-weights"};
inline constexpr const char *kFusionPasses[] = {"lathe-fuse-elementwise", "lathe-form-kernels",
                                                "lathe-fuse-pads"};

struct TargetOptions {
  /// The triple of the CPU that runs the artifact's cpu partitions and the
  /// runtime (`--host aarch64-linux-gnu`); "" is the machine lathe runs on.
  std::string host;
  /// CPU name for LLVM ("native" = this machine's, e.g. "x86-64-v3";
  /// with a foreign host, "native" means the host architecture's generic
  /// CPU).
  std::string cpu = "native";
  /// Hexagon architecture to emit for: "" is the one qemu-hexagon runs
  /// (v68 code without v68-only instructions, integer HVX v66); "v68",
  /// "v73", "v75" are real devices, with HVX floating point.
  std::string hexagonArch;
  /// Passes to leave out of the pipeline (by their command-line name); each
  /// must be one the target's pipeline can do without.
  std::vector<std::string> disabledPasses;
  /// Every fusion pass / every layout pass the target runs left out
  /// (`--no-fusion`, `--no-layout`).
  bool noFusion = false, noLayout = false;
  /// Whether `pass` is left out.
  bool disables(llvm::StringRef pass) const {
    return llvm::is_contained(disabledPasses, pass) ||
           (noFusion && llvm::is_contained(kFusionPasses, pass)) ||
           (noLayout && llvm::is_contained(kLayoutPasses, pass));
  }
  bool printIrAfterAll = false;
  /// MLIR's pass timing report on stderr (`--pass-timing`).
  bool passTiming = false;
  /// Where MLIR writes a reproducer when a pass crashes or fails
  /// (`--crash-reproducer FILE`).
  std::string crashReproducer;
  /// The artifact's constant bytes, shared by every partition the compile
  /// lowers (null: each partition's module keeps its own).
  ConstantPool *constantPool = nullptr;
};

/// What a target's emission produced for one partition: a relocatable
/// object and the symbol the runtime calls.
struct ObjectFile {
  std::vector<char> bytes;
  std::string entry;
  /// What the target noticed and emitted anyway (`--stats` lists them).
  std::vector<std::string> warnings = {};
};

class Target {
public:
  virtual ~Target();
  /// The target's id, recorded in the artifact (lathe_target_kind, from the
  /// one table of targets in lathe/artifact_format.h).
  virtual uint32_t kind() const = 0;
  /// Its name in that table ("cpu", "hexagon", "ane").
  llvm::StringRef name() const;
  /// Passes of this target's pipeline that `--disable-pass` may leave out.
  virtual std::vector<std::string> optionalPasses() const { return {}; }
  /// Whether quantized layers run here in integer kernels: then the graph
  /// passes turn QDQ groups into integer ops (lathe-integer-qdq-groups).
  virtual bool computesInIntegers() const { return false; }
  /// Whether this target runs `op` (a lathe op with static shapes).
  virtual bool supports(mlir::Operation *op) const = 0;
  /// Why this target does not run `op`, an op it runs in other forms (a
  /// rule of the target's own op definitions: Core ML's batch_norm takes
  /// constant statistics); empty when it runs it or has no such op at all.
  /// `--stats` lists each op placed elsewhere so.
  virtual std::string declines(mlir::Operation *op) const { return {}; }
  /// Whether running `op` here can repay moving its tensors here and back
  /// when its neighbours run on another target: not for ops that only move
  /// data or do one cheap operation per element, which run as fast anywhere.
  virtual bool repaysCrossing(mlir::Operation *op) const { return true; }
  /// Lowers a module holding one function of lathe ops this target supports
  /// (a partition) to the form `emit` takes.
  virtual llvm::LogicalResult lower(mlir::ModuleOp module, const TargetOptions &options) = 0;
  /// Emits the object of one lowered partition; its entry is named after
  /// the partition's function.
  virtual llvm::Expected<ObjectFile> emit(mlir::ModuleOp module, const TargetOptions &options) = 0;
  /// Links the objects of every partition of this target into the code blob
  /// the artifact stores and the target's runtime backend loads.
  virtual llvm::Expected<std::vector<char>> link(llvm::ArrayRef<ObjectFile> objects,
                                                 const TargetOptions &options) = 0;
};

/// The target named `name` ("cpu", ...), or null.
std::unique_ptr<Target> createTarget(llvm::StringRef name);
/// Names of every registered target.
std::vector<std::string> targetNames();

} // namespace lathe

#endif // LATHE_TARGETS_TARGET_H
