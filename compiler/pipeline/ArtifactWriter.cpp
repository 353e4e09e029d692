//===- ArtifactWriter.cpp - writing .lathe artifacts ----------------------===//
//
// Fills the records of runtime/include/lathe/artifact_format.h, the one
// definition of the layout the runtime's loader reads.
//
//===----------------------------------------------------------------------===//
#include "compiler/pipeline/ArtifactWriter.h"

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

#include <cassert>
#include <cstring>

using namespace lathe;

namespace {

uint64_t alignUp(uint64_t v) {
  return (v + LATHE_ARTIFACT_ALIGNMENT - 1) / LATHE_ARTIFACT_ALIGNMENT * LATHE_ARTIFACT_ALIGNMENT;
}

/// One section's bytes: fixed-size records first (reserved up front, so
/// their offsets are known), then the names they refer to.
class SectionWriter {
public:
  template <typename T> size_t reserve(size_t count = 1) {
    size_t at = bytes.size();
    bytes.resize(at + sizeof(T) * count, 0);
    return at;
  }
  template <typename T> void put(size_t at, const T &record) {
    std::memcpy(bytes.data() + at, &record, sizeof(T));
  }
  lathe_name_ref name(const std::string &s) {
    lathe_name_ref ref{static_cast<uint32_t>(bytes.size()), static_cast<uint32_t>(s.size())};
    bytes.insert(bytes.end(), s.begin(), s.end());
    return ref;
  }
  std::vector<char> bytes;
};

std::vector<char> signatureSection(const ArtifactEntry &artifact) {
  SectionWriter w;
  size_t header = w.reserve<lathe_signature_header>();
  w.put(header, lathe_signature_header{static_cast<uint32_t>(artifact.inputs.size()),
                                       static_cast<uint32_t>(artifact.outputs.size())});
  size_t records = w.reserve<lathe_tensor_record>(artifact.inputs.size() + artifact.outputs.size());
  size_t i = 0;
  for (const auto *list : {&artifact.inputs, &artifact.outputs})
    for (const TensorSignature &t : *list) {
      lathe_tensor_record record{};
      record.name = w.name(t.name);
      record.dtype = t.dtype;
      record.rank = t.dims.size();
      std::copy(t.dims.begin(), t.dims.end(), record.dims);
      w.put(records + sizeof(record) * i++, record);
    }
  return std::move(w.bytes);
}

std::vector<char> planSection(const Artifact &whole, const ArtifactEntry &artifact) {
  SectionWriter w;
  std::vector<uint64_t> slotBytes;
  for (const auto *list : {&artifact.inputs, &artifact.outputs})
    for (const TensorSignature &t : *list)
      slotBytes.push_back(t.bytes());
  slotBytes.insert(slotBytes.end(), artifact.intermediateBytes.begin(),
                   artifact.intermediateBytes.end());
  size_t header = w.reserve<lathe_plan_header>();
  size_t slots = w.reserve<uint64_t>(slotBytes.size());
  for (size_t i = 0; i < slotBytes.size(); ++i)
    w.put(slots + 8 * i, slotBytes[i]);
  size_t steps = w.reserve<lathe_step_record>(artifact.steps.size());
  size_t io = 0;
  for (const PlanStep &step : artifact.steps)
    io += step.slots.size();
  size_t ioAt = w.reserve<uint32_t>(io);
  io = 0;
  for (auto [i, step] : llvm::enumerate(artifact.steps)) {
    lathe_step_record record{};
    record.target = step.target;
    record.code_section = whole.codeSection(step.codeIndex);
    record.entry = w.name(step.entry);
    record.constants_offset = step.constantsOffset;
    record.io_first = io;
    record.io_count = step.slots.size();
    w.put(steps + sizeof(record) * i, record);
    for (uint32_t slot : step.slots)
      w.put(ioAt + 4 * io++, slot);
  }
  w.put(header, lathe_plan_header{artifact.arenaBytes, static_cast<uint32_t>(slotBytes.size()),
                                  static_cast<uint32_t>(artifact.steps.size()), w.name(artifact.name),
                                  artifact.stateInputs, artifact.stateAdvance,
                                  artifact.stateCapacity});
  return std::move(w.bytes);
}

/// A code section: the entry records of the steps (of every entry of the
/// artifact) that call into `code`, then the code itself.
std::vector<char> codeSection(const Artifact &artifact, size_t codeIndex) {
  SectionWriter w;
  std::vector<const PlanStep *> entries;
  size_t ioCount = 0;
  for (const ArtifactEntry &entry : artifact.entries)
    for (const PlanStep &step : entry.steps)
      if (step.codeIndex == codeIndex) {
        entries.push_back(&step);
        ioCount += step.ioBytes.size();
      }
  size_t header = w.reserve<lathe_code_header>();
  size_t records = w.reserve<lathe_entry_record>(entries.size());
  size_t sizes = w.reserve<uint64_t>(ioCount);
  size_t io = 0;
  for (auto [i, step] : llvm::enumerate(entries)) {
    lathe_entry_record record{};
    record.name = w.name(step->entry);
    record.input_count = step->inputCount;
    record.io_count = step->ioBytes.size();
    record.arena_bytes = step->arenaBytes;
    record.constants_offset = step->constantsOffset;
    record.constants_bytes = step->constantsBytes;
    record.io_first = io;
    w.put(records + sizeof(record) * i, record);
    for (uint64_t bytes : step->ioBytes)
      w.put(sizes + 8 * io++, bytes);
  }
  const std::vector<char> &blob = artifact.code[codeIndex].bytes;
  w.bytes.resize(alignUp(w.bytes.size()), 0);
  w.put(header, lathe_code_header{static_cast<uint32_t>(entries.size()), artifact.hostMachine,
                                  w.bytes.size(), blob.size()});
  w.bytes.insert(w.bytes.end(), blob.begin(), blob.end());
  return std::move(w.bytes);
}

} // namespace

uint64_t TensorSignature::bytes() const {
  uint64_t n = lathe_dtype_size(dtype);
  for (int64_t d : dims)
    n *= d;
  return n;
}

uint32_t Artifact::codeSection(uint32_t codeIndex) const {
  return 2 * entries.size() + 1 + codeIndex;
}

std::vector<char> lathe::serializeArtifact(const Artifact &artifact) {
  struct Section {
    uint32_t kind, target;
    std::vector<char> bytes;
  };
  // The order codeSection() assumes: each entry's signature and plan,
  // constants, code.
  std::vector<Section> sections;
  for (const ArtifactEntry &entry : artifact.entries) {
    sections.push_back({LATHE_SECTION_SIGNATURE, 0, signatureSection(entry)});
    sections.push_back({LATHE_SECTION_PLAN, 0, planSection(artifact, entry)});
  }
  sections.push_back({LATHE_SECTION_CONSTANTS, 0, artifact.constants});
  for (size_t i = 0; i < artifact.code.size(); ++i) {
    assert(artifact.codeSection(i) == sections.size() && "code sections follow the entries' and the constants");
    sections.push_back({LATHE_SECTION_CODE, artifact.code[i].target, codeSection(artifact, i)});
  }

  uint64_t offset = alignUp(sizeof(lathe_artifact_header) + sections.size() * sizeof(lathe_section_entry));
  std::vector<lathe_section_entry> table;
  for (const Section &s : sections) {
    table.push_back({s.kind, s.target, offset, static_cast<uint64_t>(s.bytes.size()), 0});
    offset = alignUp(offset + s.bytes.size());
  }
  std::vector<char> file(offset, 0);
  lathe_artifact_header header{};
  std::memcpy(header.magic, LATHE_ARTIFACT_MAGIC, 8);
  header.version = LATHE_ARTIFACT_VERSION;
  header.section_count = sections.size();
  header.file_size = file.size();
  std::memcpy(file.data() + sizeof(header), table.data(), table.size() * sizeof(lathe_section_entry));
  for (size_t i = 0; i < sections.size(); ++i)
    std::memcpy(file.data() + table[i].offset, sections[i].bytes.data(), sections[i].bytes.size());
  header.checksum = lathe_checksum(reinterpret_cast<const uint8_t *>(file.data()) + sizeof(header),
                                   file.size() - sizeof(header));
  std::memcpy(file.data(), &header, sizeof(header));
  return file;
}
