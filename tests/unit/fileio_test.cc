// fileio: a directory replaced by copies in one step (the baselines `tinyperf baseline update`
// writes): the old set or the new one, never a mix, and nothing left beside it.
#include "fileio/fileio.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fileio {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const std::string& f : ListFiles(dir.string(), ".json")) {
    names.push_back(fs::path(f).filename().string());
  }
  return names;
}

TEST(FileioTest, ReplaceDirectoryWithCopiesSwapsTheWholeSet) {
  const fs::path root = fs::path(::testing::TempDir()) / "fileio_replace";
  fs::remove_all(root);
  fs::create_directories(root / "src");
  for (const char* name : {"a.json", "b.json", "c.json"}) {
    WriteAtomically((root / "src" / name).string(), name);
  }
  const fs::path dest = root / "baselines" / "bench";
  // A new directory, parents included.
  ReplaceDirectoryWithCopies(dest.string(),
                             {(root / "src/a.json").string(), (root / "src/b.json").string()});
  EXPECT_EQ(Names(dest), (std::vector<std::string>{"a.json", "b.json"}));
  // Replaced: b is gone, c is new, a's content is the source's; a trailing slash names the same.
  WriteAtomically((root / "src/a.json").string(), "new a");
  ReplaceDirectoryWithCopies(dest.string() + "/",
                             {(root / "src/a.json").string(), (root / "src/c.json").string()});
  EXPECT_EQ(Names(dest), (std::vector<std::string>{"a.json", "c.json"}));
  EXPECT_EQ(ReadAll((dest / "a.json").string()), "new a");
  // Nothing left beside it: no ".new." directory, old or new.
  std::vector<std::string> beside;
  for (const auto& e : fs::directory_iterator(root / "baselines")) {
    beside.push_back(e.path().filename().string());
  }
  EXPECT_EQ(beside, std::vector<std::string>{"bench"});
  // A source that cannot be read leaves the old set whole.
  EXPECT_THROW(ReplaceDirectoryWithCopies(dest.string(), {(root / "src/none.json").string()}),
               std::runtime_error);
  EXPECT_EQ(Names(dest), (std::vector<std::string>{"a.json", "c.json"}));
}

}  // namespace
}  // namespace fileio
