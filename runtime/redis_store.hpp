// The cluster store backend: Redis through hiredis (kept out of this header), values sealed with
// privacy::sealer exactly as the SQLite backend seals them. The data model is in redis_store.cpp.
#pragma once

#include "runtime/store.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace aia::runtime {

/// Where and how to reach Redis.
struct redis_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;  ///< empty: no AUTH; never logged nor put in an error
  /// Bound on connecting and on each command (send and reply): no call waits longer.
  std::chrono::milliseconds timeout{2000};
};

/// Parses redis://[[default]:password@]host[:port][/db] (IPv6 hosts in brackets, the password
/// percent-decoded). Throws std::invalid_argument naming REDIS_URL and the problem; the message
/// never echoes any part of the URL, so no password can leak through it.
[[nodiscard]] redis_options parse_redis_url(std::string_view url);

/// Opens the Redis store: connects at once (AUTH, SELECT, scripts loaded), and throws
/// std::runtime_error with the reason if Redis cannot be reached or refuses. Afterwards a lost
/// connection is re-established on a later call, with a short backoff; while Redis is down,
/// write() returns a store_error, load() a history with `unreadable` set (never rehydrate from
/// it) and user_count() the last count it read. Keys start with `key_prefix`.
[[nodiscard]] std::unique_ptr<store> open_redis_store(const redis_options& opt,
                                                      std::shared_ptr<const privacy::sealer> sealer,
                                                      std::string key_prefix = "aia:");

} // namespace aia::runtime
