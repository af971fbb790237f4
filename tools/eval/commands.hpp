// The subcommands of aia-eval, one file each in tools/eval/. Each takes the words after its name,
// prints a table to stdout (and the same figures as JSON with --json), and returns the exit code:
// 0 done, 1 the data or the run failed (a message naming the file and line on stderr), 2 a bad
// command line.
#pragma once

#include <string>
#include <vector>

namespace aia::tools {

/// `aia-eval kt ...`: knowledge-tracing models on response logs (tools/eval/kt_command.cpp).
int kt_command(const std::vector<std::string>& args);

/// `aia-eval state ...`: the user-state models on labelled data (tools/eval/state_command.cpp).
int state_command(const std::vector<std::string>& args);

} // namespace aia::tools
