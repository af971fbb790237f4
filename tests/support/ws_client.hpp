// Test harness: a synchronous WebSocket client over Boost.Beast that queues what the server pushes.
#pragma once

#include "tests/support/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aia::test {

/// `/api/v1/ml-personalization/ws/{user}`.
[[nodiscard]] std::string ws_path(std::string_view user);

/// One WebSocket connection to 127.0.0.1:port. A background read is kept pending whenever the
/// client waits, so messages pushed by the server queue up in arrival order and a wait that times
/// out leaves the connection usable. Network errors on connect or send throw std::runtime_error.
/// Not thread-safe: one per thread.
class ws_client {
public:
  /// Connects and asks to upgrade `target`. A refused upgrade is not an error: see upgraded().
  ws_client(std::uint16_t port, std::string_view target,
            std::chrono::milliseconds timeout = std::chrono::milliseconds{15000},
            const header_list& headers = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// True if the server answered 101 and the socket is a WebSocket now.
  [[nodiscard]] bool upgraded() const noexcept;

  /// The HTTP status of the handshake's answer: 101, or the refusal's status.
  [[nodiscard]] int handshake_status() const noexcept;

  /// The body of a refused handshake (the node's JSON error).
  [[nodiscard]] const std::string& handshake_body() const noexcept;

  /// Sends one text message and waits until it is written.
  void send_text(std::string_view text);

  /// Sends one binary message and waits until it is written.
  void send_binary(std::string_view data);

  /// The next message (text or binary payload), or nullopt if none arrives within `wait` or the
  /// connection is closed.
  std::optional<std::string> read(std::chrono::milliseconds wait);

  /// The first message whose JSON `type` equals `type`, waiting up to `wait` for it. Messages of
  /// other types stay queued, in order, for later reads.
  std::optional<std::string> read_type(std::string_view type, std::chrono::milliseconds wait);

  /// Takes every message queued so far, without waiting.
  std::vector<std::string> take_queued();

  /// Reads (and queues) until the server closes the connection; true if it did within `wait`.
  bool wait_closed(std::chrono::milliseconds wait);

  /// True while the WebSocket is open (upgraded and neither side closed it).
  [[nodiscard]] bool is_open() const noexcept;

  /// The close code the server sent (e.g. 1008, 1009), or 0 if there was no close frame.
  [[nodiscard]] int close_code() const noexcept;

  /// Why the connection ended, for failure messages ("" while open).
  [[nodiscard]] std::string end_reason() const;

  /// Sends a normal close frame and waits for the server's answer.
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::test
