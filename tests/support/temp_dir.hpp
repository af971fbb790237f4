// Test harness: a fresh directory under the system's temp directory, removed with its contents
// when the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace aia::test {

class temp_dir {
public:
  /// Creates `<tmp>/<prefix>XXXXXX` (mkdtemp); fails the running test if it cannot.
  explicit temp_dir(const std::string& prefix = "aia-test-");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// `path() / name`.
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

private:
  std::filesystem::path path_;
};

} // namespace aia::test
