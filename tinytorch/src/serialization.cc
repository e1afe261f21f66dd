// Named-tensor file format and atomic writes (format documented in serialization.h).
#include "tinytorch/serialization.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "fileio/fileio.h"
#include "tensor_internal.h"

namespace tinytorch {

static_assert(std::endian::native == std::endian::little,
              "the state file format is little-endian; add byte swapping for this platform");

namespace {

constexpr std::array<char, 8> kMagic = {'T', 'T', 'S', 'T', 'A', 'T', 'E', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxDims = 16;

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

template <class T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Reads fixed-size fields from a buffer, failing with the file name and byte offset.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  template <class T>
  T Get(const char* what) {
    T value;
    std::memcpy(&value, Take(sizeof value, what).data(), sizeof value);
    return value;
  }
  std::string_view Take(size_t n, const char* what) {
    TT_CHECK(n <= bytes_.size() - pos_, "LoadStateDict: ", source_, " is truncated (reading ", what,
             " at byte ", pos_, ", needs ", n, " bytes, ", bytes_.size() - pos_, " left)");
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view bytes_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

std::string SerializeStateDict(const StateDict& state) {
  std::string out(kMagic.data(), kMagic.size());
  Put<uint32_t>(out, kVersion);
  Put<uint32_t>(out, static_cast<uint32_t>(state.size()));
  for (const auto& [name, tensor] : state) {
    TT_CHECK(tensor.defined(), "SaveStateDict: entry '", name, "' is an undefined tensor");
    Put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    Put<uint8_t>(out, static_cast<uint8_t>(tensor.dtype()));
    Put<uint32_t>(out, static_cast<uint32_t>(tensor.dim()));
    for (int64_t d : tensor.shape()) Put<int64_t>(out, d);
    const Tensor c = tensor.Contiguous();
    const auto* data =
        reinterpret_cast<const char*>(c.storage()->data()) + c.offset() * ElementSize(c.dtype());
    out.append(data, c.numel() * ElementSize(c.dtype()));
  }
  Put<uint64_t>(out, Fnv1a64(out));
  return out;
}

StateDict DeserializeStateDict(std::string_view bytes, const std::string& source) {
  TT_CHECK(bytes.size() >= kMagic.size() + 16 &&
               std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) == 0,
           "LoadStateDict: ", source,
           " is not a tinytorch state file (bad magic or too short: ", bytes.size(), " bytes)");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader r(body, source);
  r.Take(kMagic.size(), "magic");
  const auto version = r.Get<uint32_t>("version");
  TT_CHECK(version == kVersion, "LoadStateDict: ", source, " has format version ", version,
           "; this build reads version ", kVersion);
  TT_CHECK(Fnv1a64(body) == stored, "LoadStateDict: ", source,
           " is corrupted (checksum mismatch) or truncated");
  const auto count = r.Get<uint32_t>("entry count");
  StateDict state;
  for (uint32_t e = 0; e < count; ++e) {
    const auto name_len = r.Get<uint32_t>("name length");
    std::string name(r.Take(name_len, "name"));
    const auto dtype_code = r.Get<uint8_t>("dtype");
    TT_CHECK(dtype_code <= static_cast<uint8_t>(DType::kInt8), "LoadStateDict: ", source,
             " entry '", name, "' has unknown dtype code ", static_cast<int>(dtype_code));
    const auto dtype = static_cast<DType>(dtype_code);
    const auto ndim = r.Get<uint32_t>("ndim");
    TT_CHECK(ndim <= kMaxDims, "LoadStateDict: ", source, " entry '", name, "' has ", ndim,
             " dims (at most ", kMaxDims, ")");
    Shape shape(ndim);
    for (auto& d : shape) d = r.Get<int64_t>("dims");
    // Also rejects an empty tensor whose other sizes make strides beyond int64.
    const int64_t n = internal::NumelOf(shape, "LoadStateDict");
    const size_t nbytes = static_cast<size_t>(n) * ElementSize(dtype);
    TT_CHECK(nbytes / ElementSize(dtype) == static_cast<size_t>(n), "LoadStateDict: ", source,
             " entry '", name, "' is too large");
    // The data before the tensor: a corrupt shape must not allocate what the file cannot fill.
    const std::string_view data = r.Take(nbytes, "tensor data");
    Tensor t = Tensor::Zeros(shape, dtype);
    std::memcpy(t.storage()->data(), data.data(), nbytes);
    TT_CHECK(state.emplace(std::move(name), t).second, "LoadStateDict: ", source,
             " has a duplicate entry");
  }
  TT_CHECK(r.pos() == body.size(), "LoadStateDict: ", source, " has ", body.size() - r.pos(),
           " unexpected trailing bytes");
  return state;
}

// fileio reports std::runtime_error; tinytorch users catch tinytorch::Error.
void WriteFileAtomically(const std::string& path, std::string_view bytes) {
  try {
    fileio::WriteAtomically(path, bytes);
  } catch (const std::runtime_error& e) {
    throw Error(e.what());
  }
}

std::string ReadFile(const std::string& path) {
  try {
    return fileio::ReadAll(path);
  } catch (const std::runtime_error& e) {
    throw Error(e.what());
  }
}

void SaveStateDict(const StateDict& state, const std::string& path) {
  WriteFileAtomically(path, SerializeStateDict(state));
}

StateDict LoadStateDict(const std::string& path) {
  return DeserializeStateDict(ReadFile(path), path);
}

}  // namespace tinytorch
