// Embedding the engine, as the spec's "Backend Configuration" example does in Python.
// Usage: aia-embed-example [DATA_DIR]
#include "runtime/engine.hpp"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  std::map<std::string, std::string> config = {
    {"privacy.epsilon", "0.5"},  // lower = more private
    {"privacy.delta", "1e-6"},
    {"privacy.enable_differential_privacy", "true"},
    {"real_time.processing_interval", "0.1"},
    {"real_time.batch_size", "16"},
    {"real_time.max_queue_size", "500"},
    {"features.enable_emotional_analysis", "true"},
    {"features.enable_cognitive_load_assessment", "true"},
    {"features.enable_adaptive_learning", "true"},
    {"features.enable_visual_adaptation", "true"},
    {"data_dir", argc > 1 ? argv[1] : "./data-embed-example"},
  };
  try {
    aia::engine engine{config};
    engine.start_real_time_processing();

    // A user who slows down and hesitates more and more.
    auto now = std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
    aia::actors::batch_result last;
    for (int i = 0; i < 40; ++i) {
      aia::model::interaction x;
      x.timestamp = now - 40 + i;
      x.user_id = "user123";
      x.type = i % 3 == 0 ? aia::model::interaction_type::hover
                          : aia::model::interaction_type::click;
      x.response_time = 0.8 + 0.25 * i;
      x.dwell_time = 2.0 + 0.3 * i;
      x.device = aia::model::device_type::desktop;
      x.tab_active = 1;
      x.session_duration = 60000.0 + 1000.0 * i;
      last = engine.process_interaction(x);
    }
    const auto& s = last.state;
    std::printf("user123 after %llu interactions (model %s)\n",
                static_cast<unsigned long long>(s.interaction_count), s.model_version.c_str());
    std::printf("  cognitive load %d/5, focus %.2f, engagement %.2f, fatigue %.2f\n",
                s.cognitive_load_level, s.focus_level, s.engagement_score, s.fatigue_level);
    for (const auto& r : last.recommendations) {
      std::printf("  recommendation %s (confidence %.2f): %s\n", r.id.c_str(), r.confidence,
                  r.reason.c_str());
    }
    engine.stop();
  } catch (const aia::engine_error& e) {
    std::fprintf(stderr, "error: %s: %s\n", e.code().c_str(), e.what());
    return 1;
  }
  return 0;
}
