// The micro-benchmarks' command line: `--name value` options read with a fallback.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

namespace aia::bench {

/// The number after `name` (e.g. `--n 1000`), or `fallback` if absent.
inline long option(int argc, char** argv, std::string_view name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) {
      return std::strtol(argv[i + 1], nullptr, 10);
    }
  }
  return fallback;
}

/// The word after `name`, or "" if absent.
inline std::string option_text(int argc, char** argv, std::string_view name) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) {
      return argv[i + 1];
    }
  }
  return {};
}

} // namespace aia::bench
