// What the command-line tools share: options, usage errors, subcommand dispatch and exit codes
// (0 done, 1 failed, 2 bad usage; a command may return others).
#pragma once

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aia::tools {

/// A usage error: the message goes to stderr with a pointer to --help, exit status 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parsed options by name without the dashes; a flag maps to "".
using options = std::map<std::string, std::string>;

/// `--name VALUE`, `--name=VALUE` and bare `flags`; only the names in `allowed` and `flags`.
inline options parse_options(const std::vector<std::string>& args,
                             const std::vector<std::string>& allowed,
                             const std::vector<std::string>& flags = {}) {
  options out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto arg = args[i];
    if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
      out[arg.substr(2)] = "";
      continue;
    }
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (std::find(allowed.begin(), allowed.end(), arg) == allowed.end()) {
      throw usage_error("unknown option " + arg);
    }
    if (!value) {
      if (i + 1 == args.size()) {
        throw usage_error(arg + " needs a value");
      }
      value = args[++i];
    }
    out[arg.substr(2)] = *value;
  }
  return out;
}

/// The value of option `name`; a usage error if it is missing or empty.
inline std::string required(const options& opts, const std::string& name) {
  auto it = opts.find(name);
  if (it == opts.end() || it->second.empty()) {
    throw usage_error("--" + name + " is required");
  }
  return it->second;
}

/// A subcommand: its arguments after the command word, its exit status.
using command = std::function<int(const std::vector<std::string>&)>;

/// main() of a tool named `name`: --help prints `help`; otherwise the first argument picks one
/// of `commands`. Usage errors exit 2, other exceptions 1, each with one line on stderr.
inline int run_tool(const char* name, const char* help, int argc, char** argv,
                    const std::map<std::string, command>& commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << help;
      return 0;
    }
  }
  try {
    if (args.empty()) {
      throw usage_error("no command");
    }
    auto it = commands.find(args.front());
    if (it == commands.end()) {
      throw usage_error("unknown command " + args.front());
    }
    return it->second(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (const usage_error& e) {
    std::cerr << name << ": " << e.what() << " (see " << name << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace aia::tools
