//===- MlPackage.h - the .mlpackage tree of one ane partition -*- C++ -*-===//
//
// A Core ML package is a directory: Manifest.json, which names the model
// and its weights, and Data/com.apple.CoreML/{model.mlmodel,
// weights/weight.bin}. lathe keeps each ane partition's package as a list of
// files; the artifact stores the list (serializePackages), and
// `--emit-mlpackage` writes it out as a directory a Mac opens.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TARGETS_ANE_MLPACKAGE_H
#define LATHE_TARGETS_ANE_MLPACKAGE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::ane {

inline constexpr const char *kModelPath = "Data/com.apple.CoreML/model.mlmodel";
inline constexpr const char *kWeightsPath = "Data/com.apple.CoreML/weights/weight.bin";
/// How a program names its weight file.
inline constexpr const char *kWeightsFileName = "@model_path/weights/weight.bin";

struct PackageFile {
  std::string path; // relative to the package directory
  std::vector<uint8_t> bytes;
};

struct MlPackage {
  std::string name; // the partition's entry, e.g. lathe_step0
  std::vector<PackageFile> files;
  const PackageFile *file(llvm::StringRef path) const;
};

/// The package of a serialized Model and its weight.bin, with a manifest
/// whose item identifiers derive from the contents (the same model gives
/// the same bytes).
MlPackage makePackage(llvm::StringRef name, std::vector<uint8_t> model,
                      std::vector<uint8_t> weights);

/// Packages as the list an ane code section holds (the records of
/// lathe/artifact_format.h: lathe_package_list_header and what follows it).
std::vector<uint8_t> serializePackages(llvm::ArrayRef<MlPackage> packages);
llvm::Expected<std::vector<MlPackage>> deserializePackages(llvm::ArrayRef<uint8_t> bytes);

/// Writes `package` as the directory `directory` (created; files replaced).
llvm::Error writePackage(const MlPackage &package, llvm::StringRef directory);

} // namespace lathe::ane

#endif // LATHE_TARGETS_ANE_MLPACKAGE_H
