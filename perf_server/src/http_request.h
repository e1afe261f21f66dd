// The request handling every write route shares, defined in server.cc: the bearer token, the
// bounded body, and the JSON reply. Each throws HttpError (api.h) for the client's mistakes.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace perf::server {

// `body` as the response with `status`, as JSON (Dump), with nosniff.
void Reply(httplib::Response& res, int status, const nlohmann::json& body);
// The bearer token of `req`'s Authorization header (api.h's BearerToken: RFC 6750's alphabet, at
// most 256 bytes); 401 naming the header otherwise.
std::string BearerToken(const httplib::Request& req);
// The value of header `name` of `req` (the first, when repeated), or nullopt when absent.
std::optional<std::string> Header(const httplib::Request& req, const char* name);
// The request body, at most `limit` bytes after any Content-Encoding is undone; 413 otherwise (the
// rest is read and dropped so the client gets the answer), 400 when it cannot be read, 415 for a
// multipart/form-data body (httplib hands those to a form parser, never to a plain reader).
std::string ReadBody(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader, size_t limit);
// Reads and drops the body of a request refused before reading it (bounded; a multipart body is
// left unread, and its connection closed by the refusal's Connection: close).
void DrainBody(const httplib::Request& req, const httplib::ContentReader& reader, size_t limit);

}  // namespace perf::server
