//===- ArtifactWriter.cpp - writing .lathe artifacts ----------------------===//
#include "compiler/pipeline/ArtifactWriter.h"

#include "lathe/artifact_format.h"

#include <cstring>

using namespace lathe;

namespace {

struct ByteWriter {
  std::vector<char> bytes;
  void u32(uint32_t v) { append(&v, 4); }
  void u64(uint64_t v) { append(&v, 8); }
  void str(const std::string &s) {
    u32(s.size());
    append(s.data(), s.size());
  }
  void append(const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    bytes.insert(bytes.end(), p, p + size);
  }
};

} // namespace

std::vector<char> lathe::serializeArtifact(const Artifact &artifact) {
  ByteWriter signature;
  signature.u32(artifact.inputs.size());
  signature.u32(artifact.outputs.size());
  for (const auto *list : {&artifact.inputs, &artifact.outputs})
    for (const TensorSignature &t : *list) {
      signature.str(t.name);
      signature.u32(t.dtype);
      signature.u32(t.dims.size());
      for (int64_t d : t.dims)
        signature.u64(d);
    }
  ByteWriter plan;
  plan.u64(artifact.arenaBytes);
  plan.u32(artifact.intermediateBytes.size());
  for (uint64_t bytes : artifact.intermediateBytes)
    plan.u64(bytes);
  plan.u32(artifact.steps.size());
  // Sections: signature, plan, constants, then one per code blob.
  for (const PlanStep &step : artifact.steps) {
    plan.u32(step.target);
    plan.u32(3 + step.codeIndex);
    plan.str(step.entry);
    plan.u64(step.constantsOffset);
    plan.u32(step.slots.size());
    for (uint32_t slot : step.slots)
      plan.u32(slot);
  }
  struct Section {
    uint32_t kind, target;
    const std::vector<char> *bytes;
  };
  std::vector<Section> sections{{LATHE_SECTION_SIGNATURE, 0, &signature.bytes},
                                {LATHE_SECTION_PLAN, 0, &plan.bytes},
                                {LATHE_SECTION_CONSTANTS, 0, &artifact.constants}};
  for (const Artifact::Code &code : artifact.code)
    sections.push_back({LATHE_SECTION_CODE, code.target, &code.bytes});

  auto align = [](uint64_t v) {
    return (v + LATHE_ARTIFACT_ALIGNMENT - 1) / LATHE_ARTIFACT_ALIGNMENT * LATHE_ARTIFACT_ALIGNMENT;
  };
  uint64_t offset = align(sizeof(lathe_artifact_header) + sections.size() * sizeof(lathe_section_entry));
  std::vector<lathe_section_entry> table;
  for (const Section &s : sections) {
    table.push_back({s.kind, s.target, offset, (uint64_t)s.bytes->size(), 0});
    offset = align(offset + s.bytes->size());
  }
  std::vector<char> file(offset, 0);
  lathe_artifact_header header;
  std::memcpy(header.magic, LATHE_ARTIFACT_MAGIC, 8);
  header.version = LATHE_ARTIFACT_VERSION;
  header.section_count = sections.size();
  header.file_size = file.size();
  std::memcpy(file.data() + sizeof(header), table.data(), table.size() * sizeof(lathe_section_entry));
  for (size_t i = 0; i < sections.size(); ++i)
    std::memcpy(file.data() + table[i].offset, sections[i].bytes->data(), sections[i].bytes->size());
  header.checksum = lathe_checksum(reinterpret_cast<const uint8_t *>(file.data()) + sizeof(header),
                                   file.size() - sizeof(header));
  std::memcpy(file.data(), &header, sizeof(header));
  return file;
}
