// aia-eval: measures the models on real data. `aia-eval kt ...` and `aia-eval state ...`; each
// subcommand's --help lists its options.
#include "tools/eval/commands.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

constexpr const char* usage =
  "usage: aia-eval <command> [options]\n"
  "  kt     knowledge-tracing models on response logs (AUC, RMSE, log-loss, accuracy)\n"
  "  state  user-state models on a labelled dataset, leave-users-out cross-validation\n"
  "Run aia-eval <command> --help for the options of each.\n";

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "kt") {
      return aia::tools::kt_command(args);
    }
    if (cmd == "state") {
      return aia::tools::state_command(args);
    }
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(usage, stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aia-eval: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "aia-eval: unknown command '%s'\n%s", cmd.c_str(), usage);
  return 2;
}
