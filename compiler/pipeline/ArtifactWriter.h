//===- ArtifactWriter.h - writing .lathe artifacts --------------*- C++ -*-===//
#ifndef LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H
#define LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe {

struct TensorSignature {
  std::string name;
  int32_t dtype; // ONNX TensorProto code
  std::vector<int64_t> dims;
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
};

struct Artifact {
  std::vector<TensorSignature> inputs, outputs;
  uint64_t arenaBytes = 0;
  /// Bytes of each slot after the graph outputs.
  std::vector<uint64_t> intermediateBytes;
  std::vector<PlanStep> steps;
  std::vector<char> constants;
  struct Code {
    uint32_t target;
    std::vector<char> bytes;
  };
  std::vector<Code> code;
};

/// The artifact's bytes in the layout of runtime/include/lathe/artifact_format.h.
std::vector<char> serializeArtifact(const Artifact &artifact);

} // namespace lathe

#endif // LATHE_COMPILER_PIPELINE_ARTIFACTWRITER_H
