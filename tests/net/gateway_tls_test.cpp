// HTTPS and WSS on the gateway's port: TLS 1.3 only by default, 1.2 by explicit choice, checked
// with the `openssl s_client` command and a verifying Beast client; bad TLS settings stop the start.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_client.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A temporary directory holding a fresh certificate, removed at the end of the test.
struct cert_dir {
  temp_dir dir{"aia-tls-"};
  test_certificate cert = make_test_certificate(dir.path());

  /// Node arguments that serve HTTPS/WSS with this certificate.
  std::vector<std::string> node_args(std::string_view min_version = {}) const {
    std::vector<std::string> a{"--tls.cert_file=" + cert.cert_file.string(),
                               "--tls.key_file=" + cert.key_file.string()};
    if (!min_version.empty()) {
      a.push_back("--tls.min_version=" + std::string{min_version});
    }
    return a;
  }
};

/// `openssl s_client` with `version_flag` (-tls1_3, -tls1_2) against the node, sending one
/// plain GET /healthz over the session.
command_result s_client(const node_process& node, const cert_dir& certs,
                        std::string_view version_flag) {
  return run_command("printf 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close"
                     "\\r\\n\\r\\n' | timeout 20 openssl s_client -quiet -ign_eof "
                     + std::string{version_flag} + " -verify_return_error -CAfile "
                     + quoted(certs.cert.cert_file.string()) + " -connect 127.0.0.1:"
                     + std::to_string(node.port()));
}

} // namespace

TEST_CASE("TLS 1.3 is accepted and TLS 1.2 refused by default (openssl s_client)") {
  cert_dir certs;
  node_process node{node_options::with_args(certs.node_args())};
  CHECK_THAT(node.stdout_text(), Catch::Contains("listening on https://"));

  auto modern = s_client(node, certs, "-tls1_3");
  INFO(modern.output);
  CHECK(modern.status == 0);
  CHECK_THAT(modern.output, Catch::Contains("HTTP/1.1 200") && Catch::Contains("\"status\""));

  auto old = s_client(node, certs, "-tls1_2");
  INFO(old.output);
  CHECK(old.status != 0);
  CHECK_THAT(old.output, !Catch::Contains("HTTP/1.1 200"));
  CHECK_THAT(old.output, Catch::Contains("alert") || Catch::Contains("protocol version"));
}

TEST_CASE("TLS 1.2 is accepted when chosen explicitly") {
  cert_dir certs;
  node_process node{node_options::with_args(certs.node_args("1.2"))};
  auto old = s_client(node, certs, "-tls1_2");
  INFO(old.output);
  CHECK(old.status == 0);
  CHECK_THAT(old.output, Catch::Contains("HTTP/1.1 200"));
  CHECK(s_client(node, certs, "-tls1_3").status == 0);
}

TEST_CASE("HTTPS serves the REST API and WSS the WebSocket on the same port") {
  cert_dir certs;
  node_process node{node_options::with_args(certs.node_args())};

  tls_connection https{node.port(), certs.cert.cert_file};
  CHECK(https.protocol() == "TLSv1.3");
  auto posted = https.request("POST", std::string{api} + "/interaction",
                              std::string{spec_rest_interaction});
  INFO(posted.body);
  REQUIRE(posted.status == 200);
  check_user_state(json::parse(posted.body).at("user_state"), false);
  auto profile = https.request("GET", std::string{api} + "/profile/user123");  // keep-alive
  REQUIRE(profile.status == 200);
  CHECK(json::parse(profile.body).at("interaction_count") == 1);

  tls_connection wss{node.port(), certs.cert.cert_file};
  REQUIRE(wss.upgrade(ws_path("user123")));
  wss.send_text(spec_ws_batch("user123").dump());
  bool acked = false;
  bool updated = false;
  while (!(acked && updated)) {
    auto msg = wss.read(10s);
    REQUIRE(msg.has_value());
    auto type = json::parse(*msg).at("type").get<std::string>();
    acked = acked || type == "ack";
    updated = updated || type == "user_state_update";
  }
  auto after = https.request("GET", std::string{api} + "/profile/user123");
  CHECK(json::parse(after.body).at("interaction_count") == 2);
}

TEST_CASE("plain HTTP on a TLS port gets no HTTP answer and changes nothing") {
  cert_dir certs;
  node_process node{node_options::with_args(certs.node_args())};
  bool answered = false;
  try {
    http_connection plain{node.port(), 5s};
    answered = plain.post(std::string{api} + "/interaction", std::string{spec_rest_interaction})
                 .status
               != 0;
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(answered);
  tls_connection https{node.port(), certs.cert.cert_file};
  CHECK(https.request("GET", std::string{api} + "/profile/user123").status == 404);
}

TEST_CASE("bad TLS settings stop the node at start with the key named, and no key material") {
  cert_dir certs;
  auto key_text = [&] {
    std::ostringstream s;
    s << std::ifstream{certs.cert.key_file}.rdbuf();
    return s.str();
  }();
  auto cert = quoted(certs.cert.cert_file.string());
  auto key = quoted(certs.cert.key_file.string());

  auto no_key = run_node_expecting_exit("--tls.cert_file=" + cert);
  CHECK(no_key.status == 2);
  CHECK_THAT(no_key.output, Catch::Contains("tls.key_file"));

  auto missing = run_node_expecting_exit("--tls.cert_file=/nonexistent/cert.pem --tls.key_file="
                                         + key);
  CHECK(missing.status == 2);
  CHECK_THAT(missing.output, Catch::Contains("tls.cert_file"));

  // The key given as the certificate, and the certificate as the key.
  auto swapped = run_node_expecting_exit("--tls.cert_file=" + key + " --tls.key_file=" + cert);
  CHECK(swapped.status == 2);
  CHECK_THAT(swapped.output, Catch::Contains("tls."));

  auto old = run_node_expecting_exit("--tls.min_version=1.1");
  CHECK(old.status == 2);
  CHECK_THAT(old.output, Catch::Contains("tls.min_version"));

  for (const auto* r : {&no_key, &missing, &swapped}) {
    auto body_line = key_text.substr(key_text.find('\n') + 1, 40);  // inside the PEM block
    CHECK(r->output.find(body_line) == std::string::npos);
  }
}
