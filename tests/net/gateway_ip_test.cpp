// The IP policy through the real gateway: address ranges and country rules decide who may
// connect; a refused client gets 403 with a reason (not naming its address).
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/mmdb_writer.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace aia::test;
namespace fs = std::filesystem;

namespace {

/// What a client on 127.0.0.1 gets for a POST of an interaction, and for a WebSocket upgrade.
struct outcome {
  int rest = 0;
  int socket = 0;
};

outcome try_node(const std::vector<std::string>& args) {
  node_process node{node_options::with_args(args)};
  outcome o;
  auto r = http_request(node.port(), "POST", std::string{api} + "/interaction",
                        rest_interaction("alice").dump());
  o.rest = r.status;
  if (r.status == 403) {
    check_error_body(r.body, "forbidden");
    CHECK(r.body.find("127.0.0.1") == std::string::npos);  // no reason naming the address
  }
  ws_client ws{node.port(), ws_path("alice")};
  o.socket = ws.handshake_status();
  return o;
}

/// A country database placing loopback in `country`, in a temporary directory.
struct country_db {
  temp_dir dir{"aia-mmdb-"};
  fs::path file = dir / "country.mmdb";
  explicit country_db(std::string_view country) {
    mmdb_writer w;
    w.add("127.0.0.0/8", country);
    w.add("81.2.69.0/24", "GB");
    w.write(file);
  }
  std::string arg() const { return "--ip.country_db=" + file.string(); }
};

} // namespace

TEST_CASE("address ranges: deny wins, an allow list admits only its ranges") {
  auto open = try_node({});
  CHECK(open.rest == 200);
  CHECK(open.socket == 101);

  auto denied = try_node({"--ip.deny=10.0.0.0/8,127.0.0.0/8"});
  CHECK(denied.rest == 403);
  CHECK(denied.socket == 403);

  auto not_listed = try_node({"--ip.allow=10.0.0.0/8,::1"});
  CHECK(not_listed.rest == 403);
  CHECK(not_listed.socket == 403);

  auto listed = try_node({"--ip.allow=10.0.0.0/8,127.0.0.1"});
  CHECK(listed.rest == 200);
  CHECK(listed.socket == 101);

  auto both = try_node({"--ip.allow=127.0.0.0/8", "--ip.deny=127.0.0.1/32"});
  CHECK(both.rest == 403);
}

TEST_CASE("country rules from a MaxMind-format database") {
  country_db db{"NL"};
  CHECK(try_node({db.arg(), "--ip.deny_countries=nl,FR"}).rest == 403);
  CHECK(try_node({db.arg(), "--ip.deny_countries=FR"}).rest == 200);
  CHECK(try_node({db.arg(), "--ip.allow_countries=NL"}).rest == 200);
  CHECK(try_node({db.arg(), "--ip.allow_countries=GB"}).socket == 403);
}

TEST_CASE("bad IP rules stop the node at start with the key named") {
  auto range = run_node_expecting_exit("--ip.deny=10.0.0.0/33");
  CHECK(range.status == 2);
  CHECK_THAT(range.output, Catch::Contains("ip.deny"));
  auto no_db = run_node_expecting_exit("--ip.allow_countries=DE");
  CHECK(no_db.status == 2);
  CHECK_THAT(no_db.output, Catch::Contains("ip.") && Catch::Contains("country_db"));
  auto missing = run_node_expecting_exit("--ip.country_db=/nonexistent.mmdb --ip.deny_countries=DE");
  CHECK(missing.status == 2);
  CHECK_THAT(missing.output, Catch::Contains("ip.country_db"));
}
