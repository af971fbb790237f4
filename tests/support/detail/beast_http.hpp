// Test harness internals: building a Beast request and reading a Beast response, shared by the
// plain and the TLS client.
#pragma once

#include "tests/support/http_client.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace aia::test::detail {

/// A request to 127.0.0.1:port with the admin token unless `headers` say otherwise (an empty
/// Authorization removes it); a non-empty body is JSON unless a Content-Type is given.
[[nodiscard]] boost::beast::http::request<boost::beast::http::string_body>
make_request(std::string_view method, std::string_view target, std::uint16_t port,
             std::string body, const header_list& headers);

/// The response as the tests see it.
[[nodiscard]] http_response to_response(
    boost::beast::http::response<boost::beast::http::string_body>&& res);

} // namespace aia::test::detail
