// SHA-256 and random tokens. SHA-256 is OpenSSL's libcrypto (Debian's libssl-dev): nothing this
// project links already provides it, and an audited implementation beats a hand-written one for
// the hash that guards machine tokens.
#pragma once

#include <string>
#include <string_view>

namespace perf::store {

std::string Sha256Hex(std::string_view bytes);  // 64 lowercase hex digits
// `bytes` random bytes from the kernel's pool (getrandom(2), the /dev/urandom source), as hex.
std::string RandomHex(size_t bytes);
// True when `token` has the form of a token this store issues (RandomHex(32): 64 lowercase hex
// digits), so anything else is refused before a database lookup.
bool IsIssuedToken(std::string_view token);

}  // namespace perf::store
