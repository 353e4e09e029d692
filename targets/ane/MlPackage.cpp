//===- MlPackage.cpp - the .mlpackage tree of one ane partition -----------===//
#include "targets/ane/MlPackage.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA1.h"
#include "llvm/Support/raw_ostream.h"

using namespace lathe::ane;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A UUID-shaped identifier (version 5 layout) from `seed` and `contents`.
std::string identifier(llvm::StringRef seed, llvm::ArrayRef<uint8_t> contents) {
  llvm::SHA1 sha;
  sha.update(seed);
  sha.update(contents);
  std::array<uint8_t, 20> digest = sha.final();
  digest[6] = (digest[6] & 0x0F) | 0x50;
  digest[8] = (digest[8] & 0x3F) | 0x80;
  std::string text;
  llvm::raw_string_ostream os(text);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      os << '-';
    os << llvm::format_hex_no_prefix(digest[i], 2, /*Upper=*/true);
  }
  return text;
}

void putU32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}
void putU64(std::vector<uint8_t> &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}
void putString(std::vector<uint8_t> &out, llvm::StringRef s) {
  putU32(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

/// Reads the serialized form, refusing any length past the end.
class Reader {
public:
  explicit Reader(llvm::ArrayRef<uint8_t> bytes) : bytes(bytes) {}
  bool u32(uint32_t &v) { return integer(v, 4); }
  bool u64(uint64_t &v) { return integer(v, 8); }
  bool string(std::string &s) {
    uint32_t n;
    if (!u32(n) || n > bytes.size() - at)
      return false;
    s.assign(bytes.begin() + at, bytes.begin() + at + n);
    at += n;
    return true;
  }
  bool data(std::vector<uint8_t> &d) {
    uint64_t n;
    if (!u64(n) || n > bytes.size() - at)
      return false;
    d.assign(bytes.begin() + at, bytes.begin() + at + n);
    at += n;
    return true;
  }
  bool done() const { return at == bytes.size(); }

private:
  template <typename T> bool integer(T &v, unsigned size) {
    if (bytes.size() - at < size)
      return false;
    v = 0;
    for (unsigned i = 0; i < size; ++i)
      v |= T(bytes[at + i]) << (8 * i);
    at += size;
    return true;
  }
  llvm::ArrayRef<uint8_t> bytes;
  size_t at = 0;
};

} // namespace

const PackageFile *MlPackage::file(llvm::StringRef path) const {
  for (const PackageFile &f : files)
    if (f.path == path)
      return &f;
  return nullptr;
}

MlPackage lathe::ane::makePackage(llvm::StringRef name, std::vector<uint8_t> model,
                                  std::vector<uint8_t> weights) {
  std::string modelId = identifier("model.mlmodel", model);
  std::string weightsId = identifier("weights", weights);
  std::string manifest;
  llvm::raw_string_ostream os(manifest);
  os << "{\n"
     << "    \"fileFormatVersion\": \"1.0.0\",\n"
     << "    \"itemInfoEntries\": {\n"
     << "        \"" << modelId << "\": {\n"
     << "            \"author\": \"com.apple.CoreML\",\n"
     << "            \"description\": \"CoreML Model Specification\",\n"
     << "            \"name\": \"model.mlmodel\",\n"
     << "            \"path\": \"com.apple.CoreML/model.mlmodel\"\n"
     << "        },\n"
     << "        \"" << weightsId << "\": {\n"
     << "            \"author\": \"com.apple.CoreML\",\n"
     << "            \"description\": \"CoreML Model Weights\",\n"
     << "            \"name\": \"weights\",\n"
     << "            \"path\": \"com.apple.CoreML/weights\"\n"
     << "        }\n"
     << "    },\n"
     << "    \"rootModelIdentifier\": \"" << modelId << "\"\n"
     << "}\n";
  MlPackage package;
  package.name = name.str();
  package.files.push_back({"Manifest.json", std::vector<uint8_t>(manifest.begin(), manifest.end())});
  package.files.push_back({kModelPath, std::move(model)});
  package.files.push_back({kWeightsPath, std::move(weights)});
  return package;
}

std::vector<uint8_t> lathe::ane::serializePackages(llvm::ArrayRef<MlPackage> packages) {
  std::vector<uint8_t> out;
  putU32(out, packages.size());
  for (const MlPackage &package : packages) {
    putString(out, package.name);
    putU32(out, package.files.size());
    for (const PackageFile &file : package.files) {
      putString(out, file.path);
      putU64(out, file.bytes.size());
      out.insert(out.end(), file.bytes.begin(), file.bytes.end());
    }
  }
  return out;
}

llvm::Expected<std::vector<MlPackage>>
lathe::ane::deserializePackages(llvm::ArrayRef<uint8_t> bytes) {
  Reader in(bytes);
  uint32_t count;
  std::vector<MlPackage> packages;
  if (!in.u32(count))
    return fail("ane code: truncated package list");
  for (uint32_t p = 0; p < count; ++p) {
    MlPackage package;
    uint32_t files;
    if (!in.string(package.name) || !in.u32(files))
      return fail("ane code: truncated package " + llvm::Twine(p));
    for (uint32_t f = 0; f < files; ++f) {
      PackageFile file;
      if (!in.string(file.path) || !in.data(file.bytes))
        return fail("ane code: truncated file " + llvm::Twine(f) + " of package '" +
                    package.name + "'");
      package.files.push_back(std::move(file));
    }
    packages.push_back(std::move(package));
  }
  if (!in.done())
    return fail("ane code: bytes after the last package");
  return packages;
}

llvm::Error lathe::ane::writePackage(const MlPackage &package, llvm::StringRef directory) {
  for (const PackageFile &file : package.files) {
    llvm::SmallString<256> path(directory);
    llvm::sys::path::append(path, file.path);
    if (std::error_code ec = llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
      return fail("cannot create " + llvm::sys::path::parent_path(path) + ": " + ec.message());
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return fail("cannot write " + path + ": " + ec.message());
    os.write(reinterpret_cast<const char *>(file.bytes.data()), file.bytes.size());
    if (os.has_error())
      return fail("cannot write " + path + ": " + os.error().message());
  }
  return llvm::Error::success();
}
