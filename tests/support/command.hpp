// Test harness: running a shell command, or an aia-node that is expected not to start.
#pragma once

#include <filesystem>
#include <string>

namespace aia::test {

/// What a command printed (stdout and stderr together) and its exit code (-1 if killed).
struct command_result {
  int status = -1;
  std::string output;
};

/// `s` in single quotes, for a shell command line (test paths and arguments hold no quote).
[[nodiscard]] std::string quoted(const std::string& s);

/// Runs `cmd` through /bin/sh, collecting its output; fails the test if it cannot be started.
[[nodiscard]] command_result run_command(const std::string& cmd);

/// Runs aia-node with `args` (already quoted as needed), bounded by 60 s, expecting it to exit at
/// start; its exit code and output. It trusts the test key if `trust_key`, and uses `data_dir`
/// (empty: a fresh directory, removed afterwards).
[[nodiscard]] command_result run_node_expecting_exit(const std::string& args,
                                                     bool trust_key = true,
                                                     const std::filesystem::path& data_dir = {});

} // namespace aia::test
