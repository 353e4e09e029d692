//===- CLibraryWriter.cpp - a compiled model as a C library ---------------===//
#include "compiler/pipeline/CLibraryWriter.h"

#include "targets/cpu/CpuTarget.h"
#include "targets/llvm/LlvmCodegen.h"

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"
#include "lathe_version.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstring>
#include <functional>
#include <map>
#include <set>

namespace lathe {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

uint64_t align64(uint64_t n) { return (n + 63) & ~uint64_t(63); }

/// What the weights file starts with: magic, format, the weights' bytes and
/// checksum (lathe_checksum), padded so that the weights start 64-aligned.
constexpr uint64_t kWeightsHeaderBytes = 64;
constexpr char kWeightsMagic[9] = "LATHEWTS";
constexpr uint32_t kWeightsFormat = 1;

// The statuses the library returns (the runtime's codes).
constexpr int kInvalidArgument = LATHE_INVALID_ARGUMENT;
constexpr int kInvalidWeights = LATHE_INVALID_ARTIFACT;
constexpr int kOutOfMemory = LATHE_OUT_OF_MEMORY;
constexpr int kIoError = LATHE_IO_ERROR;

/// A C identifier for each tensor name: its constants are N_<ID upper-cased>_...,
/// so the upper-cased forms are unique and none is one of the header's own.
std::vector<std::string> cIdentifiers(const ArtifactEntry &entry) {
  std::vector<std::string> names;
  std::set<std::string> taken = {"OK", "INVALID_ARGUMENT", "INVALID_WEIGHTS", "OUT_OF_MEMORY",
                                 "IO_ERROR", "MEMORY_BYTES", "WEIGHTS_BYTES", "H"};
  auto add = [&](const std::string &name) {
    std::string id;
    for (char c : name)
      id += llvm::isAlnum(c) ? c : '_';
    if (id.empty() || llvm::isDigit(id[0]))
      id = "t_" + id;
    std::string unique = id;
    for (int k = 2; !taken.insert(llvm::StringRef(unique).upper()).second; ++k)
      unique = id + "_" + std::to_string(k);
    names.push_back(unique);
  };
  for (const TensorSignature &t : entry.inputs)
    add(t.name);
  for (const TensorSignature &t : entry.outputs)
    add(t.name);
  return names;
}

const char *cType(int32_t dtype) {
  switch (dtype) {
  case LATHE_DTYPE_FLOAT32: return "float";
  case 2: return "uint8_t";
  case 3: return "int8_t";
  case 4: return "uint16_t";
  case 5: return "int16_t";
  case 6: return "int32_t";
  case 7: return "int64_t";
  case 9: return "uint8_t"; // bool, one byte each
  case 10: return "uint16_t"; // float16 bits
  case 11: return "double";
  case 12: return "uint32_t";
  case 13: return "uint64_t";
  default: return nullptr;
  }
}

/// The model's memory: the arena, then each tensor crossing between
/// partitions (64-aligned), as the runtime lays out a session's.
struct MemoryLayout {
  uint64_t bytes = 0;
  std::map<uint32_t, uint64_t> slotOffsets;
};

MemoryLayout layOut(const ArtifactEntry &entry) {
  MemoryLayout layout;
  layout.bytes = align64(entry.arenaBytes);
  uint32_t first = entry.inputs.size() + entry.outputs.size();
  for (auto [k, bytes] : llvm::enumerate(entry.intermediateBytes)) {
    layout.slotOffsets[first + k] = layout.bytes;
    layout.bytes += align64(bytes);
  }
  layout.bytes = std::max<uint64_t>(layout.bytes, 64);
  return layout;
}

std::string upper(llvm::StringRef s) { return s.upper(); }

/// A tensor's name inside a C comment: printable, never closing it.
std::string commentSafe(llvm::StringRef name) {
  std::string safe;
  for (char c : name.take_front(200))
    safe += llvm::isPrint(c) ? c : '?';
  for (size_t at; (at = safe.find("*/")) != std::string::npos;)
    safe[at + 1] = '_';
  return safe;
}

std::string header(const ArtifactEntry &entry, const CLibraryOptions &options,
                   const MemoryLayout &layout, uint64_t weightsBytes, llvm::StringRef model) {
  const std::string &n = options.name;
  std::string N = upper(n);
  std::vector<std::string> ids = cIdentifiers(entry);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* " << n << ".h: the model " << llvm::sys::path::filename(model)
     << " as a C library, written by lathe " << LATHE_VERSION << ".\n"
     << " *\n"
     << " * Link lib" << n << ".a and libm. A model computes on the calling thread; models\n"
     << " * (even of one library) run concurrently. Inputs and outputs are the caller's,\n"
     << " * C arrays of the shapes below, and must not overlap. Functions return 0, or\n"
     << " * " << N << "_INVALID_ARGUMENT, " << N << "_INVALID_WEIGHTS, " << N
     << "_OUT_OF_MEMORY, " << N << "_IO_ERROR. */\n";
  os << "#ifndef " << N << "_H\n#define " << N << "_H\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << "#define " << N << "_OK 0\n"
     << "#define " << N << "_INVALID_ARGUMENT " << kInvalidArgument << "\n"
     << "#define " << N << "_INVALID_WEIGHTS " << kInvalidWeights << "\n"
     << "#define " << N << "_OUT_OF_MEMORY " << kOutOfMemory << "\n"
     << "#define " << N << "_IO_ERROR " << kIoError << "\n\n"
     << "/* The memory a model allocates for its runs, and its weights. */\n"
     << "#define " << N << "_MEMORY_BYTES " << layout.bytes << "u\n"
     << "#define " << N << "_WEIGHTS_BYTES " << weightsBytes << "u\n\n";
  size_t k = 0;
  auto describe = [&](const TensorSignature &t, const char *role) {
    std::string I = N + "_" + upper(ids[k]);
    os << "/* " << role << " '" << commentSafe(t.name) << "': " << cType(t.dtype)
       << " [" << llvm::join(llvm::map_range(t.dims, [](int64_t d) { return std::to_string(d); }), "][")
       << "] */\n";
    os << "#define " << I << "_RANK " << t.dims.size() << "\n";
    if (!t.dims.empty()) // (a scalar has no shape to initialize an array with)
      os << "#define " << I << "_SHAPE {"
         << llvm::join(llvm::map_range(t.dims, [](int64_t d) { return std::to_string(d); }), ", ")
         << "}\n";
    uint64_t elements = 1;
    for (int64_t d : t.dims)
      elements *= d;
    os << "#define " << I << "_ELEMENTS " << elements << "u\n";
    os << "#define " << I << "_BYTES " << t.bytes() << "u\n\n";
    ++k;
  };
  for (const TensorSignature &t : entry.inputs)
    describe(t, "input");
  for (const TensorSignature &t : entry.outputs)
    describe(t, "output");
  os << "typedef struct " << n << "_model " << n << "_model;\n\n";
  if (options.linkWeights)
    os << "/* A model with the weights linked into the library. */\n"
       << "int " << n << "_create(" << n << "_model **model);\n";
  else
    os << "/* A model whose weights are mapped from `path` (" << n << ".weights), checked\n"
       << "   to be this model's; they stay mapped until it is released. */\n"
       << "int " << n << "_create_from_file(const char *path, " << n << "_model **model);\n";
  os << "/* Runs the model on the inputs, writing the outputs. */\n"
     << "int " << n << "_run(" << n << "_model *model";
  // Parameters named in_/out_ + the identifier: never a keyword or `model`.
  k = 0;
  for (const TensorSignature &t : entry.inputs)
    os << ", const " << cType(t.dtype) << " *in_" << ids[k++];
  for (const TensorSignature &t : entry.outputs)
    os << ", " << cType(t.dtype) << " *out_" << ids[k++];
  os << ");\n"
     << "void " << n << "_release(" << n << "_model *model);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << N << "_H */\n";
  return text;
}

/// The model's driver: create, run (each partition's entry called with its
/// buffers, the weights, the memory and serial kernel services), release.
class DriverBuilder {
public:
  DriverBuilder(llvm::LLVMContext &context, llvm::Module &module, const CLibraryOptions &options)
      : ctx(context), module(module), b(context), n(options.name) {
    ptr = llvm::PointerType::get(ctx, 0);
    i8 = b.getInt8Ty();
    i32 = b.getInt32Ty();
    i64 = b.getInt64Ty();
    // struct model { ptr weights; ptr memory; ptr mapping; i64 mapped; }
    modelType = llvm::StructType::create(ctx, {ptr, ptr, ptr, i64}, n + "_model");
  }

  llvm::Function *function(llvm::StringRef name, llvm::Type *result,
                           llvm::ArrayRef<llvm::Type *> params, bool external,
                           bool variadic = false) {
    auto *type = llvm::FunctionType::get(result, params, variadic);
    return llvm::Function::Create(type,
                                  external ? llvm::GlobalValue::ExternalLinkage
                                           : llvm::GlobalValue::InternalLinkage,
                                  name, module);
  }
  llvm::FunctionCallee libc(llvm::StringRef name, llvm::Type *result,
                            llvm::ArrayRef<llvm::Type *> params, bool variadic = false) {
    return module.getOrInsertFunction(name, llvm::FunctionType::get(result, params, variadic));
  }

  /// parallel_for of the services: the ranges in one go, on this thread.
  llvm::GlobalVariable *services() {
    llvm::Function *parallelFor =
        function(n + "_parallel_for", b.getVoidTy(), {ptr, ptr, ptr, i64, i64}, false);
    auto *entry = llvm::BasicBlock::Create(ctx, "entry", parallelFor);
    auto *run = llvm::BasicBlock::Create(ctx, "run", parallelFor);
    auto *done = llvm::BasicBlock::Create(ctx, "done", parallelFor);
    b.SetInsertPoint(entry);
    llvm::Value *count = parallelFor->getArg(3);
    b.CreateCondBr(b.CreateICmpSGT(count, b.getInt64(0)), run, done);
    b.SetInsertPoint(run);
    auto *taskType = llvm::FunctionType::get(b.getVoidTy(), {ptr, i64, i64}, false);
    b.CreateCall(taskType, parallelFor->getArg(1), {parallelFor->getArg(2), b.getInt64(0), count});
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
    auto *type = llvm::StructType::get(ctx, {ptr, ptr});
    auto *init = llvm::ConstantStruct::get(type, {parallelFor, llvm::ConstantPointerNull::get(ptr)});
    return new llvm::GlobalVariable(module, type, /*isConstant=*/true,
                                    llvm::GlobalValue::InternalLinkage, init, n + "_services");
  }

  /// Allocates the model and its memory around `weights`, `mapping`,
  /// `mapped`; stores it in *out and returns 0, or returns out of memory.
  void allocateModel(llvm::Value *out, llvm::Value *weights, llvm::Value *mapping,
                     llvm::Value *mapped, uint64_t memoryBytes, llvm::Function *f,
                     const std::function<void()> &undo) {
    auto malloc = libc("malloc", ptr, {i64});
    auto alignedAlloc = libc("aligned_alloc", ptr, {i64, i64});
    auto free = libc("free", b.getVoidTy(), {ptr});
    llvm::Value *model = b.CreateCall(malloc, {b.getInt64(32)});
    auto *haveModel = llvm::BasicBlock::Create(ctx, "have_model", f);
    auto *noMemory = llvm::BasicBlock::Create(ctx, "no_memory", f);
    b.CreateCondBr(b.CreateIsNull(model), noMemory, haveModel);
    b.SetInsertPoint(haveModel);
    llvm::Value *memory = b.CreateCall(alignedAlloc, {b.getInt64(64), b.getInt64(memoryBytes)});
    auto *haveMemory = llvm::BasicBlock::Create(ctx, "have_memory", f);
    auto *noArena = llvm::BasicBlock::Create(ctx, "no_arena", f);
    b.CreateCondBr(b.CreateIsNull(memory), noArena, haveMemory);
    b.SetInsertPoint(noArena);
    b.CreateCall(free, {model});
    b.CreateBr(noMemory);
    b.SetInsertPoint(noMemory);
    undo();
    b.CreateRet(b.getInt32(kOutOfMemory));
    b.SetInsertPoint(haveMemory);
    b.CreateStore(weights, b.CreateStructGEP(modelType, model, 0));
    b.CreateStore(memory, b.CreateStructGEP(modelType, model, 1));
    b.CreateStore(mapping, b.CreateStructGEP(modelType, model, 2));
    b.CreateStore(mapped, b.CreateStructGEP(modelType, model, 3));
    b.CreateStore(model, out);
    b.CreateRet(b.getInt32(0));
  }

  /// Returns `status` from a new block if `failed`, else continues.
  void returnIf(llvm::Function *f, llvm::Value *failed, int status,
                const std::function<void()> &undo = [] {}) {
    auto *bad = llvm::BasicBlock::Create(ctx, "fail", f);
    auto *good = llvm::BasicBlock::Create(ctx, "ok", f);
    b.CreateCondBr(failed, bad, good);
    b.SetInsertPoint(bad);
    undo();
    b.CreateRet(b.getInt32(status));
    b.SetInsertPoint(good);
  }

  void createLinked(llvm::GlobalVariable *weights, uint64_t memoryBytes) {
    llvm::Function *f = function(n + "_create", i32, {ptr}, true);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
    llvm::Value *out = f->getArg(0);
    returnIf(f, b.CreateIsNull(out), kInvalidArgument);
    b.CreateStore(llvm::ConstantPointerNull::get(ptr), out);
    llvm::Value *w = weights ? (llvm::Value *)weights : llvm::ConstantPointerNull::get(ptr);
    allocateModel(out, w, llvm::ConstantPointerNull::get(ptr), b.getInt64(0), memoryBytes, f,
                  [] {});
  }

  void createFromFile(uint64_t weightsBytes, uint64_t checksum, uint64_t memoryBytes) {
    llvm::Function *f = function(n + "_create_from_file", i32, {ptr, ptr}, true);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
    llvm::Value *path = f->getArg(0), *out = f->getArg(1);
    returnIf(f, b.CreateOr(b.CreateIsNull(path), b.CreateIsNull(out)), kInvalidArgument);
    b.CreateStore(llvm::ConstantPointerNull::get(ptr), out);
    auto open = libc("open", i32, {ptr, i32}, /*variadic=*/true);
    auto lseek = libc("lseek", i64, {i32, i64, i32});
    auto close = libc("close", i32, {i32});
    auto mmap = libc("mmap", ptr, {ptr, i64, i32, i32, i32, i64});
    auto munmap = libc("munmap", i32, {ptr, i64});
    // O_RDONLY | O_CLOEXEC, SEEK_END, PROT_READ, MAP_PRIVATE: the same on
    // every Linux host lathe emits for (x86-64, AArch64).
    llvm::Value *fd = b.CreateCall(open, {path, b.getInt32(0x80000)});
    returnIf(f, b.CreateICmpSLT(fd, b.getInt32(0)), kIoError);
    uint64_t fileBytes = kWeightsHeaderBytes + weightsBytes;
    llvm::Value *size = b.CreateCall(lseek, {fd, b.getInt64(0), b.getInt32(2)});
    returnIf(f, b.CreateICmpSLT(size, b.getInt64(0)), kIoError, [&] { b.CreateCall(close, {fd}); });
    returnIf(f, b.CreateICmpNE(size, b.getInt64(fileBytes)), kInvalidWeights,
             [&] { b.CreateCall(close, {fd}); });
    llvm::Value *mapping = b.CreateCall(
        mmap, {llvm::ConstantPointerNull::get(ptr), b.getInt64(fileBytes), b.getInt32(1),
               b.getInt32(2), fd, b.getInt64(0)});
    b.CreateCall(close, {fd});
    llvm::Value *failed = b.CreateICmpEQ(b.CreatePtrToInt(mapping, i64), b.getInt64(-1));
    returnIf(f, failed, kIoError);
    auto unmap = [&] { b.CreateCall(munmap, {mapping, b.getInt64(fileBytes)}); };
    // The header: magic, format, bytes, checksum.
    uint64_t magic;
    std::memcpy(&magic, kWeightsMagic, 8);
    llvm::Value *bad = b.CreateICmpNE(b.CreateLoad(i64, mapping), b.getInt64(magic));
    bad = b.CreateOr(bad, b.CreateICmpNE(b.CreateLoad(i32, b.CreateConstGEP1_64(i8, mapping, 8)),
                                         b.getInt32(kWeightsFormat)));
    bad = b.CreateOr(bad, b.CreateICmpNE(b.CreateLoad(i64, b.CreateConstGEP1_64(i8, mapping, 16)),
                                         b.getInt64(weightsBytes)));
    bad = b.CreateOr(bad, b.CreateICmpNE(b.CreateLoad(i64, b.CreateConstGEP1_64(i8, mapping, 24)),
                                         b.getInt64(checksum)));
    returnIf(f, bad, kInvalidWeights, unmap);
    // The bytes themselves, hashed as lathe_checksum does (FNV-1a, 64 bits).
    llvm::Value *weights = b.CreateConstGEP1_64(i8, mapping, kWeightsHeaderBytes);
    llvm::Value *sum = b.getInt64(0xcbf29ce484222325ull);
    if (weightsBytes) {
      llvm::BasicBlock *before = b.GetInsertBlock();
      auto *loop = llvm::BasicBlock::Create(ctx, "hash", f);
      auto *hashed = llvm::BasicBlock::Create(ctx, "hashed", f);
      b.CreateBr(loop);
      b.SetInsertPoint(loop);
      llvm::PHINode *i = b.CreatePHI(i64, 2);
      llvm::PHINode *h = b.CreatePHI(i64, 2);
      i->addIncoming(b.getInt64(0), before);
      h->addIncoming(sum, before);
      llvm::Value *byte = b.CreateZExt(b.CreateLoad(i8, b.CreateGEP(i8, weights, i)), i64);
      llvm::Value *next = b.CreateMul(b.CreateXor(h, byte), b.getInt64(0x100000001b3ull));
      llvm::Value *i1 = b.CreateAdd(i, b.getInt64(1));
      i->addIncoming(i1, loop);
      h->addIncoming(next, loop);
      b.CreateCondBr(b.CreateICmpULT(i1, b.getInt64(weightsBytes)), loop, hashed);
      b.SetInsertPoint(hashed);
      sum = next;
    }
    returnIf(f, b.CreateICmpNE(sum, b.getInt64(checksum)), kInvalidWeights, unmap);
    allocateModel(out, weights, mapping, b.getInt64(fileBytes), memoryBytes, f, unmap);
  }

  void run(const ArtifactEntry &entry, const MemoryLayout &layout, llvm::GlobalVariable *services) {
    size_t inputs = entry.inputs.size(), outputs = entry.outputs.size();
    std::vector<llvm::Type *> params(1 + inputs + outputs, ptr);
    llvm::Function *f = function(n + "_run", i32, params, true);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
    llvm::Value *model = f->getArg(0);
    llvm::Value *missing = b.CreateIsNull(model);
    for (size_t k = 1; k < params.size(); ++k)
      missing = b.CreateOr(missing, b.CreateIsNull(f->getArg(k)));
    returnIf(f, missing, kInvalidArgument);
    llvm::Value *weights = b.CreateLoad(ptr, b.CreateStructGEP(modelType, model, 0));
    llvm::Value *memory = b.CreateLoad(ptr, b.CreateStructGEP(modelType, model, 1));
    size_t maxIo = 1;
    for (const PlanStep &step : entry.steps)
      maxIo = std::max(maxIo, step.slots.size());
    llvm::Value *io = b.CreateAlloca(llvm::ArrayType::get(ptr, maxIo));
    auto *entryType = llvm::FunctionType::get(b.getVoidTy(), {ptr, ptr, ptr, ptr}, false);
    for (const PlanStep &step : entry.steps) {
      for (auto [k, slot] : llvm::enumerate(step.slots)) {
        llvm::Value *buffer = slot < inputs + outputs
                                  ? (llvm::Value *)f->getArg(1 + slot)
                                  : b.CreateConstGEP1_64(i8, memory, layout.slotOffsets.at(slot));
        b.CreateStore(buffer, b.CreateConstGEP1_64(ptr, io, k));
      }
      llvm::FunctionCallee callee = module.getOrInsertFunction(step.entry, entryType);
      b.CreateCall(callee, {io, b.CreateConstGEP1_64(i8, weights, step.constantsOffset), memory,
                            services});
    }
    b.CreateRet(b.getInt32(0));
  }

  void release() {
    llvm::Function *f = function(n + "_release", b.getVoidTy(), {ptr}, true);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
    llvm::Value *model = f->getArg(0);
    auto *some = llvm::BasicBlock::Create(ctx, "some", f);
    auto *unmap = llvm::BasicBlock::Create(ctx, "unmap", f);
    auto *freeing = llvm::BasicBlock::Create(ctx, "free", f);
    auto *done = llvm::BasicBlock::Create(ctx, "done", f);
    b.CreateCondBr(b.CreateIsNull(model), done, some);
    b.SetInsertPoint(some);
    llvm::Value *mapping = b.CreateLoad(ptr, b.CreateStructGEP(modelType, model, 2));
    b.CreateCondBr(b.CreateIsNull(mapping), freeing, unmap);
    b.SetInsertPoint(unmap);
    llvm::Value *mapped = b.CreateLoad(i64, b.CreateStructGEP(modelType, model, 3));
    b.CreateCall(libc("munmap", i32, {ptr, i64}), {mapping, mapped});
    b.CreateBr(freeing);
    b.SetInsertPoint(freeing);
    auto free = libc("free", b.getVoidTy(), {ptr});
    b.CreateCall(free, {b.CreateLoad(ptr, b.CreateStructGEP(modelType, model, 1))});
    b.CreateCall(free, {model});
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
  }

private:
  llvm::LLVMContext &ctx;
  llvm::Module &module;
  llvm::IRBuilder<> b;
  std::string n;
  llvm::PointerType *ptr;
  llvm::Type *i8, *i32, *i64;
  llvm::StructType *modelType;
};

llvm::Error writeBytes(llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  out << bytes;
  out.close();
  if (out.has_error())
    return fail("cannot write '" + path + "': " + out.error().message());
  return llvm::Error::success();
}

} // namespace

bool isCLibraryName(llvm::StringRef name) {
  return !name.empty() && !llvm::isDigit(name[0]) &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

llvm::Error writeCLibrary(const Artifact &artifact, const TargetOptions &target,
                          const CLibraryOptions &options, llvm::StringRef directory,
                          llvm::StringRef model) {
  if (!isCLibraryName(options.name))
    return fail("--c-library-name '" + options.name +
                "': a C library's name prefixes its symbols (letters, digits and _, no digit "
                "first)");
  if (artifact.entries.size() != 1 || artifact.entries[0].stateInputs)
    return fail("--emit-c-library: a C library holds one entry without a key/value cache "
                "(compile the entry alone, without --entry and --kv-cache)");
  const ArtifactEntry &entry = artifact.entries[0];
  for (const PlanStep &step : entry.steps)
    if (step.target != LATHE_TARGET_CPU)
      return fail(llvm::Twine("--emit-c-library: the C library runs on the cpu alone, and a "
                              "partition runs on the ") +
                  lathe_target_name(step.target) + " (compile with --target cpu)");
  for (const TensorSignature &t : llvm::concat<const TensorSignature>(entry.inputs, entry.outputs))
    if (!cType(t.dtype))
      return fail("--emit-c-library: tensor '" + t.name + "' has ONNX dtype " +
                  std::to_string(t.dtype) + ", which has no C type");
  if (artifact.cpuObjects.empty())
    return fail("--emit-c-library: the compile kept no cpu objects");

  MemoryLayout layout = layOut(entry);
  const std::vector<char> &constants = artifact.constants;
  uint64_t checksum =
      lathe_checksum(reinterpret_cast<const uint8_t *>(constants.data()), constants.size());

  auto machine = createCpuTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvm::LLVMContext context;
  llvm::Module module(options.name + "_model", context);
  module.setTargetTriple((*machine)->getTargetTriple());
  module.setDataLayout((*machine)->createDataLayout());
  DriverBuilder builder(context, module, options);
  llvm::GlobalVariable *services = builder.services();
  llvm::GlobalVariable *weights = nullptr;
  if (options.linkWeights && !constants.empty()) {
    auto *data = llvm::ConstantDataArray::getRaw(llvm::StringRef(constants.data(), constants.size()),
                                                 constants.size(), llvm::Type::getInt8Ty(context));
    weights = new llvm::GlobalVariable(module, data->getType(), /*isConstant=*/true,
                                       llvm::GlobalValue::InternalLinkage, data,
                                       options.name + "_weights");
    weights->setAlignment(llvm::Align(64));
  }
  if (options.linkWeights)
    builder.createLinked(weights, layout.bytes);
  else
    builder.createFromFile(constants.size(), checksum, layout.bytes);
  builder.run(entry, layout, services);
  builder.release();
  std::string verifierErrors;
  llvm::raw_string_ostream verifierOut(verifierErrors);
  if (llvm::verifyModule(module, &verifierOut))
    return fail("--emit-c-library: the model's driver does not verify: " + verifierErrors);
  auto driver = emitModuleObject(module, **machine);
  if (!driver)
    return driver.takeError();

  if (auto ec = llvm::sys::fs::create_directories(directory))
    return fail("cannot create '" + directory + "': " + ec.message());
  // The archive: each partition's object, then the driver.
  std::vector<std::string> names;
  std::vector<const std::vector<char> *> objects;
  for (auto [k, object] : llvm::enumerate(artifact.cpuObjects)) {
    names.push_back(options.name + "_partition" + std::to_string(k) + ".o");
    objects.push_back(&object);
  }
  names.push_back(options.name + "_model.o");
  objects.push_back(&*driver);
  std::vector<llvm::NewArchiveMember> members;
  for (auto [name, object] : llvm::zip(names, objects)) {
    llvm::NewArchiveMember member(
        llvm::MemoryBufferRef(llvm::StringRef(object->data(), object->size()), name));
    member.MemberName = name;
    members.push_back(std::move(member));
  }
  llvm::SmallString<256> archive(directory);
  llvm::sys::path::append(archive, "lib" + options.name + ".a");
  if (auto err = llvm::writeArchive(archive, members, llvm::SymtabWritingMode::NormalSymtab,
                                    llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                    /*Thin=*/false))
    return err;

  llvm::SmallString<256> headerPath(directory);
  llvm::sys::path::append(headerPath, options.name + ".h");
  if (auto err = writeBytes(headerPath, header(entry, options, layout, constants.size(), model)))
    return err;
  if (!options.linkWeights) {
    std::string file(kWeightsHeaderBytes, '\0');
    std::memcpy(&file[0], kWeightsMagic, 8);
    std::memcpy(&file[8], &kWeightsFormat, 4);
    uint64_t bytes = constants.size();
    std::memcpy(&file[16], &bytes, 8);
    std::memcpy(&file[24], &checksum, 8);
    file.append(constants.data(), constants.size());
    llvm::SmallString<256> weightsPath(directory);
    llvm::sys::path::append(weightsPath, options.name + ".weights");
    if (auto err = writeBytes(weightsPath, file))
      return err;
  }
  return llvm::Error::success();
}

} // namespace lathe
