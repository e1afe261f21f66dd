// Named-tensor files (model state, later optimizer state and checkpoints) and atomic file writes.
//
// File format, version 1, all integers little-endian:
//   magic    8 bytes  "TTSTATE\0"
//   version  u32      1
//   count    u32      number of entries
//   entries  count × { u32 name_length, name bytes (UTF-8), u8 dtype (0 float32, 1 int64,
//                      2 int32, 3 int8), u32 ndim (<= 16), i64 dims[ndim], raw row-major data }
//   checksum u64      FNV-1a 64 of every byte before it
// A truncated, corrupted or foreign file is rejected with an Error naming the file and the problem.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "tinytorch/tensor.h"

namespace tinytorch {

using StateDict = std::map<std::string, Tensor>;

// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
// `path`: readers see the old file or the new one, never a half-written one.
void WriteFileAtomically(const std::string& path, std::string_view bytes);
std::string ReadFile(const std::string& path);  // throws Error if it cannot be read

std::string SerializeStateDict(const StateDict& state);
StateDict DeserializeStateDict(std::string_view bytes, const std::string& source_name);

void SaveStateDict(const StateDict& state, const std::string& path);
StateDict LoadStateDict(const std::string& path);

}  // namespace tinytorch
