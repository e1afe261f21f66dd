#include "fileio/fileio.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("ReadFile: cannot open", path, errno);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) Fail("ReadFile: error while reading", path, errno);
  return ss.str();
}

}  // namespace fileio
