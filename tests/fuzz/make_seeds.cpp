// Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/) with the real
// codecs and signer, so the msgpack seeds are the codec's bytes and the tokens verify.
// Usage: fuzz_make_seeds <corpus dir>  (the seeds are committed; rerun only to change them).
#include "model/interaction_codec.hpp"
#include "net/auth/jwt.hpp"
#include "tests/support/wire.hpp"

#include "tests/fuzz/fuzz_keys.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace aia;

void write(const fs::path& dir, std::string_view harness, std::string_view name,
           std::string_view bytes) {
  fs::create_directories(dir / harness);
  std::ofstream out{dir / harness / name, std::ios::binary};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write(const fs::path& dir, std::string_view harness, std::string_view name,
           const std::vector<std::uint8_t>& bytes) {
  write(dir, harness, name, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

using test::spec_rest_interaction;  // the spec's curl body, byte for byte

/// A token signed with the fuzz HS256 key, valid until 2100.
std::string token(std::string_view sub, std::string_view role) {
  static const auto key
      = net::auth::jwt_key::hs256(std::string{fuzz::hs256_kid}, std::string{fuzz::hs256_secret});
  std::string payload = R"({"sub":")" + std::string{sub} + R"(","role":")" + std::string{role}
                        + R"(","iss":"aia-node","aud":"aia-personalization","iat":1700000000,)"
                        + R"("exp":)" + std::to_string(fuzz::seed_token_exp) + "}";
  return net::auth::sign_jwt(payload, key);
}

void json_interaction(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_json_interaction";
  write(dir, h, "spec_rest.json", spec_rest_interaction);
  write(dir, h, "camel_idempotent.json",
        R"({"timestamp":1634567890123,"userId":"u-1@x.io","interactionType":"visibility_change",)"
        R"("elementId":"caf\u00e9 \u2603","timingData":{"responseTime":0,"dwellTime":1e2},)"
        R"("viewportData":{"scrollDistance":-42.5,"deviceType":"tablet"},)"
        R"("contextData":{"tabActive":false},"clientId":"c1","seq":18446744073709551615})");
  write(dir, h, "minimal.json",
        R"({"timestamp":1,"user_id":"u","interaction_type":"scroll","element_id":null})");
  write(dir, h, "refused.json",
        R"({"timestamp":-1,"user_id":"a b","interaction_type":"wink","timing_data":[]})");
}

void ws_message(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_ws_message";
  write(dir, h, "spec_batch.json",
        R"({"type":"interaction_batch","interactions":[{"timestamp":1634567890123,)"
        R"("userId":"user123","interactionType":"click","elementId":"submit-button",)"
        R"("timingData":{"responseTime":1.2,"dwellTime":3.5},)"
        R"("viewportData":{"scrollDistance":100,"deviceType":"desktop"},)"
        R"("contextData":{"tabActive":true,"sessionDuration":300000}}]})");
  write(dir, h, "batch_idempotent.json",
        R"({"type":"interaction_batch","clientId":"tab-7","seq":3,"interactions":[)"
        R"({"timestamp":1634567890,"userId":"user123","interactionType":"keypress"},)"
        R"({"timestamp":1634567891,"user_id":"user123","interaction_type":"submit",)"
        R"("client_id":"x","seq":9}]})");
  write(dir, h, "ping.json", R"({"type":"ping"})");
  write(dir, h, "mismatch.json",
        R"({"type":"interaction_batch","interactions":[{"timestamp":1,"userId":"other",)"
        R"("interactionType":"hover"}]})");
}

void json_dom(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_json_dom";
  write(dir, h, "spec_rest.json", spec_rest_interaction);
  write(dir, h, "escapes.json",
        R"({"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","k":1,"k":[null,true,false,{},[]]})");
  write(dir, h, "numbers.json",
        "[0,-0,1.5e-3,-9223372036854775808,18446744073709551615,18446744073709551616,1E+2,2e-400]");
  write(dir, h, "utf8.json", "\xEF\xBB\xBF[\"caf\xC3\xA9\",\"\xE2\x82\xAC\",\"\xF0\x9F\x98\x80\"]");
}

void msgpack_interaction(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_msgpack_interaction";
  model::interaction x;
  x.timestamp = 1634567890.123;
  x.user_id = "user123";
  x.type = model::interaction_type::click;
  x.element_id = "nav-menu";
  x.response_time = 0.8;
  x.dwell_time = 2.1;
  x.scroll_distance = 150;
  x.device = model::device_type::mobile;
  x.tab_active = 1;
  x.session_duration = 180000;
  write(dir, h, "spec.msgpack", model::encode_interaction(x));
  write(dir, h, "minimised.msgpack", model::encode_interaction(x, false));
  model::interaction y; // absent numbers (NaN), idempotency key, last enum values
  y.timestamp = 1;
  y.user_id = "u";
  y.type = model::interaction_type::visibility_change;
  y.device = model::device_type::other;
  y.client_id = "c1";
  y.seq = 18446744073709551615ULL;
  write(dir, h, "absent_fields.msgpack", model::encode_interaction(y));
}

void jwt(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_jwt";
  write(dir, h, "hs256_user.jwt", token("user123", "user"));
  write(dir, h, "hs256_admin.jwt", token("admin", "admin"));
  // ES256 header with a 64-byte R||S that does not verify: reaches the DER conversion.
  std::string es_header = R"({"alg":"ES256","typ":"JWT","kid":"e"})";
  std::string es_payload
      = R"({"sub":"user123","exp":4102444800,"aud":["x","aia-personalization"]})";
  write(dir, h, "es256_bad_signature.jwt",
        net::auth::base64url_encode(es_header) + '.' + net::auth::base64url_encode(es_payload) + '.'
            + net::auth::base64url_encode(std::string(64, '\x01')));
  // A claims object: the harness signs it, so verification reaches the claim checks.
  write(dir, h, "claims.json",
        R"({"sub":"user123","role":"analyst","iss":"aia-node","aud":["x","aia-personalization"],)"
        R"("exp":4102444800,"nbf":1600000000,"iat":1.7e9})");
}

void http_request(const fs::path& dir) {
  constexpr std::string_view h = "fuzz_http_request";
  const std::string base = "/api/v1/ml-personalization";
  const std::string user = "Authorization: Bearer " + token("user123", "user") + "\r\n";
  const std::string admin = "Authorization: bearer " + token("admin", "admin") + "\r\n";
  write(dir, h, "post_interaction.http",
        "POST " + base + "/interaction HTTP/1.1\r\nHost: localhost\r\n" + user
            + "Content-Type: application/json\r\nContent-Length: "
            + std::to_string(spec_rest_interaction.size()) + "\r\n\r\n"
            + std::string{spec_rest_interaction});
  const std::string chunk = R"({"timestamp":1634567890,"user_id":"user123",)"
                            R"("interaction_type":"navigation","seq":2,"client_id":"c"})";
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
  write(dir, h, "post_chunked.http",
        "POST " + base + "/interaction?x=1 HTTP/1.1\r\nHost: localhost\r\n" + user
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + size_hex + "\r\n" + chunk
            + "\r\n0\r\n\r\n");
  write(dir, h, "profiles_keep_alive.http",
        "GET " + base + "/profile/user123 HTTP/1.1\r\nHost: localhost\r\n" + user + "\r\n" + "GET "
            + base + "/profile/ab12 HTTP/1.1\r\nHost: localhost\r\n" + admin + "\r\n"
            + "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" + "GET /readyz HTTP/1.0\r\n\r\n");
  write(dir, h, "metrics.http", "GET /metrics HTTP/1.1\r\nHost: localhost\r\n" + admin + "\r\n");
  write(dir, h, "ws_upgrade.http",
        "GET " + base + "/ws/user123 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: bearer, "
            + token("user123", "user") + "\r\n\r\n");
  write(dir, h, "unauthorized.http",
        "DELETE " + base + "/interaction HTTP/1.1\r\nHost: localhost\r\n"
            + "Authorization: Bearer e30.e30.AAAA\r\nContent-Length: 2\r\n\r\n{}");
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds <corpus dir>\n";
    return 2;
  }
  const fs::path dir{argv[1]};
  json_interaction(dir);
  ws_message(dir);
  json_dom(dir);
  msgpack_interaction(dir);
  jwt(dir);
  http_request(dir);
  return 0;
}
