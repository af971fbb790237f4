// Test harness: temporary directories.
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

namespace aia::test {

temp_dir::temp_dir(const std::string& prefix) {
  auto pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace aia::test
