// Test harness: the HS256 key test nodes trust, and tokens signed with it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace aia::test {

/// The kid and secret every node_process trusts by default (auth.hs256_secret_file).
inline constexpr std::string_view test_kid = "test";
inline constexpr std::string_view test_secret = "aia-test-only-secret-0123456789-abcdefghijkl";

/// A token for `subject` with `role` (empty: no role claim), issuer and audience the node's defaults, valid from now
/// for `ttl_seconds` (negative: already expired). `extra_claims` is JSON object members to add
/// or override, e.g. R"("aud":"other")".
[[nodiscard]] std::string token_for(std::string_view subject, std::string_view role = "user",
                                    double ttl_seconds = 3600,
                                    std::string_view extra_claims = {});

/// The admin token the HTTP and WebSocket test clients send unless told otherwise.
[[nodiscard]] const std::string& admin_token();

/// Writes the test secret into `dir` and returns the node arguments that trust it.
[[nodiscard]] std::vector<std::string> trust_test_key(const std::filesystem::path& dir);

} // namespace aia::test
