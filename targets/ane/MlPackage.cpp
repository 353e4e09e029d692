//===- MlPackage.cpp - the .mlpackage tree of one ane partition -----------===//
#include "targets/ane/MlPackage.h"

#include "lathe/artifact_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA1.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

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

/// Copies a record of `bytes` at `offset`; false if it is not all there.
template <typename T> bool readRecord(llvm::ArrayRef<uint8_t> bytes, uint64_t offset, T &record) {
  if (offset > bytes.size() || sizeof(T) > bytes.size() - offset)
    return false;
  std::memcpy(&record, bytes.data() + offset, sizeof(T));
  return true;
}

/// The bytes `offset`, `size` name; false if they are not all there.
template <typename Container>
bool readRun(llvm::ArrayRef<uint8_t> bytes, uint64_t offset, uint64_t size, Container &out) {
  if (offset > bytes.size() || size > bytes.size() - offset)
    return false;
  out.assign(bytes.begin() + offset, bytes.begin() + offset + size);
  return true;
}

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
  // Records first (their offsets known up front), then names and bytes.
  size_t fileCount = 0;
  for (const MlPackage &package : packages)
    fileCount += package.files.size();
  std::vector<uint8_t> out(sizeof(lathe_package_list_header) +
                           packages.size() * sizeof(lathe_package_record) +
                           fileCount * sizeof(lathe_package_file_record));
  auto put = [&](size_t at, const auto &record) { std::memcpy(out.data() + at, &record, sizeof(record)); };
  auto name = [&](llvm::StringRef text) {
    lathe_name_ref ref{static_cast<uint32_t>(out.size()), static_cast<uint32_t>(text.size())};
    out.insert(out.end(), text.begin(), text.end());
    return ref;
  };
  put(0, lathe_package_list_header{static_cast<uint32_t>(packages.size()), static_cast<uint32_t>(fileCount)});
  size_t packageAt = sizeof(lathe_package_list_header);
  size_t fileAt = packageAt + packages.size() * sizeof(lathe_package_record);
  uint32_t file = 0;
  for (const MlPackage &package : packages) {
    put(packageAt, lathe_package_record{name(package.name), file,
                                        static_cast<uint32_t>(package.files.size())});
    packageAt += sizeof(lathe_package_record);
    for (const PackageFile &f : package.files) {
      lathe_package_file_record record{name(f.path), 0, f.bytes.size()};
      record.offset = out.size();
      out.insert(out.end(), f.bytes.begin(), f.bytes.end());
      put(fileAt + file++ * sizeof(lathe_package_file_record), record);
    }
  }
  return out;
}

llvm::Expected<std::vector<MlPackage>>
lathe::ane::deserializePackages(llvm::ArrayRef<uint8_t> bytes) {
  lathe_package_list_header header;
  if (!readRecord(bytes, 0, header))
    return fail("ane code: truncated package list");
  uint64_t filesAt = sizeof(header) + uint64_t(header.package_count) * sizeof(lathe_package_record);
  std::vector<MlPackage> packages;
  for (uint32_t p = 0; p < header.package_count; ++p) {
    lathe_package_record record;
    MlPackage package;
    if (!readRecord(bytes, sizeof(header) + uint64_t(p) * sizeof(record), record) ||
        !readRun(bytes, record.name.offset, record.name.size, package.name) ||
        uint64_t(record.file_first) + record.file_count > header.file_count)
      return fail("ane code: truncated package " + llvm::Twine(p));
    for (uint32_t f = 0; f < record.file_count; ++f) {
      lathe_package_file_record fileRecord;
      PackageFile file;
      if (!readRecord(bytes, filesAt + uint64_t(record.file_first + f) * sizeof(fileRecord), fileRecord) ||
          !readRun(bytes, fileRecord.path.offset, fileRecord.path.size, file.path) ||
          !readRun(bytes, fileRecord.offset, fileRecord.size, file.bytes))
        return fail("ane code: truncated file " + llvm::Twine(f) + " of package '" + package.name + "'");
      package.files.push_back(std::move(file));
    }
    packages.push_back(std::move(package));
  }
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
