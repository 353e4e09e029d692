// The runtime C API on artifacts the lathe driver compiled (the ctest
// fixture runtime-test-artifacts, into $LATHE_TEST_ARTIFACTS): results, every
// kind of bad artifact and bad input, and concurrent sessions. The test links
// only the runtime, so it also runs against the runtime built under ASan+UBSan
// and TSan (runtime-tests-asan, runtime-tests-tsan).
#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

// two_outputs.onnxtext: y = relu(x + b), z = x * 2, small enough to check
// by hand.
std::vector<char> readArtifact(const char *target, const char *model = "two_outputs") {
  const char *dir = std::getenv("LATHE_TEST_ARTIFACTS");
  EXPECT_NE(dir, nullptr) << "LATHE_TEST_ARTIFACTS names the folder of the compiled test models";
  std::string path = std::string(dir ? dir : ".") + "/" + model + "." + target + ".lathe";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

const std::vector<char> &artifactBytes() {
  static const std::vector<char> bytes = readArtifact("cpu");
  return bytes;
}

/// Rewrites the checksum after a deliberate edit of the header.
void resign(std::vector<char> &bytes) {
  lathe_artifact_header header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  header.checksum = lathe_checksum(reinterpret_cast<const uint8_t *>(bytes.data()) + sizeof(header),
                                   bytes.size() - sizeof(header));
  std::memcpy(bytes.data(), &header, sizeof(header));
}

lathe_status_code load(const std::vector<char> &bytes, lathe_model **model, lathe_status *status) {
  return lathe_model_load_memory(bytes.data(), bytes.size(), lathe_system_allocator(), model, status);
}

struct Loaded {
  lathe_model *model = nullptr;
  lathe_session *session = nullptr;
  /// `bytes` must outlive it (the model reads them in place).
  explicit Loaded(const std::vector<char> &bytes = artifactBytes()) {
    lathe_status status;
    EXPECT_EQ(load(bytes, &model, &status), LATHE_OK) << status.message;
    EXPECT_EQ(lathe_session_create(model, lathe_system_allocator(), &session, &status), LATHE_OK)
        << status.message;
  }
  ~Loaded() {
    lathe_session_release(session);
    lathe_model_release(model);
  }
};

const int64_t kDims[] = {2, 3};
const float kInput[] = {-2.0f, 0.5f, 1.0f, 3.0f, -4.0f, -0.25f};
// z = x * 2 of kInput.
const float kExpectedZ[] = {-4.0f, 1.0f, 2.0f, 6.0f, -8.0f, -0.5f};

TEST(Runtime, RunsAndReportsSignature) {
  Loaded l;
  ASSERT_EQ(lathe_model_input_count(l.model), 1u);
  ASSERT_EQ(lathe_model_output_count(l.model), 2u);
  lathe_tensor_info info;
  lathe_status status;
  ASSERT_EQ(lathe_model_output_info(l.model, 1, &info, &status), LATHE_OK);
  EXPECT_STREQ(info.name, "z");
  EXPECT_EQ(info.dtype, LATHE_DTYPE_FLOAT32);
  EXPECT_EQ(info.bytes, 24u);
  ASSERT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    kDims, 2, &status),
            LATHE_OK)
      << status.message;
  ASSERT_EQ(lathe_session_run(l.session, &status), LATHE_OK) << status.message;
  const void *data;
  size_t bytes;
  ASSERT_EQ(lathe_session_output(l.session, 0, &data, &bytes, &status), LATHE_OK);
  const float expectedY[] = {0.0f, 0.0f, 1.5f, 4.0f, 0.0f, 0.25f};
  ASSERT_EQ(bytes, sizeof(expectedY));
  EXPECT_EQ(std::memcmp(data, expectedY, bytes), 0);
  ASSERT_EQ(lathe_session_output(l.session, 1, &data, &bytes, &status), LATHE_OK);
  EXPECT_EQ(std::memcmp(data, kExpectedZ, bytes), 0);
}

TEST(Runtime, RejectsWrongInputs) {
  Loaded l;
  lathe_status status;
  const int64_t wrongDims[] = {3, 2};
  EXPECT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_INT32, kDims,
                                    2, &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x': dtype 6 given, the model takes dtype 1");
  EXPECT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    wrongDims, 2, &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x': shape [3,2] given, the model takes [2,3]");
  EXPECT_EQ(lathe_session_set_input(l.session, 0, kInput, 8, LATHE_DTYPE_FLOAT32, kDims, 2, &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_EQ(lathe_session_set_input(l.session, 5, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    kDims, 2, &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_EQ(lathe_session_run(l.session, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x' is not bound");
  const void *data;
  size_t bytes;
  EXPECT_EQ(lathe_session_output(l.session, 2, &data, &bytes, &status), LATHE_INVALID_ARGUMENT);
}

TEST(Runtime, RejectsAnInputInsideTheSessionsOwnMemory) {
  // Feeding an output of the last run back as an input would have the
  // compiled code read a buffer it is writing.
  Loaded l;
  lathe_status status;
  ASSERT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    kDims, 2, &status),
            LATHE_OK);
  ASSERT_EQ(lathe_session_run(l.session, &status), LATHE_OK) << status.message;
  const void *data;
  size_t bytes;
  ASSERT_EQ(lathe_session_output(l.session, 1, &data, &bytes, &status), LATHE_OK);
  ASSERT_EQ(lathe_session_set_input(l.session, 0, data, bytes, LATHE_DTYPE_FLOAT32, kDims, 2,
                                    &status),
            LATHE_OK);
  EXPECT_EQ(lathe_session_run(l.session, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x' lies in this session's own output or arena memory; "
                               "copy it to a buffer of your own first");
  std::vector<float> copy((const float *)data, (const float *)data + 6);
  ASSERT_EQ(lathe_session_set_input(l.session, 0, copy.data(), bytes, LATHE_DTYPE_FLOAT32, kDims,
                                    2, &status),
            LATHE_OK);
  EXPECT_EQ(lathe_session_run(l.session, &status), LATHE_OK) << status.message;
}

TEST(Runtime, WritesABoundOutputIntoTheCallersMemory) {
  Loaded l;
  lathe_status status;
  float z[6] = {0};
  ASSERT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    kDims, 2, &status),
            LATHE_OK);
  EXPECT_EQ(lathe_session_set_output(l.session, 1, z, sizeof(z) - 4, &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "output 'z': 20 bytes given, it needs 24");
  ASSERT_EQ(lathe_session_set_output(l.session, 1, z, sizeof(z), &status), LATHE_OK)
      << status.message;
  ASSERT_EQ(lathe_session_run(l.session, &status), LATHE_OK) << status.message;
  EXPECT_EQ(std::memcmp(z, kExpectedZ, sizeof(z)), 0);
  const void *data;
  size_t bytes;
  ASSERT_EQ(lathe_session_output(l.session, 1, &data, &bytes, &status), LATHE_OK);
  EXPECT_EQ(data, static_cast<const void *>(z));

  // Unbound, the output is the session's again (and z is left alone).
  ASSERT_EQ(lathe_session_set_output(l.session, 1, nullptr, 0, &status), LATHE_OK);
  std::memset(z, 0, sizeof(z));
  ASSERT_EQ(lathe_session_run(l.session, &status), LATHE_OK) << status.message;
  ASSERT_EQ(lathe_session_output(l.session, 1, &data, &bytes, &status), LATHE_OK);
  EXPECT_NE(data, static_cast<const void *>(z));
  EXPECT_EQ(std::memcmp(data, kExpectedZ, bytes), 0);
  EXPECT_EQ(z[0], 0.0f);

  // The compiled code may not write what it reads.
  std::vector<float> shared(kInput, kInput + 6);
  ASSERT_EQ(lathe_session_set_input(l.session, 0, shared.data(), 24, LATHE_DTYPE_FLOAT32, kDims,
                                    2, &status),
            LATHE_OK);
  ASSERT_EQ(lathe_session_set_output(l.session, 0, shared.data(), 24, &status), LATHE_OK);
  EXPECT_EQ(lathe_session_run(l.session, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "output 'y' is bound to memory that overlaps input 'x'");

  float both[6];
  ASSERT_EQ(lathe_session_set_input(l.session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32,
                                    kDims, 2, &status),
            LATHE_OK);
  ASSERT_EQ(lathe_session_set_output(l.session, 0, both, sizeof(both), &status), LATHE_OK);
  ASSERT_EQ(lathe_session_set_output(l.session, 1, both, sizeof(both), &status), LATHE_OK);
  EXPECT_EQ(lathe_session_run(l.session, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "outputs 'y' and 'z' are bound to overlapping memory");
}

TEST(Runtime, KeepsAHexagonOutputInTheMemoryItShares) {
  static const std::vector<char> bytes = readArtifact("hexagon");
  Loaded l(bytes);
  lathe_status status;
  float z[6];
  EXPECT_EQ(lathe_session_set_output(l.session, 1, z, sizeof(z), &status), LATHE_UNSUPPORTED);
  EXPECT_STREQ(status.message, "output 'z' is written by a hexagon step, in the memory the "
                               "session shares with it: read it with lathe_session_output");
}

TEST(Runtime, RejectsBadArtifacts) {
  lathe_model *model = nullptr;
  lathe_status status;
  std::vector<char> bytes = artifactBytes();

  std::vector<char> truncated(bytes.begin(), bytes.end() - 100);
  EXPECT_EQ(load(truncated, &model, &status), LATHE_INVALID_ARTIFACT);
  EXPECT_NE(std::string(status.message).find("truncated"), std::string::npos) << status.message;

  std::vector<char> tampered = bytes;
  tampered[tampered.size() / 2] ^= 0x40;
  EXPECT_EQ(load(tampered, &model, &status), LATHE_INVALID_ARTIFACT);
  EXPECT_NE(std::string(status.message).find("checksum"), std::string::npos) << status.message;

  std::vector<char> newer = bytes;
  uint32_t version = LATHE_ARTIFACT_VERSION + 1;
  std::memcpy(newer.data() + 8, &version, 4);
  resign(newer);
  EXPECT_EQ(load(newer, &model, &status), LATHE_UNSUPPORTED);
  EXPECT_NE(std::string(status.message).find("format version " + std::to_string(version)), std::string::npos) << status.message;

  std::vector<char> foreign = bytes;
  foreign[0] = 'X';
  EXPECT_EQ(load(foreign, &model, &status), LATHE_INVALID_ARTIFACT);

  // A section pointing past the end, with a valid checksum.
  std::vector<char> outside = bytes;
  lathe_section_entry entry;
  std::memcpy(&entry, outside.data() + sizeof(lathe_artifact_header), sizeof(entry));
  entry.size = outside.size();
  std::memcpy(outside.data() + sizeof(lathe_artifact_header), &entry, sizeof(entry));
  resign(outside);
  EXPECT_EQ(load(outside, &model, &status), LATHE_INVALID_ARTIFACT);

  std::vector<char> tiny(7, 'L');
  EXPECT_EQ(load(tiny, &model, &status), LATHE_INVALID_ARTIFACT);
  EXPECT_EQ(model, nullptr);

  EXPECT_EQ(lathe_model_load_file("/nonexistent.lathe", lathe_system_allocator(), &model, &status),
            LATHE_IO_ERROR);
}

/// Sessions of one model on `threads` threads, each checking its outputs
/// over `runs` runs.
void runConcurrently(const std::vector<char> &bytes, int threadCount, int runs) {
  lathe_model *model = nullptr;
  lathe_status status;
  ASSERT_EQ(load(bytes, &model, &status), LATHE_OK) << status.message;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0}, failures{0};
  for (int t = 0; t < threadCount; ++t)
    threads.emplace_back([&, t] {
      lathe_session *session = nullptr;
      lathe_status s;
      if (lathe_session_create(model, lathe_system_allocator(), &session, &s) != LATHE_OK) {
        ++failures;
        return;
      }
      float input[6];
      for (int run = 0; run < runs; ++run) {
        for (int i = 0; i < 6; ++i)
          input[i] = float(t * 1000 + run * 6 + i);
        const void *data;
        size_t bytes;
        if (lathe_session_set_input(session, 0, input, sizeof(input), LATHE_DTYPE_FLOAT32, kDims, 2,
                                    &s) != LATHE_OK ||
            lathe_session_run(session, &s) != LATHE_OK ||
            lathe_session_output(session, 1, &data, &bytes, &s) != LATHE_OK || bytes != sizeof(input)) {
          ++failures;
          break;
        }
        for (int i = 0; i < 6; ++i)
          if (static_cast<const float *>(data)[i] != 2 * input[i])
            ++mismatches;
      }
      lathe_session_release(session);
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  lathe_model_release(model);
}

TEST(Runtime, SessionsRunConcurrently) { runConcurrently(artifactBytes(), 4, 200); }

// conv_block.onnxtext: a 3x3 convolution (8 -> 16 channels on 48x48), its
// activations and a max pool; its kernels are split into tiles the session's
// threads share.
const std::vector<char> &convBlockBytes() {
  static const std::vector<char> bytes = readArtifact("cpu", "conv_block");
  return bytes;
}

/// The conv block's inputs, seeded.
struct ConvBlockInputs {
  std::vector<float> x, w, b;
  explicit ConvBlockInputs(uint32_t seed) : x(8 * 48 * 48), w(16 * 8 * 3 * 3), b(16) {
    for (std::vector<float> *v : {&x, &w, &b})
      for (float &value : *v) {
        seed = seed * 1664525u + 1013904223u;
        value = float(seed >> 8) / float(1 << 24) * 2.0f - 1.0f;
      }
  }
};

/// Runs the conv block on a session of `threads` threads, `runs` times, and
/// returns the bytes of both outputs of the last run (empty on a failure).
std::vector<char> runConvBlock(lathe_model *model, size_t threads, const ConvBlockInputs &in,
                               int runs) {
  lathe_session_options options = {threads};
  lathe_session *session = nullptr;
  lathe_status status;
  std::vector<char> out;
  if (lathe_session_create_with_options(model, lathe_system_allocator(), &options, &session,
                                        &status) != LATHE_OK) {
    ADD_FAILURE() << status.message;
    return out;
  }
  EXPECT_EQ(lathe_session_threads(session), threads);
  const int64_t x[] = {1, 8, 48, 48}, w[] = {16, 8, 3, 3}, b[] = {16};
  bool ok = lathe_session_set_input(session, 0, in.x.data(), in.x.size() * 4, LATHE_DTYPE_FLOAT32, x,
                                    4, &status) == LATHE_OK &&
            lathe_session_set_input(session, 1, in.w.data(), in.w.size() * 4, LATHE_DTYPE_FLOAT32, w,
                                    4, &status) == LATHE_OK &&
            lathe_session_set_input(session, 2, in.b.data(), in.b.size() * 4, LATHE_DTYPE_FLOAT32, b,
                                    1, &status) == LATHE_OK;
  for (int run = 0; ok && run < runs; ++run)
    ok = lathe_session_run(session, &status) == LATHE_OK;
  for (size_t i = 0; ok && i < 2; ++i) {
    const void *data;
    size_t bytes;
    ok = lathe_session_output(session, i, &data, &bytes, &status) == LATHE_OK;
    if (ok)
      out.insert(out.end(), static_cast<const char *>(data), static_cast<const char *>(data) + bytes);
  }
  EXPECT_TRUE(ok) << status.message;
  lathe_session_release(session);
  return out;
}

TEST(Runtime, ThreadsComputeTheSameBits) {
  lathe_model *model = nullptr;
  lathe_status status;
  ASSERT_EQ(load(convBlockBytes(), &model, &status), LATHE_OK) << status.message;
  for (uint32_t seed : {1u, 7u}) {
    ConvBlockInputs in(seed);
    std::vector<char> one = runConvBlock(model, 1, in, 1);
    ASSERT_EQ(one.size(), (16u * 48 * 48 + 16u * 24 * 24) * 4);
    // Not all zero: the relu and the pool pass positive values on.
    EXPECT_TRUE(std::any_of(one.begin(), one.end(), [](char c) { return c != 0; }));
    for (size_t threads : {2u, 3u, 4u})
      EXPECT_TRUE(runConvBlock(model, threads, in, 3) == one) << threads << " threads, seed " << seed;
  }
  lathe_model_release(model);
}

// Two models loaded at once each run their own code (the second one's is
// not taken for the first's), on one thread or several.
TEST(Runtime, ModelsLoadedTogetherRunTheirOwnCode) {
  lathe_model *convBlock = nullptr;
  lathe_status status;
  ASSERT_EQ(load(convBlockBytes(), &convBlock, &status), LATHE_OK) << status.message;
  ConvBlockInputs in(3);
  std::vector<char> alone = runConvBlock(convBlock, 2, in, 1);
  {
    Loaded twoOutputs;
    ASSERT_EQ(lathe_session_set_input(twoOutputs.session, 0, kInput, sizeof(kInput),
                                      LATHE_DTYPE_FLOAT32, kDims, 2, &status),
              LATHE_OK)
        << status.message;
    ASSERT_EQ(lathe_session_run(twoOutputs.session, &status), LATHE_OK) << status.message;
    const void *data;
    size_t bytes;
    ASSERT_EQ(lathe_session_output(twoOutputs.session, 1, &data, &bytes, &status), LATHE_OK);
    ASSERT_EQ(bytes, sizeof(kExpectedZ));
    EXPECT_EQ(std::memcmp(data, kExpectedZ, bytes), 0);
    for (size_t threads : {1u, 2u})
      EXPECT_TRUE(runConvBlock(convBlock, threads, in, 2) == alone) << threads << " threads";
  }
  lathe_model_release(convBlock);
}

TEST(Runtime, RefusesMoreThreadsThanItRuns) {
  lathe_model *model = nullptr;
  lathe_session *session = nullptr;
  lathe_status status;
  ASSERT_EQ(load(convBlockBytes(), &model, &status), LATHE_OK) << status.message;
  lathe_session_options options = {100000};
  EXPECT_EQ(lathe_session_create_with_options(model, lathe_system_allocator(), &options, &session,
                                              &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "100000 threads asked for; at most 256");
  EXPECT_EQ(session, nullptr);
  lathe_model_release(model);
}

// Sessions with threads of their own, side by side: each pool serves its
// own session only.
TEST(Runtime, ThreadedSessionsRunConcurrently) {
  lathe_model *model = nullptr;
  lathe_status status;
  ASSERT_EQ(load(convBlockBytes(), &model, &status), LATHE_OK) << status.message;
  ConvBlockInputs in(3);
  std::vector<char> expected = runConvBlock(model, 1, in, 1);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&] {
      if (runConvBlock(model, 2, in, 10) != expected)
        ++mismatches;
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
  lathe_model_release(model);
}

// Each hexagon session has a DSP side of its own (qemu-hexagon here).
TEST(Runtime, HexagonSessionsRunConcurrently) {
  static const std::vector<char> bytes = readArtifact("hexagon");
  runConcurrently(bytes, 2, 20);
}

// two_outputs_rows.onnxtext (x of N rows) compiled with --entry
// two_rows:x=2,3 --entry four_rows:x=4,3: one artifact, each entry with its
// own signature, run in turn by one session.
class RuntimeEntries : public ::testing::TestWithParam<const char *> {};

TEST_P(RuntimeEntries, RunEachEntryFromOneSession) {
  std::vector<char> bytes = readArtifact(GetParam(), "two_outputs_rows");
  lathe_model *model = nullptr;
  lathe_session *session = nullptr;
  lathe_status status;
  ASSERT_EQ(load(bytes, &model, &status), LATHE_OK) << status.message;
  ASSERT_EQ(lathe_session_create(model, lathe_system_allocator(), &session, &status), LATHE_OK)
      << status.message;
  ASSERT_EQ(lathe_model_entry_count(model), 2u);
  EXPECT_STREQ(lathe_model_entry_name(model, 0), "two_rows");
  EXPECT_STREQ(lathe_model_entry_name(model, 1), "four_rows");
  EXPECT_EQ(lathe_model_entry_name(model, 2), nullptr);
  size_t entry = 9;
  EXPECT_EQ(lathe_model_find_entry(model, "decode", &entry, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "the model has no entry 'decode' (its entries: two_rows, four_rows)");
  ASSERT_EQ(lathe_model_find_entry(model, "four_rows", &entry, &status), LATHE_OK);
  EXPECT_EQ(entry, 1u);
  EXPECT_EQ(lathe_session_select_entry(session, 2, &status), LATHE_INVALID_ARGUMENT);
  lathe_tensor_info info;
  ASSERT_EQ(lathe_model_entry_input_info(model, 1, 0, &info, &status), LATHE_OK);
  EXPECT_EQ(info.dims[0], 4);
  // Entry 0 is the default; the other's shape is refused there.
  EXPECT_EQ(lathe_session_entry(session), 0u);
  std::vector<float> four(kInput, kInput + 6);
  four.insert(four.end(), kInput, kInput + 6);
  const int64_t fourDims[] = {4, 3};
  EXPECT_EQ(lathe_session_set_input(session, 0, four.data(), 48, LATHE_DTYPE_FLOAT32, fourDims, 2,
                                    &status),
            LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x': shape [4,3] given, the model takes [2,3]");
  ASSERT_EQ(lathe_session_set_input(session, 0, kInput, sizeof(kInput), LATHE_DTYPE_FLOAT32, kDims,
                                    2, &status),
            LATHE_OK);
  ASSERT_EQ(lathe_session_select_entry(session, 1, &status), LATHE_OK);
  // Bindings are per entry: four_rows has none yet.
  EXPECT_EQ(lathe_session_run(session, &status), LATHE_INVALID_ARGUMENT);
  EXPECT_STREQ(status.message, "input 'x' is not bound");
  ASSERT_EQ(lathe_session_set_input(session, 0, four.data(), 48, LATHE_DTYPE_FLOAT32, fourDims, 2,
                                    &status),
            LATHE_OK)
      << status.message;
  for (int round = 0; round < 2; ++round) {
    for (size_t e : {1u, 0u}) {
      ASSERT_EQ(lathe_session_select_entry(session, e, &status), LATHE_OK);
      ASSERT_EQ(lathe_session_run(session, &status), LATHE_OK) << status.message;
      const void *data;
      size_t size;
      ASSERT_EQ(lathe_session_output(session, 1, &data, &size, &status), LATHE_OK);
      ASSERT_EQ(size, e ? 48u : 24u);
      for (size_t half = 0; half < size / sizeof(kExpectedZ); ++half)
        EXPECT_EQ(std::memcmp((const char *)data + half * sizeof(kExpectedZ), kExpectedZ,
                              sizeof(kExpectedZ)),
                  0)
            << "entry " << e << ", rows " << 2 * half;
    }
  }
  lathe_session_release(session);
  lathe_model_release(model);
}

// The weights are stored once: the two entries' artifact holds the same
// constants as the one-entry artifact of the same graph.
TEST(RuntimeEntries, StoreTheWeightsOnce) {
  lathe_model *single = nullptr, *entries = nullptr;
  lathe_status status;
  std::vector<char> one = readArtifact("cpu"), two = readArtifact("cpu", "two_outputs_rows");
  ASSERT_EQ(load(one, &single, &status), LATHE_OK) << status.message;
  ASSERT_EQ(load(two, &entries, &status), LATHE_OK) << status.message;
  lathe_artifact_info a, b;
  ASSERT_EQ(lathe_model_artifact_info(single, &a, &status), LATHE_OK);
  ASSERT_EQ(lathe_model_artifact_info(entries, &b, &status), LATHE_OK);
  EXPECT_GT(a.constants_bytes, 0u);
  EXPECT_EQ(b.constants_bytes, a.constants_bytes);
  lathe_model_release(single);
  lathe_model_release(entries);
}

INSTANTIATE_TEST_SUITE_P(Targets, RuntimeEntries, ::testing::Values("cpu", "hexagon", "ane"));

} // namespace

// running_sum_cache.onnxtext, compiled with --kv-cache 8 and entries of 3
// and 1 positions: y = x + (the sum over the cache, this run's x included)
// + each row's position. The cache is the session's: the caller binds x
// alone, each run adds its rows to the cache at the session's position.
class RuntimeCache : public ::testing::TestWithParam<const char *> {};

TEST_P(RuntimeCache, KeepsTheCacheInTheSession) {
  std::vector<char> bytes = readArtifact(GetParam(), "running_sum_cache");
  Loaded loaded(bytes);
  lathe_model *model = loaded.model;
  lathe_session *session = loaded.session;
  ASSERT_NE(session, nullptr);
  lathe_status status;
  EXPECT_EQ(lathe_model_cache_capacity(model), 8u);
  EXPECT_EQ(lathe_model_cache_bytes(model), 8u * 4 * sizeof(float));
  ASSERT_EQ(lathe_model_entry_count(model), 2u);
  EXPECT_EQ(lathe_model_entry_cache_advance(model, 0), 3u);
  EXPECT_EQ(lathe_model_entry_cache_advance(model, 1), 1u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(lathe_model_entry_input_count(model, e), 1u) << "the past is no caller's input";
    EXPECT_EQ(lathe_model_entry_output_count(model, e), 1u) << "the present is no output";
  }
  lathe_tensor_info info;
  EXPECT_EQ(lathe_model_entry_input_info(model, 0, 1, &info, &status), LATHE_INVALID_ARGUMENT);

  // What the cache holds, summed per column, and the session's position:
  // the model as the test computes it.
  float sum[4] = {0, 0, 0, 0};
  uint64_t position = 0;
  auto run = [&](size_t entry, size_t rows, float base) {
    std::vector<float> x(rows * 4);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = base + 0.25f * (float)i;
    const int64_t dims[] = {1, (int64_t)rows, 4};
    ASSERT_EQ(lathe_session_select_entry(session, entry, &status), LATHE_OK);
    ASSERT_EQ(lathe_session_set_input(session, 0, x.data(), x.size() * 4, LATHE_DTYPE_FLOAT32, dims,
                                      3, &status),
              LATHE_OK)
        << status.message;
    ASSERT_EQ(lathe_session_run(session, &status), LATHE_OK) << status.message;
    for (size_t i = 0; i < x.size(); ++i)
      sum[i % 4] += x[i];
    const void *data;
    size_t size;
    ASSERT_EQ(lathe_session_output(session, 0, &data, &size, &status), LATHE_OK);
    ASSERT_EQ(size, x.size() * 4);
    const float *y = (const float *)data;
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_FLOAT_EQ(y[i], x[i] + sum[i % 4] + (float)(position + i / 4))
          << "row " << i / 4 << " column " << i % 4 << " at position " << position;
    position += rows;
    EXPECT_EQ(lathe_session_cache_position(session), position);
  };
  run(0, 3, 1.0f);
  for (int k = 0; k < 5; ++k)
    run(1, 1, -2.0f + (float)k);
  // Full: one more position does not fit, and nothing changes.
  EXPECT_EQ(lathe_session_run(session, &status), LATHE_CACHE_FULL);
  EXPECT_STREQ(status.message, "the key/value cache is full: entry 'one' writes 1 positions from "
                               "position 8, the cache holds 8; reset or rewind the session");
  EXPECT_EQ(lathe_session_cache_position(session), 8u);
  EXPECT_EQ(lathe_session_rewind(session, 9, &status), LATHE_INVALID_ARGUMENT);
  // After a reset the session computes as a new one.
  ASSERT_EQ(lathe_session_reset(session, &status), LATHE_OK);
  EXPECT_EQ(lathe_session_cache_position(session), 0u);
  std::fill(sum, sum + 4, 0.0f);
  position = 0;
  run(0, 3, 1.0f);
  run(0, 3, 0.5f);
  // A rewind forgets the positions after it: the next run writes over them.
  ASSERT_EQ(lathe_session_rewind(session, 3, &status), LATHE_OK);
  EXPECT_EQ(lathe_session_cache_position(session), 3u);
}

INSTANTIATE_TEST_SUITE_P(Targets, RuntimeCache, ::testing::Values("cpu", "hexagon"));
