// The ane program reader and executor on Core ML programs built here with
// Core ML's own schema, each cut to one of the shapes that once corrupted
// memory or allocated without bound: they are refused with one line, and the
// reader never asks for more memory than the program's bytes justify.
#include "ane/mil_program.h"

#include "targets/ane/coreml/Model.pb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace mil = CoreML::Specification::MILSpec;

/// An allocator that remembers the largest request.
struct CountingAllocator {
  size_t largest = 0;
  static void *allocate(void *self, size_t size, size_t alignment) {
    auto *c = static_cast<CountingAllocator *>(self);
    c->largest = std::max(c->largest, size);
    return lathe_system_allocator().allocate(nullptr, size, alignment);
  }
  static void release(void *self, void *p) { lathe_system_allocator().release(nullptr, p); }
  lathe_allocator get() { return {allocate, release, this}; }
};

void setTensorType(mil::ValueType *type, mil::DataType dtype, std::initializer_list<uint64_t> dims) {
  mil::TensorType *t = type->mutable_tensortype();
  t->set_datatype(dtype);
  t->set_rank(dims.size());
  for (uint64_t d : dims)
    t->add_dimensions()->mutable_constant()->set_size(d);
}

/// main(x: fp32[2]) = add(x, c) with c a const of `dims` holding `values`.
struct Program {
  CoreML::Specification::Model model;
  mil::Operation *constOp;
  mil::Value *val;

  explicit Program(std::initializer_list<uint64_t> dims = {2}) {
    model.set_specificationversion(8);
    mil::Function &main = (*model.mutable_mlprogram()->mutable_functions())["main"];
    main.set_opset("CoreML7");
    mil::NamedValueType *x = main.add_inputs();
    x->set_name("x");
    setTensorType(x->mutable_type(), mil::FLOAT32, {2});
    mil::Block &block = (*main.mutable_block_specializations())["CoreML7"];
    constOp = block.add_operations();
    constOp->set_type("const");
    mil::NamedValueType *c = constOp->add_outputs();
    c->set_name("c");
    setTensorType(c->mutable_type(), mil::FLOAT32, dims);
    val = &(*constOp->mutable_attributes())["val"];
    setTensorType(val->mutable_type(), mil::FLOAT32, dims);
    auto *floats = val->mutable_immediatevalue()->mutable_tensor()->mutable_floats();
    floats->add_values(1.0f);
    floats->add_values(2.0f);
    mil::Operation *add = block.add_operations();
    add->set_type("add");
    (*add->mutable_inputs())["x"].add_arguments()->set_name("x");
    (*add->mutable_inputs())["y"].add_arguments()->set_name("c");
    mil::NamedValueType *y = add->add_outputs();
    y->set_name("y");
    setTensorType(y->mutable_type(), mil::FLOAT32, {2});
    block.add_outputs("y");
  }

  /// Reads the program; the status message when it is refused.
  std::string read(CountingAllocator &allocator, const std::string &weights = "") const {
    std::string bytes = model.SerializeAsString();
    lathe_mil_program *program = nullptr;
    lathe_status status{};
    lathe_status_code code = lathe_mil_program_read(
        reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
        weights.empty() ? nullptr : reinterpret_cast<const uint8_t *>(weights.data()), weights.size(),
        allocator.get(), &program, &status);
    if (code == LATHE_OK) {
      lathe_mil_program_free(program, allocator.get());
      return "";
    }
    EXPECT_EQ(std::strchr(status.message, '\n'), nullptr);
    return status.message;
  }
};

void setDims(mil::Operation *op, mil::Value *val, uint64_t dim) {
  for (mil::ValueType *type : {op->mutable_outputs(0)->mutable_type(), val->mutable_type()})
    type->mutable_tensortype()->mutable_dimensions(0)->mutable_constant()->set_size(dim);
}

TEST(AneProgramReader, ReadsAWellFormedProgram) {
  CountingAllocator allocator;
  EXPECT_EQ(Program().read(allocator), "");
}

// [2^62 + 1] once wrapped the element count to 4 bytes of storage, written
// past.
TEST(AneProgramReader, RefusesACountThatWouldWrap) {
  Program p;
  setDims(p.constOp, p.val, (uint64_t(1) << 62) + 1);
  CountingAllocator allocator;
  EXPECT_EQ(p.read(allocator), "ane program: a tensor above the size limit of 2 GiB at c");
  EXPECT_LT(allocator.largest, size_t(1) << 20);
}

// A dim of 4294967295 once had 16 GB allocated and zeroed before the data
// was looked for; now no const claims more elements than bytes hold it.
TEST(AneProgramReader, RefusesAConstLargerThanItsBytesBeforeAllocating) {
  Program p;
  setDims(p.constOp, p.val, 4294967295u);
  CountingAllocator allocator;
  EXPECT_EQ(p.read(allocator), "ane program: a tensor above the size limit of 2 GiB at c");
  Program q;
  setDims(q.constOp, q.val, 100000000u);
  EXPECT_EQ(q.read(allocator),
            "ane program: a const with more elements than the program and weights hold at c");
  EXPECT_LT(allocator.largest, size_t(1) << 20);
}

// A blob with no weight.bin once did pointer arithmetic on NULL.
TEST(AneProgramReader, RefusesABlobWithoutWeights) {
  Program p;
  p.val->mutable_blobfilevalue()->set_filename("@model_path/weights/weight.bin");
  p.val->mutable_blobfilevalue()->set_offset(64);
  CountingAllocator allocator;
  EXPECT_EQ(p.read(allocator), "ane program: a blob offset outside weight.bin at c");
  EXPECT_EQ(p.read(allocator, std::string(100, '\0')), "ane program: a blob offset outside weight.bin at c");
}

// Empty names and keys (memcpy/memcmp of NULL once) and names with a newline
// (printed raw once): refused, in one line.
TEST(AneProgramReader, EmptyAndUnprintableNamesGiveOneLine) {
  CountingAllocator allocator;
  Program p;
  mil::Function &main = (*p.model.mutable_mlprogram()->mutable_functions())["main"];
  mil::Block &block = main.mutable_block_specializations()->begin()->second;
  main.mutable_inputs(0)->set_name("w");
  block.mutable_operations(1)->mutable_outputs(0)->set_name("y\nz\x01");
  block.set_outputs(0, "y\nz\x01");
  EXPECT_EQ(p.read(allocator), "ane program: an input bound to a value not defined before it at y?z?");
  Program q;
  q.constOp->set_type("");
  EXPECT_EQ(q.read(allocator), "ane program: a malformed operation"); // proto3 leaves "" out
  Program r;
  (*r.model.mutable_mlprogram()->mutable_functions())["main"].set_opset("");
  EXPECT_EQ(r.read(allocator), "ane program: function main has no block for its opset");
}

// A fixed32 float at the very end of its field once read 4 bytes that were
// not there.
TEST(AneProgramReader, RefusesATruncatedFixed32) {
  Program p;
  std::string bytes = p.model.SerializeAsString();
  // The const's floats, packed (field 1, wire type 2, 8 bytes: 1.0, 2.0),
  // rewritten in the same 10 bytes as a fixed32 1.0, an empty packed run and
  // a fixed32 key with only 2 of its 4 bytes before the field ends.
  const std::string packed("\x0a\x08\x00\x00\x80\x3f\x00\x00\x00\x40", 10);
  const std::string cut("\x0d\x00\x00\x80\x3f\x0a\x00\x0d\x00\x00", 10);
  size_t at = bytes.find(packed);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, packed.size(), cut);
  lathe_mil_program *program = nullptr;
  lathe_status status{};
  EXPECT_EQ(lathe_mil_program_read(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), nullptr,
                                   0, lathe_system_allocator(), &program, &status),
            LATHE_INVALID_ARTIFACT);
  EXPECT_STREQ(status.message, "ane program: a const whose data does not match its shape at c");
}

// An op whose declared output disagrees with its inputs once had the
// executor read past them; it is refused when run.
TEST(AneProgramExecutor, RefusesAnOutputItsInputsDoNotMake) {
  Program p;
  mil::Block &block = (*p.model.mutable_mlprogram()->mutable_functions())["main"]
                          .mutable_block_specializations()
                          ->begin()
                          ->second;
  block.mutable_operations(1)->set_type("relu");
  block.mutable_operations(1)->mutable_inputs()->erase("y");
  setTensorType(block.mutable_operations(1)->mutable_outputs(0)->mutable_type(), mil::FLOAT32, {64});
  std::string bytes = p.model.SerializeAsString();
  lathe_mil_program *program = nullptr;
  lathe_status status{};
  ASSERT_EQ(lathe_mil_program_read(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), nullptr, 0,
                                   lathe_system_allocator(), &program, &status),
            LATHE_OK)
      << status.message;
  std::vector<float> workspace(program->workspace_floats), x{1, 2}, y(64);
  const float *inputs[] = {x.data()};
  float *outputs[] = {y.data()};
  EXPECT_EQ(lathe_mil_program_run(program, inputs, outputs, workspace.data(), &status),
            LATHE_INVALID_ARTIFACT);
  EXPECT_STREQ(status.message, "ane op y (relu): needs a float input x of its output's size");
  lathe_mil_program_free(program, lathe_system_allocator());
}

// NaN in, NaN out, as on the cpu: max, min, relu and clip keep it.
TEST(AneProgramExecutor, KeepsNaN) {
  for (const char *type : {"relu", "maximum", "minimum", "clip"}) {
    Program p;
    mil::Block &block = (*p.model.mutable_mlprogram()->mutable_functions())["main"]
                            .mutable_block_specializations()
                            ->begin()
                            ->second;
    mil::Operation *op = block.mutable_operations(1);
    op->set_type(type);
    if (std::string(type) == "relu" || std::string(type) == "clip")
      op->mutable_inputs()->erase("y");
    if (std::string(type) == "clip") {
      (*op->mutable_inputs())["alpha"].add_arguments()->set_name("c");
      (*op->mutable_inputs())["beta"].add_arguments()->set_name("c");
    }
    std::string bytes = p.model.SerializeAsString();
    lathe_mil_program *program = nullptr;
    lathe_status status{};
    ASSERT_EQ(lathe_mil_program_read(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), nullptr,
                                     0, lathe_system_allocator(), &program, &status),
              LATHE_OK)
        << type << ": " << status.message;
    std::vector<float> workspace(program->workspace_floats), x{NAN, -INFINITY}, y(2);
    const float *inputs[] = {x.data()};
    float *outputs[] = {y.data()};
    ASSERT_EQ(lathe_mil_program_run(program, inputs, outputs, workspace.data(), &status), LATHE_OK)
        << type << ": " << status.message;
    EXPECT_TRUE(std::isnan(y[0])) << type;
    lathe_mil_program_free(program, lathe_system_allocator());
  }
}

} // namespace
