// Test harness: tokens signed with the test key.
#include "tests/support/tokens.hpp"

#include "net/auth/jwt.hpp"

#include <chrono>
#include <fstream>
#include <string>

namespace aia::test {

namespace {

const net::auth::jwt_key& test_key() {
  static const auto key = net::auth::jwt_key::hs256(std::string{test_kid},
                                                    std::string{test_secret});
  return key;
}

} // namespace

std::string token_for(std::string_view subject, std::string_view role, double ttl_seconds,
                      std::string_view extra_claims) {
  auto now = static_cast<long long>(
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::string payload = R"({"sub":")" + std::string{subject} + R"(",)";
  if (!role.empty()) {
    payload += R"("role":")" + std::string{role} + R"(",)";
  }
  payload += R"("iss":"aia-node","aud":"aia-personalization","iat":)" + std::to_string(now)
             + R"(,"exp":)" + std::to_string(now + static_cast<long long>(ttl_seconds));
  if (!extra_claims.empty()) {
    payload += ",";
    payload += extra_claims;  // JSON objects keep the last of duplicate keys (nlohmann does)
  }
  payload += "}";
  return net::auth::sign_jwt(payload, test_key());
}

const std::string& admin_token() {
  static const std::string token = token_for("test-admin", "admin", 7 * 24 * 3600.0);
  return token;
}

std::vector<std::string> trust_test_key(const std::filesystem::path& dir) {
  auto path = dir / "hs256.secret";
  std::ofstream{path} << test_secret << "\n";
  return {"--auth.hs256_secret_file=" + path.string(), "--auth.hs256_kid=" + std::string{test_kid}};
}

} // namespace aia::test
