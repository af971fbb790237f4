// Tests of the node configuration: layers, privacy presets, validation, file syntax and --help.
#include "runtime/config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace aia::runtime;

namespace {

using args = std::vector<std::string>;
using env_map = std::map<std::string, std::string>;

node_config load_ok(const args& a, const env_map& env = {}) {
  auto result = load_config(a, env);
  if (auto* err = std::get_if<config_error>(&result)) {
    FAIL("unexpected error: " << err->key << ": " << err->message);
  }
  REQUIRE(std::holds_alternative<node_config>(result));
  return std::get<node_config>(result);
}

config_error load_error(const args& a, const env_map& env = {}) {
  auto result = load_config(a, env);
  REQUIRE(std::holds_alternative<config_error>(result));
  return std::get<config_error>(result);
}

/// A fresh directory under the system temp dir, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "aia-config-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  std::string write(const std::string& name, const std::string& text) const {
    auto file = path / name;
    std::ofstream{file} << text;
    return file.string();
  }
};

std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("AIA_SOURCE_DIR")) {
    return dir;
  }
  return std::filesystem::path{__FILE__}.parent_path().parent_path().parent_path();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("without file, environment or options the defaults are the spec's") {
  auto cfg = load_ok({});
  CHECK(cfg.host == "127.0.0.1");
  CHECK(cfg.port == 8000);
  CHECK(cfg.data_dir == "./data");
  CHECK_FALSE(cfg.dev);
  CHECK(cfg.log_level == "info");
  CHECK(cfg.privacy.level == privacy_level::standard);
  CHECK(cfg.privacy.epsilon == 1.0);
  CHECK(cfg.privacy.delta == 1e-5);
  CHECK(cfg.privacy.enable_differential_privacy);
  CHECK(cfg.real_time.processing_interval == 0.1);
  CHECK(cfg.real_time.batch_size == 16);
  CHECK(cfg.real_time.max_queue_size == 500);
  CHECK(cfg.features.enable_visual_adaptation);
  CHECK(cfg.store.sync == "normal");
  CHECK(cfg.redis_url.empty());
}

TEST_CASE("each layer overrides the one below: file, then environment, then command line") {
  temp_dir dir;
  auto file = dir.write("node.conf", "host = 0.0.0.0\nport = 9001\n[real_time]\nbatch_size = 8\n"
                                     "max_queue_size = 100\n");
  SECTION("the file overrides the defaults") {
    auto cfg = load_ok({"--config", file});
    CHECK(cfg.host == "0.0.0.0");
    CHECK(cfg.port == 9001);
    CHECK(cfg.real_time.batch_size == 8);
  }
  SECTION("the environment overrides the file") {
    auto cfg
        = load_ok({"--config", file}, {{"AIA_PORT", "9002"}, {"AIA_REAL_TIME_BATCH_SIZE", "4"}});
    CHECK(cfg.host == "0.0.0.0");
    CHECK(cfg.port == 9002);
    CHECK(cfg.real_time.batch_size == 4);
    CHECK(cfg.real_time.max_queue_size == 100);
  }
  SECTION("the command line overrides the environment") {
    auto cfg = load_ok({"--port", "9003", "--config=" + file, "--real_time.batch_size=2"},
                       {{"AIA_PORT", "9002"}, {"AIA_REAL_TIME_BATCH_SIZE", "4"}});
    CHECK(cfg.port == 9003);
    CHECK(cfg.real_time.batch_size == 2);
    CHECK(cfg.real_time.max_queue_size == 100);
  }
  SECTION("AIA_CONFIG names the file, and --config wins over it") {
    auto other = dir.write("other.conf", "port = 9004\n");
    CHECK(load_ok({}, {{"AIA_CONFIG", file}}).port == 9001);
    CHECK(load_ok({"--config", other}, {{"AIA_CONFIG", file}}).port == 9004);
  }
}

TEST_CASE("a privacy level sets epsilon and delta unless they are given at any layer") {
  temp_dir dir;
  SECTION("the level alone selects the spec's preset") {
    auto high = load_ok({"--privacy.level=high"});
    CHECK(high.privacy.level == privacy_level::high);
    CHECK(high.privacy.epsilon == 0.5);
    CHECK(high.privacy.delta == 1e-6);
    auto maximum = load_ok({"--config", dir.write("max.conf", "[privacy]\nlevel = maximum\n")});
    CHECK(maximum.privacy.epsilon == 0.1);
    CHECK(maximum.privacy.delta == 1e-7);
  }
  SECTION("an explicit epsilon in a lower layer beats a level in a higher one") {
    auto file = dir.write("eps.conf", "[privacy]\nepsilon = 2.5\n");
    auto cfg = load_ok({"--config", file, "--privacy.level", "maximum"});
    CHECK(cfg.privacy.epsilon == 2.5);
    CHECK(cfg.privacy.delta == 1e-7);
  }
  SECTION("an explicit delta in a higher layer beats a level in a lower one") {
    auto file = dir.write("level.conf", "[privacy]\nlevel = high\n");
    auto cfg = load_ok({"--config", file, "--privacy.delta=1e-9"});
    CHECK(cfg.privacy.epsilon == 0.5);
    CHECK(cfg.privacy.delta == 1e-9);
  }
}

TEST_CASE("PRIVACY_LEVEL, REDIS_URL and AIA_DEV come from the environment") {
  CHECK(load_ok({}, {{"PRIVACY_LEVEL", "STANDARD"}}).privacy.level == privacy_level::standard);
  CHECK(load_ok({}, {{"PRIVACY_LEVEL", "high"}}).privacy.epsilon == 0.5);
  CHECK(load_ok({}, {{"PRIVACY_LEVEL", "Maximum"}}).privacy.level == privacy_level::maximum);
  auto both = load_ok({}, {{"PRIVACY_LEVEL", "HIGH"}, {"AIA_PRIVACY_LEVEL", "maximum"}});
  CHECK(both.privacy.level == privacy_level::maximum);
  CHECK(load_ok({}, {{"REDIS_URL", "redis://r:6379"}}).redis_url == "redis://r:6379");
  CHECK(load_ok({}, {{"AIA_DEV", "1"}}).dev);
  CHECK(load_ok({}, {{"AIA_DATA_DIR", "/tmp/x"}}).data_dir == "/tmp/x");
  CHECK(load_ok({}, {{"AIA_PRIVACY_EPSILON", "0.25"}}).privacy.epsilon == 0.25);
  auto bad = load_error({}, {{"PRIVACY_LEVEL", "EXTREME"}});
  CHECK(bad.key == "privacy.level");
  CHECK(contains(bad.message, "PRIVACY_LEVEL"));
}

TEST_CASE("unknown AIA_ variables are ignored") {
  auto cfg = load_ok({}, {{"AIA_SOURCE_DIR", "/src"}, {"AIA_NO_SUCH_KEY", "1"}, {"HOME", "/"}});
  CHECK(cfg.port == 8000);
}

TEST_CASE("a value out of range or of the wrong type is refused with its key named") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"port", "65536"},
      {"port", "-1"},
      {"port", "80.5"},
      {"host", ""},
      {"data_dir", ""},
      {"dev", "maybe"},
      {"log_level", "verbose"},
      {"privacy.level", "extreme"},
      {"privacy.epsilon", "0"},
      {"privacy.epsilon", "100.5"},
      {"privacy.epsilon", "nan"},
      {"privacy.epsilon", "inf"},
      {"privacy.delta", "1"},
      {"privacy.delta", "-0.1"},
      {"real_time.processing_interval", "0"},
      {"real_time.processing_interval", "10.5"},
      {"real_time.batch_size", "0"},
      {"real_time.batch_size", "4097"},
      {"real_time.max_queue_size", "1000001"},
      {"features.enable_adaptive_learning", "2"},
      {"gateway.threads", "65"},
      {"gateway.max_body_bytes", "1023"},
      {"gateway.max_ws_message_bytes", "67108865"},
      {"gateway.max_batch", "0"},
      {"gateway.idle_timeout", "0"},
      {"session.idle_timeout", "-5"},
      {"session.ring_capacity", "7"},
      {"actors.scheduler_threads", "0"},
      {"actors.analyzers", "65"},
      {"store.sync", "fast"},
      {"store.group_commit_max", "100001"},
      {"real_time.batch_size", "1e3"},
  };
  for (const auto& [key, value] : cases) {
    CAPTURE(key, value);
    auto err = load_error({"--" + key + "=" + value});
    CHECK(err.key == key);
    CHECK(contains(err.message, "must be"));
    CHECK(contains(err.message, "got '" + value + "'"));
  }
  SECTION("the message says what is allowed") {
    auto err = load_error({"--privacy.epsilon=abc"});
    CHECK(err.message.starts_with("must be a number > 0 and <= 100, got 'abc'"));
    CHECK(load_error({"--port=x"}).message.starts_with("must be an integer in 0..65535"));
    CHECK(contains(load_error({"--store.sync=x"}).message, "one of normal|full"));
  }
  SECTION("the message says where the value came from") {
    CHECK(contains(load_error({}, {{"AIA_PORT", "x"}}).message, "environment AIA_PORT"));
    CHECK(contains(load_error({"--port", "x"}).message, "command line --port"));
  }
  SECTION("the bounds themselves are allowed") {
    auto cfg = load_ok({"--port=0", "--privacy.epsilon=100", "--privacy.delta=0",
                        "--real_time.processing_interval=10", "--gateway.max_body_bytes=1024",
                        "--session.ring_capacity=4096", "--store.sync=FULL"});
    CHECK(cfg.port == 0);
    CHECK(cfg.privacy.delta == 0);
    CHECK(cfg.store.sync == "full");
  }
}

TEST_CASE("unknown keys, sections and options are refused with their names") {
  temp_dir dir;
  SECTION("a key in a section") {
    auto err = load_error({"--config", dir.write("a.conf", "# x\n[privacy]\nepsilonn = 1\n")});
    CHECK(err.key == "privacy.epsilonn");
    CHECK(contains(err.message, "line 3"));
  }
  SECTION("a section") {
    auto err = load_error({"--config", dir.write("b.conf", "port = 1\n[privacyy]\n")});
    CHECK(err.key == "privacyy");
    CHECK(contains(err.message, "line 2"));
  }
  SECTION("an option") {
    CHECK(load_error({"--bogus=1"}).key == "--bogus");
    CHECK(load_error({"--privacy.epsilonn", "1"}).key == "--privacy.epsilonn");
    CHECK(load_error({"-x"}).key == "-x");
    CHECK(load_error({"stray"}).key == "stray");
  }
}

TEST_CASE("a malformed config file line is refused with its line number") {
  temp_dir dir;
  auto err = load_error({"--config", dir.write("bad.conf", "port = 1\n\njust some words\n")});
  CHECK(err.key == "config");
  CHECK(contains(err.message, "line 3"));
  CHECK(load_error({"--config", dir.write("q.conf", "host = \"open\n")}).key == "config");
  CHECK(load_error({"--config", dir.write("s.conf", "[privacy\n")}).key == "config");
  CHECK(load_error({"--config", dir.write("e.conf", "= 1\n")}).key == "config");
}

TEST_CASE("a missing or unreadable config file is an error") {
  temp_dir dir;
  auto missing = (dir.path / "none.conf").string();
  CHECK(load_error({"--config", missing}).key == "config");
  CHECK(load_error({}, {{"AIA_CONFIG", missing}}).key == "config");
  CHECK(load_error({"--config", dir.path.string()}).key == "config");
  CHECK(load_error({"--config"}).key == "config");
}

TEST_CASE("the config file takes comments, quotes, top-level keys and exponents") {
  temp_dir dir;
  auto file
      = dir.write("ok.conf", "# a comment\n; another\n  host = \"my host\"  # trailing\n"
                             "data_dir = /var/aia # comment\nredis_url = \"a\\\"b#c\"\n"
                             "[ privacy ]\r\ndelta = 1e-8\nenable-differential-privacy = off\n"
                             "[real-time]\nbatch-size = 32\n");
  auto cfg = load_ok({"--config", file});
  CHECK(cfg.host == "my host");
  CHECK(cfg.data_dir == "/var/aia");
  CHECK(cfg.redis_url == "a\"b#c");
  CHECK(cfg.privacy.delta == 1e-8);
  CHECK_FALSE(cfg.privacy.enable_differential_privacy);
  CHECK(cfg.real_time.batch_size == 32);
}

TEST_CASE("--help and -h ask for the help text, which lists every key") {
  CHECK(std::holds_alternative<help_requested>(load_config({"--help"}, {})));
  CHECK(std::holds_alternative<help_requested>(load_config({"--port=x", "-h"}, {})));
  auto help = help_text();
  for (const auto* part : {"Usage:", "--config FILE", "--data-dir", "privacy.epsilon = 1",
                           "AIA_PRIVACY_EPSILON", "PRIVACY_LEVEL", "REDIS_URL", "AIA_CONFIG",
                           "real_time.batch_size = 16", "an integer in 1..4096", "redis_url"}) {
    CAPTURE(part);
    CHECK(contains(help, part));
  }
}

TEST_CASE("booleans accept true/false, yes/no, on/off and 1/0 in any case") {
  for (const auto* word : {"true", "yes", "on", "1", "TRUE", "On"}) {
    CAPTURE(word);
    CHECK(load_ok({std::string{"--dev="} + word}).dev);
  }
  for (const auto* word : {"false", "no", "off", "0", "False", "NO"}) {
    CAPTURE(word);
    CHECK_FALSE(load_ok({std::string{"--features.enable_emotional_analysis="} + word})
                    .features.enable_emotional_analysis);
  }
}

TEST_CASE("options take their value after '=' or as the next argument") {
  CHECK(load_ok({"--port", "9000"}).port == 9000);
  CHECK(load_ok({"--port=9000"}).port == 9000);
  CHECK(load_ok({"--host", "::1"}).host == "::1");
  CHECK(load_ok({"--real_time.batch_size", "32"}).real_time.batch_size == 32);
  CHECK(load_ok({"--privacy.epsilon=0.5"}).privacy.epsilon == 0.5);
  SECTION("a boolean key alone means true, or takes a boolean that follows") {
    CHECK(load_ok({"--dev"}).dev);
    CHECK(load_ok({"--dev", "--port=1"}).dev);
    CHECK_FALSE(load_ok({"--features.enable_visual_adaptation", "false"})
                    .features.enable_visual_adaptation);
    CHECK(load_ok(
              {"--features.enable_visual_adaptation=false", "--features.enable_visual_adaptation"})
              .features.enable_visual_adaptation);
  }
  SECTION("a missing value is an error") {
    CHECK(load_error({"--port"}).key == "port");
    CHECK(load_error({"--port", "--dev"}).key == "port");
  }
}

TEST_CASE("dashes may stand for underscores in option names") {
  auto cfg = load_ok({"--real-time.batch-size=32", "--data-dir", "/srv/aia",
                      "--features.enable-visual-adaptation=no"});
  CHECK(cfg.real_time.batch_size == 32);
  CHECK(cfg.data_dir == "/srv/aia");
  CHECK_FALSE(cfg.features.enable_visual_adaptation);
}

TEST_CASE("the shipped config/aia-node.conf loads and documents every key") {
  auto path = source_dir() / "config" / "aia-node.conf";
  auto cfg = load_ok({"--config", path.string()});
  CHECK(cfg.host == "127.0.0.1");
  CHECK(cfg.port == 8000);
  CHECK(cfg.data_dir == "./data");
  CHECK(cfg.privacy.level == privacy_level::standard);
  CHECK(cfg.privacy.epsilon == 1.0);
  CHECK(cfg.real_time.batch_size == 16);
  CHECK(cfg.real_time.processing_interval == 0.1);
  CHECK(cfg.real_time.max_queue_size == 500);
  CHECK(cfg.features.enable_adaptive_learning);
  SECTION("a privacy level from the environment still selects its preset") {
    auto high = load_ok({"--config", path.string()}, {{"PRIVACY_LEVEL", "HIGH"}});
    CHECK(high.privacy.epsilon == 0.5);
    CHECK(high.privacy.delta == 1e-6);
  }
  SECTION("every key of the help text appears, set or commented out") {
    std::ifstream in{path};
    std::set<std::string> documented;
    std::string section, line;
    const std::regex header{R"(^\[(\w+)\]\s*$)"};
    const std::regex setting{R"(^#?\s*(\w+)\s*=)"};
    for (std::smatch m; std::getline(in, line);) {
      if (std::regex_search(line, m, header)) {
        section = m[1].str() + ".";
      } else if (std::regex_search(line, m, setting)) {
        documented.insert(section + m[1].str());
      }
    }
    std::istringstream help{help_text()};
    const std::regex key_line{R"(^  ([\w.]+) = )"};
    int keys = 0;
    for (std::smatch m; std::getline(help, line);) {
      if (std::regex_search(line, m, key_line)) {
        ++keys;
        CAPTURE(m[1].str());
        CHECK(documented.count(m[1].str()) == 1);
      }
    }
    CHECK(keys == static_cast<int>(documented.size()));  // nothing documented that is not a key
  }
}

TEST_CASE("to_string names the privacy levels as on the wire") {
  CHECK(std::string{to_string(privacy_level::standard)} == "STANDARD");
  CHECK(std::string{to_string(privacy_level::high)} == "HIGH");
  CHECK(std::string{to_string(privacy_level::maximum)} == "MAXIMUM");
}
