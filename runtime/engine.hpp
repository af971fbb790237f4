// The embeddable engine: the spec's NanoPersonalizationEngine as a C++ API, over the same actor
// graph that aia-node runs (no HTTP). Calls block until the actors answer.
#pragma once

#include "actors/session_types.hpp"
#include "model/interaction.hpp"
#include "model/profile.hpp"

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace aia {

/// A refused configuration or request.
class engine_error : public std::runtime_error {
public:
  engine_error(std::string code, const std::string& message)
    : std::runtime_error(message), code_(std::move(code)) {}
  /// PROTOCOL.md error code (`invalid_field`, `overloaded`, `not_found`, ...).
  [[nodiscard]] const std::string& code() const noexcept { return code_; }

private:
  std::string code_;
};

/// The personalization engine.
class engine {
public:
  /// Builds an engine from config keys as the node takes them (`privacy.epsilon`,
  /// `real_time.batch_size`, `features.enable_visual_adaptation`, `data_dir`, ...), on top of the
  /// defaults. Throws engine_error("invalid_config", "<key>: <reason>") for a bad key or value.
  explicit engine(const std::map<std::string, std::string>& settings = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Opens the store and spawns the actors (the spec's start_real_time_processing()).
  void start_real_time_processing();

  /// True between start_real_time_processing() and stop().
  [[nodiscard]] bool running() const noexcept;

  /// Stores and analyses one interaction; returns the user's new state and recommendations.
  /// Throws engine_error on refusal (e.g. `overloaded`) or if the engine is not running.
  actors::batch_result process_interaction(const model::interaction& x);

  /// The user's profile, or nullopt for a user never seen.
  std::optional<model::user_profile> profile(const std::string& user_id);

  /// Snapshots every session and stops the actors. Idempotent; the destructor calls it.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia
