//===- ArtifactWriter.h - writing .lathe artifacts --------------*- C++ -*-===//
#ifndef LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H
#define LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct TensorSignature {
  std::string name;
  int32_t dtype; // ONNX TensorProto code
  std::vector<int64_t> dims;
  uint64_t bytes() const;
};

/// One partition's call: entry(io, constants + constantsOffset, arena)
/// with io[i] the buffer of slots[i] (the partition's inputs, then its
/// results). Slots number the graph inputs, the graph outputs, then the
/// tensors crossing between partitions.
struct PlanStep {
  uint32_t target;
  uint32_t codeIndex; // index into Artifact::code
  std::string entry;
  uint64_t constantsOffset;
  std::vector<uint32_t> slots;
  /// What the entry's code was compiled for, recorded in its code section
  /// (the runtime refuses a plan that does not give it exactly this): how
  /// many of its buffers it reads, each buffer's bytes, the arena it uses
  /// and the constants it reads.
  uint32_t inputCount = 0;
  std::vector<uint64_t> ioBytes;
  uint64_t arenaBytes = 0;
  uint64_t constantsBytes = 0;
};

/// One entry of an artifact: the model specialized to its input shapes,
/// with its own signature and plan; every entry's code reads the artifact's
/// one CONSTANTS blob.
struct ArtifactEntry {
  std::string name;
  std::vector<TensorSignature> inputs, outputs;
  uint64_t arenaBytes = 0;
  /// Bytes of each slot after the graph outputs.
  std::vector<uint64_t> intermediateBytes;
  std::vector<PlanStep> steps;
  /// A decoder's cache kept in the session: the last `stateInputs` inputs
  /// are the caches, then the position a run writes them from; a run
  /// writes `stateAdvance` positions of caches `stateCapacity` long.
  uint32_t stateInputs = 0, stateAdvance = 0;
  uint64_t stateCapacity = 0;
};

struct Artifact {
  /// In the order `lathe compile --entry` named them; the first is the
  /// runtime's default.
  std::vector<ArtifactEntry> entries;
  std::vector<char> constants;
  struct Code {
    uint32_t target;
    std::vector<char> bytes;
  };
  std::vector<Code> code;
  /// The ELF machine of the host CPU the runtime runs the code from.
  uint32_t hostMachine = 0;
  /// The cpu partitions' relocatable objects before they were linked
  /// (CompileOptions::keepCpuObjects; not part of the artifact file).
  std::vector<std::vector<char>> cpuObjects;
  /// The index in the artifact's section table of code blob `codeIndex`.
  uint32_t codeSection(uint32_t codeIndex) const;
};

/// The artifact's bytes in the layout of runtime/include/lathe/artifact_format.h.
std::vector<char> serializeArtifact(const Artifact &artifact);

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H
