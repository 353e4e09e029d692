//===- InspectCommand.cpp - lathe inspect ---------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "lathe/artifact_format.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &inspectCommand() {
  static cl::SubCommand command("inspect", "Prints an artifact's sections, signature, plan and arena");
  return command;
}

namespace {

cl::list<std::string> artifacts(cl::Positional, cl::desc("ARTIFACT"), cl::sub(inspectCommand()));

} // namespace

int runInspect() {
  if (artifacts.size() != 1)
    return fail("inspect: expected one artifact (lathe inspect OUT.lathe)");
  const std::string &path = artifacts[0];
  // What the loader read and checked, through the runtime's API: inspect
  // shows exactly what a run would use.
  lathe_status status;
  lathe_model *model = nullptr;
  if (lathe_model_load_file(path.c_str(), lathe_system_allocator(), &model, &status) != LATHE_OK)
    return fail(status.message);
  std::unique_ptr<lathe_model, void (*)(lathe_model *)> owner(model, lathe_model_release);
  lathe_artifact_info artifact;
  lathe_model_artifact_info(model, &artifact, nullptr);
  llvm::outs() << llvm::formatv("{0}: lathe artifact, format version {1}, {2} bytes, checksum {3:x16}\n",
                                path, artifact.format_version, artifact.file_size, artifact.checksum);
  llvm::outs() << "sections:\n";
  for (uint32_t i = 0; i < artifact.section_count; ++i) {
    lathe_section_info section;
    lathe_model_section_info(model, i, &section, nullptr);
    std::string code;
    if (section.kind == LATHE_SECTION_CODE)
      code = llvm::formatv("  target {0}, {1} entries, {2} bytes of code, host {3}",
                           lathe_target_name(section.target), section.entry_count, section.code_bytes,
                           lathe_host_machine_name(section.host_machine));
    llvm::outs() << llvm::formatv("  {0,-2} {1,-10} offset {2,10}  size {3,10}{4}\n", i,
                                  lathe_section_kind_name(section.kind), section.offset, section.size,
                                  code);
  }
  auto describe = [](const lathe_tensor_info &info) {
    std::string dims;
    for (uint32_t d = 0; d < info.rank; ++d)
      dims += (d ? "x" : "") + std::to_string(info.dims[d]);
    return llvm::formatv("'{0}' dtype {1} [{2}] {3} bytes", info.name, info.dtype, dims, info.bytes).str();
  };
  // Each entry's signature (named when there are several), then the
  // arena, the crossing tensors and one line per step (target, code entry,
  // constants, arena, the slots it reads and writes), slots and steps
  // numbered model-wide.
  size_t entries = lathe_model_entry_count(model), slot = 0;
  for (size_t e = 0; e < entries; ++e) {
    if (entries > 1)
      llvm::outs() << "entry " << e << ": '" << lathe_model_entry_name(model, e) << "'\n";
    size_t inputs = lathe_model_entry_input_count(model, e), outputs = lathe_model_entry_output_count(model, e);
    for (size_t i = 0; i < inputs; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, e, i, &info, nullptr);
      llvm::outs() << "input " << i << ": " << describe(info) << "\n";
    }
    for (size_t i = 0; i < outputs; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_output_info(model, e, i, &info, nullptr);
      llvm::outs() << "output " << i << ": " << describe(info) << "\n";
    }
    if (size_t advance = lathe_model_entry_cache_advance(model, e))
      llvm::outs() << "writes " << advance << " cache positions a run\n";
    slot += inputs + outputs;
  }
  uint64_t capacity = lathe_model_cache_capacity(model);
  if (capacity)
    llvm::outs() << llvm::formatv("key/value cache: {0} positions, {1} bytes in the session\n",
                                  capacity, lathe_model_cache_bytes(model));
  llvm::outs() << "arena: " << lathe_model_arena_bytes(model) << " bytes\n";
  // (The caches' slots are the session's, counted in no signature.)
  if (entries == 1 && !capacity)
    for (size_t k = slot; k < lathe_model_slot_count(model); ++k)
      llvm::outs() << llvm::formatv("slot {0}: intermediate, {1} bytes\n", k, lathe_model_slot_bytes(model, k));
  for (size_t k = 0; k < lathe_model_step_count(model); ++k) {
    lathe_step_info step;
    lathe_model_step_info(model, k, &step, nullptr);
    std::string reads, writes;
    for (uint32_t j = 0; j < step.io_count; ++j) {
      std::string &list = j < step.input_count ? reads : writes;
      list += (list.empty() ? "" : ",") + std::to_string(step.slots[j]);
    }
    llvm::outs() << llvm::formatv("step {0}: {1} {2}, constants {3} bytes at {4}, arena {5} bytes, "
                                  "reads slots [{6}], writes [{7}]\n",
                                  k, lathe_target_name(step.target), step.entry, step.constants_bytes,
                                  step.constants_offset, step.arena_bytes, reads, writes);
  }
  return 0;
}


} // namespace lathe::driver
