// A run folder <-> a run bundle <-> its JSON, each direction checked against the same rules
// (CheckBundle), so a hostile bundle cannot name a file outside the folder it is exported to.
#include "perf_store/run_bundle.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "fileio/fileio.h"
#include "perf_framework/error.h"
#include "perf_framework/suite.h"
#include "sha256.h"

namespace perf::store {

namespace {

constexpr const char* kBundleSchema = "tinytorch-run-bundle";
constexpr int kBundleSchemaVersion = 1;
// The folders of a run folder whose files are documents ("" is the folder itself), and the
// suffixes that make a file a document.
constexpr const char* kDocumentFolders[] = {"", "bench", "counts", "claims"};
constexpr const char* kDocumentSuffixes[] = {".json", ".md"};
constexpr size_t kMaxNameChars = 64, kMaxFileNameChars = 160;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// [A-Za-z0-9._-]{1,max}, not starting with '.': no "..", no hidden files, no separators.
bool PlainName(std::string_view s, size_t max_chars) {
  return !s.empty() && s.size() <= max_chars && s[0] != '.' &&
         std::all_of(s.begin(), s.end(), NameChar);
}

bool DocumentName(std::string_view name) {
  std::string_view file = name;
  if (const size_t slash = name.find('/'); slash != std::string_view::npos) {
    const std::string_view folder = name.substr(0, slash);
    file = name.substr(slash + 1);
    if (std::none_of(std::begin(kDocumentFolders) + 1, std::end(kDocumentFolders),
                     [&](const char* f) { return folder == f; })) {
      return false;
    }
  }
  return PlainName(file, kMaxFileNameChars) &&
         std::any_of(
             std::begin(kDocumentSuffixes), std::end(kDocumentSuffixes),
             [&](const char* s) { return file.ends_with(s) && file.size() > std::strlen(s); });
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned min = 0, cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::string RequiredString(const nlohmann::json& j, const char* key, const std::string& where) {
  PERF_CHECK(j.is_object() && j.contains(key), where, ": missing field '", key, "'");
  PERF_CHECK(j.at(key).is_string(), where, ": field '", key, "' must be a string, got ",
             j.at(key).type_name());
  return j.at(key).get<std::string>();
}

}  // namespace

void CheckName(const std::string& name, const std::string& what) {
  PERF_CHECK(PlainName(name, kMaxNameChars), what, " '", name.substr(0, kMaxNameChars),
             "' must be 1 to 64 characters of A-Z a-z 0-9 . _ - not starting with '.'");
}

void CheckBundle(const RunBundle& b, const std::string& source) {
  CheckName(b.machine, source + ": machine");
  CheckName(b.run, source + ": run");
  PERF_CHECK(!b.documents.empty(), source, ": documents: a run bundle needs at least one document");
  PERF_CHECK(b.documents.size() <= kMaxDocuments, source, ": documents: ", b.documents.size(),
             " documents, at most ", kMaxDocuments, " allowed");
  size_t total = 0;
  for (size_t i = 0; i < b.documents.size(); ++i) {
    const RunDocument& d = b.documents[i];
    const std::string where = source + ": documents[" + std::to_string(i) + "]";
    PERF_CHECK(DocumentName(d.name), where, ".name '", d.name.substr(0, kMaxFileNameChars),
               "' is not a run document name (NAME.json or NAME.md, at the top or under bench/, "
               "counts/ or claims/)");
    PERF_CHECK(i == 0 || b.documents[i - 1].name < d.name, where, ".name '", d.name,
               "': documents must be sorted by name, each name once");
    PERF_CHECK(d.content.size() <= kMaxDocumentBytes, where, " (", d.name, "): ", d.content.size(),
               " bytes, at most ", kMaxDocumentBytes, " allowed");
    PERF_CHECK(ValidUtf8(d.content), where, " (", d.name, "): content is not valid UTF-8");
    total += d.content.size();
  }
  PERF_CHECK(total <= kMaxBundleBytes, source, ": documents: ", total, " bytes in all, at most ",
             kMaxBundleBytes, " allowed");
}

nlohmann::json RunBundle::ToJson() const {
  nlohmann::json docs = nlohmann::json::array();
  for (const RunDocument& d : documents) docs.push_back({{"name", d.name}, {"content", d.content}});
  return {{"schema", kBundleSchema},
          {"schema_version", kBundleSchemaVersion},
          {"machine", machine},
          {"run", run},
          {"documents", std::move(docs)}};
}

RunBundle RunBundle::FromJson(const nlohmann::json& j, const std::string& source) {
  PERF_CHECK(j.is_object(), source, ": a run bundle must be a JSON object, got ", j.type_name());
  PERF_CHECK(RequiredString(j, "schema", source) == kBundleSchema, source,
             ": field 'schema' must be '", kBundleSchema, "'");
  PERF_CHECK(j.contains("schema_version"), source, ": missing field 'schema_version'");
  const int version = JsonInt(j.at("schema_version"), source + ": field 'schema_version'");
  PERF_CHECK(version >= 1 && version <= kBundleSchemaVersion, source, ": schema_version ", version,
             " is not supported (this tinyperf reads 1 to ", kBundleSchemaVersion,
             "; a newer one wrote it)");
  RunBundle b;
  b.machine = RequiredString(j, "machine", source);
  b.run = RequiredString(j, "run", source);
  PERF_CHECK(j.contains("documents") && j.at("documents").is_array(), source,
             ": field 'documents' must be an array");
  const nlohmann::json& docs = j.at("documents");
  PERF_CHECK(docs.size() <= kMaxDocuments, source, ": documents: ", docs.size(),
             " documents, at most ", kMaxDocuments, " allowed");
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string where = source + ": documents[" + std::to_string(i) + "]";
    PERF_CHECK(docs[i].is_object(), where, " must be an object, got ", docs[i].type_name());
    b.documents.push_back(
        {RequiredString(docs[i], "name", where), RequiredString(docs[i], "content", where)});
  }
  CheckBundle(b, source);
  return b;
}

std::string RunBundle::ContentHash() const {
  std::string framed;
  const auto add = [&](const std::string& s) {
    framed += std::to_string(s.size());
    framed += ':';
    framed += s;
  };
  add(machine);
  add(run);
  for (const RunDocument& d : documents) {
    add(d.name);
    add(d.content);
  }
  return Sha256Hex(framed);
}

const RunDocument* RunBundle::Find(const std::string& name) const {
  const auto it =
      std::lower_bound(documents.begin(), documents.end(), name,
                       [](const RunDocument& d, const std::string& n) { return d.name < n; });
  return it != documents.end() && it->name == name ? &*it : nullptr;
}

RunBundle ReadRunFolder(const std::string& dir, const std::string& machine) {
  namespace fs = std::filesystem;
  PERF_CHECK(fs::is_directory(dir), dir, ": not a run folder (no such directory)");
  RunBundle b;
  b.machine = machine;
  // The folder's own name, also through a link: validation_results/latest is the run it points to.
  std::error_code ec;
  b.run = fs::canonical(dir, ec).filename().string();
  PERF_CHECK(!ec, dir, ": cannot resolve the run folder (", ec.message(), ")");
  size_t total = 0;  // bytes read so far: stop before holding more than a bundle may
  for (const char* folder : kDocumentFolders) {
    const std::string sub = *folder ? dir + "/" + folder : dir;
    for (const char* suffix : kDocumentSuffixes) {
      for (const std::string& path : fileio::ListFiles(sub, suffix)) {
        const std::string file = fs::path(path).filename().string();
        const std::string name = *folder ? std::string(folder) + "/" + file : file;
        if (!DocumentName(name)) continue;  // a hidden or oddly named file is not a document
        const auto size = fs::file_size(path, ec);
        PERF_CHECK(!ec, path, ": cannot read its size (", ec.message(), ")");
        PERF_CHECK(size <= kMaxDocumentBytes, path, ": ", size, " bytes, at most ",
                   kMaxDocumentBytes, " allowed in a run document");
        total += size;
        PERF_CHECK(total <= kMaxBundleBytes && b.documents.size() < kMaxDocuments, dir,
                   ": more than ", kMaxBundleBytes, " bytes or ", kMaxDocuments,
                   " documents in one run folder");
        try {
          b.documents.push_back({name, fileio::ReadAll(path)});
        } catch (const std::runtime_error& e) {
          throw Error(e.what());
        }
      }
    }
  }
  std::sort(b.documents.begin(), b.documents.end(),
            [](const RunDocument& x, const RunDocument& y) { return x.name < y.name; });
  PERF_CHECK(!b.documents.empty(), dir, ": no run documents (*.json, *.md) in it");
  CheckBundle(b, dir);
  return b;
}

void WriteRunFolder(const RunBundle& b, const std::string& dir) {
  namespace fs = std::filesystem;
  CheckBundle(b, "run " + b.run);
  for (const RunDocument& d : b.documents) {
    const fs::path path = fs::path(dir) / d.name;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    PERF_CHECK(!ec, path.parent_path().string(), ": cannot create (", ec.message(), ")");
    if (fs::exists(path)) {
      PERF_CHECK(fileio::ReadAll(path.string()) == d.content, path.string(),
                 ": exists with other content; not overwritten (export into an empty folder)");
      continue;
    }
    try {
      fileio::WriteAtomically(path.string(), d.content);
    } catch (const std::runtime_error& e) {
      throw Error(e.what());
    }
  }
}

}  // namespace perf::store
