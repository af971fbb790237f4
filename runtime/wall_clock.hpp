// The wall clock as the node writes it everywhere: seconds since the epoch, as a double.
#pragma once

#include <chrono>

namespace aia::runtime {

/// Now, in seconds since the epoch (system clock).
[[nodiscard]] inline double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace aia::runtime
