// Test harness: shell commands through popen.
#include "tests/support/command.hpp"

#include "tests/support/temp_dir.hpp"
#include "tests/support/tokens.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include <sys/wait.h>

namespace aia::test {

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

command_result run_command(const std::string& cmd) {
  command_result r;
  FILE* p = popen(("(" + cmd + ") 2>&1 </dev/null").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p)) {
    r.output.append(buf, n);
  }
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

command_result run_node_expecting_exit(const std::string& args, bool trust_key,
                                       const std::filesystem::path& data_dir) {
  temp_dir dir{"aia-exit-"};
  auto data = data_dir.empty() ? dir / "data" : data_dir;
  std::string cmd = "timeout 60 " + quoted(AIA_NODE_BIN) + " --host 127.0.0.1 --port 0 --data-dir "
                    + quoted(data.string());
  if (trust_key) {
    for (const auto& a : trust_test_key(dir.path())) {
      cmd += " " + quoted(a);
    }
  }
  return run_command(cmd + " " + args);
}

} // namespace aia::test
