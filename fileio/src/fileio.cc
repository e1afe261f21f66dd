#include "fileio/fileio.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fileio {

namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

}  // namespace

void WriteAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail("WriteAtomically: cannot create", tmp, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      Fail("WriteAtomically: cannot write", tmp, err);
    }
    done += static_cast<size_t>(w);
  }
  const int sync_err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  const int rename_err =
      sync_err ? sync_err : (::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno);
  if (rename_err) {
    ::unlink(tmp.c_str());
    Fail("WriteAtomically: cannot replace", path, rename_err);
  }
}

void ReplaceDirectoryWithCopies(const std::string& dir, const std::vector<std::string>& sources) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/" names "a/b"
  const fs::path fresh = target.string() + ".new." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(fresh, ec);  // left by a crash of this pid's predecessor
  fs::create_directories(fresh);
  for (const std::string& s : sources) {
    WriteAtomically((fresh / fs::path(s).filename()).string(), ReadAll(s));
  }
  if (!fs::exists(target)) {
    if (::rename(fresh.c_str(), target.c_str()) != 0) {
      const int err = errno;
      fs::remove_all(fresh, ec);
      Fail("ReplaceDirectoryWithCopies: cannot create", target.string(), err);
    }
    return;
  }
  if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    const int err = errno;
    fs::remove_all(fresh, ec);
    Fail("ReplaceDirectoryWithCopies: cannot replace", target.string(), err);
  }
  fs::remove_all(fresh, ec);  // now the old set
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("ReadFile: cannot open", path, errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) Fail("ReadFile: error while reading", path, errno);
  return ss.str();
}

std::vector<std::string> ListFiles(const std::string& dir, std::string_view suffix) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > suffix.size() && name.ends_with(suffix)) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace fileio
