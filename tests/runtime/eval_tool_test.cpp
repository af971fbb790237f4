// aia-eval run as a process on the shared evaluation data: both subcommands give figures in a
// table and as JSON, and bad input gets a message naming the file and line with exit 1.
#include "runtime/learning_catalog.hpp"
#include "tests/support/command.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using aia::test::quoted;
using aia::test::run_command;
using aia::test::temp_dir;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

fs::path data_dir() {
  return fs::path{AIA_SOURCE_DIR} / ".." / "shared" / "data";
}

aia::test::command_result aia_eval(const std::string& args) {
  auto bin = fs::path{AIA_NODE_BIN}.parent_path() / "aia-eval";
  REQUIRE(fs::exists(bin));
  return run_command(quoted(bin.string()) + " " + args);
}

json read_json(const fs::path& p) {
  std::ifstream in{p};
  return json::parse(in);
}

} // namespace

TEST_CASE("aia-eval kt scores BKT on a Statics split and writes the figures as JSON") {
  auto kt = data_dir() / "kt" / "statics";
  if (!fs::exists(kt)) {
    WARN("no shared data at " << kt.string());
    return;
  }
  temp_dir dir{"aia-eval-"};
  auto out = dir / "kt.json";
  auto r = aia_eval("kt --format akt --train " + quoted((kt / "statics_trainonly.csv").string())
                    + " --test " + quoted((kt / "statics_test1.csv").string())
                    + " --models bkt --json " + quoted(out.string()));
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("AUC") != std::string::npos);
  auto j = read_json(out);
  auto auc = j["mean"]["bkt"]["auc"].get<double>();
  CHECK(auc > 0.5);
  CHECK(auc < 1.0);
}

TEST_CASE("aia-eval kt --export-bkt writes fitted skills that a node's catalogue reader takes") {
  auto kt = data_dir() / "kt" / "statics";
  if (!fs::exists(kt)) {
    WARN("no shared data at " << kt.string());
    return;
  }
  temp_dir dir{"aia-eval-"};
  auto out = dir / "skills.json";
  auto r = aia_eval("kt --format akt --train " + quoted((kt / "statics_test2.csv").string()) + " "
                    + quoted((kt / "statics_test3.csv").string()) + " --test "
                    + quoted((kt / "statics_test1.csv").string())
                    + " --models bkt --export-bkt " + quoted(out.string()));
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto read = aia::runtime::read_learning_catalog(out.string());
  REQUIRE(std::holds_alternative<aia::runtime::learning_catalog>(read));
  const auto& c = std::get<aia::runtime::learning_catalog>(read);
  REQUIRE(c.skill_bkt.size() > 10);
  // Fitted, so not all alike, and within the EM's bounds.
  std::set<double> learns;
  for (const auto& [skill, p] : c.skill_bkt) {
    learns.insert(p.learn);
    CHECK(p.guess <= 0.3 + 1e-9);
    CHECK(p.slip <= 0.3 + 1e-9);
  }
  CHECK(learns.size() > 5);
  // One fit to export: not the 5-fold protocol, and only from a BKT model.
  CHECK(aia_eval("kt --folds " + quoted(kt.string()) + " --prefix statics --export-bkt "
                 + quoted(out.string())).status == 2);
  CHECK(aia_eval("kt --format akt --train " + quoted((kt / "statics_test1.csv").string())
                 + " --test " + quoted((kt / "statics_test1.csv").string())
                 + " --models lr --export-bkt " + quoted(out.string())).status == 2);
}

TEST_CASE("aia-eval state reports each target beside its baseline") {
  auto csv = data_dir() / "affect" / "banholzer2021_mouse_stress.csv";
  if (!fs::exists(csv)) {
    WARN("no shared data at " << csv.string());
    return;
  }
  temp_dir dir{"aia-eval-"};
  auto out = dir / "state.json";
  auto r = aia_eval("state --data " + quoted(csv.string()) + " --folds 5 --json "
                    + quoted(out.string()));
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto j = read_json(out);
  CHECK(j["rows"] == 1829);
  CHECK(j["users"] == 70);
  CHECK(j["stress"]["model"]["auc"].get<double>() >= 0);
  CHECK(j["stress"]["baseline"].contains("brier"));
}

TEST_CASE("aia-eval refuses bad files naming them, and bad command lines") {
  temp_dir dir{"aia-eval-"};
  auto bad = dir / "bad.csv";
  std::ofstream{bad} << "3\n1,2,x\n1,0,1\n";
  auto r = aia_eval("kt --format akt --train " + quoted(bad.string()) + " --test "
                    + quoted(bad.string()));
  CHECK(r.status == 1);
  CHECK(r.output.find(bad.string() + ":2") != std::string::npos);
  auto s = aia_eval("state --data " + quoted(bad.string()));
  CHECK(s.status == 1);
  CHECK(s.output.find(bad.string()) != std::string::npos);
  CHECK(aia_eval("nonsense").status == 2);
  CHECK(aia_eval("kt --no-such-option").status == 2);
}
