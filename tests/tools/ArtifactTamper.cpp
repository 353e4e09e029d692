//===- ArtifactTamper.cpp - edits an artifact as an attacker would ---------===//
//
//   lathe-tamper IN OUT EDIT...      (OUT "-": write nothing, for extract.*)
//
// Writes a copy of artifact IN with each EDIT applied and the checksum
// recomputed, so that the file is intact and only what the edits say is
// wrong: the runtime must then refuse it by what it checks beyond the
// checksum. Edits (records of runtime/include/lathe/artifact_format.h):
//
//   version=N                   the header's format version
//   arena=N                     the plan's arena bytes
//   slot.S=N                    the plan's bytes of slot S
//   step.K.io_count=N           step K's number of buffers
//   step.K.io_first=N           where step K's slots start in the io list
//   step.K.slot.I=N             step K's I-th slot
//   step.K.constants=N          step K's constants offset
//   step.K.code_section=N       the section step K calls into
//   tensor.T.dim.D=N            dim D of signature tensor T (inputs, then outputs)
//   tensor.T.rank=N             the rank of signature tensor T
//   section.I.kind=N            the kind of section I
//   section.I.size=N            the size of section I
//   entry.TARGET.E.FIELD=N      entry E of TARGET's code: arena, constants_bytes,
//                               io_count, input_count, io.I (bytes of buffer I)
//   code.TARGET.size=N          the bytes of TARGET's code (the section shrinks)
//   code.TARGET=FILE            TARGET's code replaced by FILE's bytes
//   extract.TARGET=FILE         writes TARGET's code to FILE (no other effect)
//
//===----------------------------------------------------------------------===//
#include "lathe/artifact_format.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "lathe-tamper: %s\n", message.c_str());
  std::exit(1);
}

std::vector<char> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    die("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const char *data, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(data, size);
  if (!out)
    die("cannot write " + path);
}

class Artifact {
public:
  explicit Artifact(std::vector<char> bytes) : bytes(std::move(bytes)) {
    if (this->bytes.size() < sizeof(lathe_artifact_header))
      die("not an artifact");
  }

  template <typename T> T get(uint64_t at) const {
    if (at + sizeof(T) > bytes.size())
      die("a record outside the file");
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    return v;
  }
  template <typename T> void set(uint64_t at, const T &v) {
    if (at + sizeof(T) > bytes.size())
      die("a record outside the file");
    std::memcpy(bytes.data() + at, &v, sizeof(T));
  }

  lathe_artifact_header header() const { return get<lathe_artifact_header>(0); }
  uint64_t sectionAt(uint32_t i) const {
    return sizeof(lathe_artifact_header) + uint64_t(i) * sizeof(lathe_section_entry);
  }
  lathe_section_entry section(uint32_t i) const { return get<lathe_section_entry>(sectionAt(i)); }
  /// The section of `kind` (and `target` for code).
  uint32_t find(uint32_t kind, uint32_t target = 0) const {
    for (uint32_t i = 0; i < header().section_count; ++i)
      if (section(i).kind == kind && (kind != LATHE_SECTION_CODE || section(i).target == target))
        return i;
    die("no such section");
  }
  uint64_t planAt() const { return section(find(LATHE_SECTION_PLAN)).offset; }
  uint64_t stepAt(uint32_t k) const {
    auto plan = get<lathe_plan_header>(planAt());
    if (k >= plan.step_count)
      die("no such step");
    return planAt() + sizeof(plan) + 8ull * plan.slot_count + k * sizeof(lathe_step_record);
  }
  uint64_t stepSlotAt(uint32_t k, uint32_t i) const {
    auto plan = get<lathe_plan_header>(planAt());
    auto step = get<lathe_step_record>(stepAt(k));
    return planAt() + sizeof(plan) + 8ull * plan.slot_count +
           plan.step_count * sizeof(lathe_step_record) + 4ull * (step.io_first + i);
  }
  uint64_t tensorAt(uint32_t t) const {
    return section(find(LATHE_SECTION_SIGNATURE)).offset + sizeof(lathe_signature_header) +
           t * sizeof(lathe_tensor_record);
  }
  uint64_t entryAt(uint32_t target, uint32_t e) const {
    return section(find(LATHE_SECTION_CODE, target)).offset + sizeof(lathe_code_header) +
           e * sizeof(lathe_entry_record);
  }
  uint64_t entryIoAt(uint32_t target, uint32_t e, uint32_t i) const {
    uint64_t code = section(find(LATHE_SECTION_CODE, target)).offset;
    auto header = get<lathe_code_header>(code);
    auto entry = get<lathe_entry_record>(entryAt(target, e));
    return code + sizeof(header) + header.entry_count * sizeof(lathe_entry_record) +
           8ull * (entry.io_first + i);
  }

  void resign() {
    auto h = header();
    h.file_size = bytes.size();
    h.checksum = lathe_checksum(reinterpret_cast<const uint8_t *>(bytes.data()) + sizeof(h),
                                bytes.size() - sizeof(h));
    set(0, h);
  }

  std::vector<char> bytes;
};

uint32_t targetId(const std::string &name) {
#define LATHE_TAMPER_TARGET_(suffix, id, text)                                                     \
  if (name == text)                                                                                \
    return id;
  LATHE_TARGETS(LATHE_TAMPER_TARGET_)
#undef LATHE_TAMPER_TARGET_
  die("unknown target " + name);
}

std::vector<std::string> split(const std::string &s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, '.');)
    parts.push_back(part);
  return parts;
}

uint64_t number(const std::string &s) {
  char *end = nullptr;
  uint64_t v = std::strtoull(s.c_str(), &end, 0);
  if (s.empty() || *end)
    die("not a number: " + s);
  return v;
}

template <typename Record, typename Field>
void setField(Artifact &a, uint64_t at, Field Record::*field, uint64_t value) {
  auto record = a.get<Record>(at);
  record.*field = static_cast<Field>(value);
  a.set(at, record);
}

void apply(Artifact &a, const std::string &edit) {
  auto eq = edit.find('=');
  if (eq == std::string::npos)
    die("an edit is PATH=VALUE: " + edit);
  std::vector<std::string> p = split(edit.substr(0, eq));
  std::string value = edit.substr(eq + 1);
  auto n = [&](size_t i) { return static_cast<uint32_t>(number(p.at(i))); };
  if (p.size() == 1 && p[0] == "version") {
    setField(a, 0, &lathe_artifact_header::version, number(value));
  } else if (p.size() == 1 && p[0] == "arena") {
    setField(a, a.planAt(), &lathe_plan_header::arena_bytes, number(value));
  } else if (p.size() == 2 && p[0] == "slot") {
    a.set<uint64_t>(a.planAt() + sizeof(lathe_plan_header) + 8ull * n(1), number(value));
  } else if (p.size() == 3 && p[0] == "step" && p[2] == "io_count") {
    setField(a, a.stepAt(n(1)), &lathe_step_record::io_count, number(value));
  } else if (p.size() == 3 && p[0] == "step" && p[2] == "io_first") {
    setField(a, a.stepAt(n(1)), &lathe_step_record::io_first, number(value));
  } else if (p.size() == 3 && p[0] == "step" && p[2] == "constants") {
    setField(a, a.stepAt(n(1)), &lathe_step_record::constants_offset, number(value));
  } else if (p.size() == 3 && p[0] == "step" && p[2] == "code_section") {
    setField(a, a.stepAt(n(1)), &lathe_step_record::code_section, number(value));
  } else if (p.size() == 4 && p[0] == "step" && p[2] == "slot") {
    a.set<uint32_t>(a.stepSlotAt(n(1), n(3)), number(value));
  } else if (p.size() == 4 && p[0] == "tensor" && p[2] == "dim") {
    a.set<int64_t>(a.tensorAt(n(1)) + offsetof(lathe_tensor_record, dims) + 8ull * n(3), number(value));
  } else if (p.size() == 3 && p[0] == "tensor" && p[2] == "rank") {
    setField(a, a.tensorAt(n(1)), &lathe_tensor_record::rank, number(value));
  } else if (p.size() == 3 && p[0] == "section" && p[2] == "kind") {
    setField(a, a.sectionAt(n(1)), &lathe_section_entry::kind, number(value));
  } else if (p.size() == 3 && p[0] == "section" && p[2] == "size") {
    setField(a, a.sectionAt(n(1)), &lathe_section_entry::size, number(value));
  } else if (p.size() == 4 && p[0] == "entry") {
    uint64_t at = a.entryAt(targetId(p[1]), n(2));
    if (p[3] == "arena")
      setField(a, at, &lathe_entry_record::arena_bytes, number(value));
    else if (p[3] == "constants_bytes")
      setField(a, at, &lathe_entry_record::constants_bytes, number(value));
    else if (p[3] == "io_count")
      setField(a, at, &lathe_entry_record::io_count, number(value));
    else if (p[3] == "input_count")
      setField(a, at, &lathe_entry_record::input_count, number(value));
    else
      die("unknown entry field " + p[3]);
  } else if (p.size() == 5 && p[0] == "entry" && p[3] == "io") {
    a.set<uint64_t>(a.entryIoAt(targetId(p[1]), n(2), n(4)), number(value));
  } else if (p.size() == 3 && p[0] == "code" && p[2] == "size") {
    // The code shrinks to N bytes and the section with it.
    uint32_t index = a.find(LATHE_SECTION_CODE, targetId(p[1]));
    auto section = a.section(index);
    auto header = a.get<lathe_code_header>(section.offset);
    header.blob_size = number(value);
    a.set(section.offset, header);
    section.size = header.blob_offset + header.blob_size;
    a.set(a.sectionAt(index), section);
  } else if (p.size() == 2 && p[0] == "code") {
    uint32_t index = a.find(LATHE_SECTION_CODE, targetId(p[1]));
    auto section = a.section(index);
    auto header = a.get<lathe_code_header>(section.offset);
    std::vector<char> code = readFile(value);
    if (code.size() != header.blob_size)
      die("the replacement code is not the same size as the code");
    std::memcpy(a.bytes.data() + section.offset + header.blob_offset, code.data(), code.size());
  } else if (p.size() == 2 && p[0] == "extract") {
    auto section = a.section(a.find(LATHE_SECTION_CODE, targetId(p[1])));
    auto header = a.get<lathe_code_header>(section.offset);
    writeFile(value, a.bytes.data() + section.offset + header.blob_offset, header.blob_size);
  } else {
    die("unknown edit " + edit);
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3)
    die("usage: lathe-tamper IN OUT EDIT...");
  Artifact artifact(readFile(argv[1]));
  for (int i = 3; i < argc; ++i)
    apply(artifact, argv[i]);
  artifact.resign();
  if (std::string(argv[2]) != "-")
    writeFile(argv[2], artifact.bytes.data(), artifact.bytes.size());
  return 0;
}
