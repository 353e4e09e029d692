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

struct PlanStep {
  uint32_t target;
  uint32_t codeIndex; // index into Artifact::code
  std::string entry;
};

struct Artifact {
  std::vector<TensorSignature> inputs, outputs;
  uint64_t arenaBytes = 0;
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
