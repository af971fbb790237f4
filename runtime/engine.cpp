// The embeddable engine over runtime::actor_graph.
#include "runtime/engine.hpp"

#include "runtime/actor_graph.hpp"
#include "runtime/config.hpp"

#include <future>

namespace aia {

struct engine::impl {
  runtime::node_config cfg;
  std::unique_ptr<runtime::actor_graph> graph;
};

namespace {

/// Waits for a gateway_port callback's outcome.
template <class T, class Call>
actors::outcome<T> await_outcome(Call&& call) {
  std::promise<actors::outcome<T>> p;
  auto f = p.get_future();
  call([&p](actors::outcome<T> out) { p.set_value(std::move(out)); });
  return f.get();
}

} // namespace

engine::engine(const std::map<std::string, std::string>& settings)
  : impl_(std::make_unique<impl>()) {
  std::vector<std::string> args;
  for (const auto& [k, v] : settings) {
    args.push_back("--" + k + "=" + v);
  }
  auto loaded = runtime::load_config(args, {});
  if (auto* err = std::get_if<runtime::config_error>(&loaded)) {
    throw engine_error("invalid_config", err->key + ": " + err->message);
  }
  if (!std::holds_alternative<runtime::node_config>(loaded)) {
    throw engine_error("invalid_config", "help is not a setting");
  }
  impl_->cfg = std::get<runtime::node_config>(std::move(loaded));
}

engine::~engine() {
  stop();
}

void engine::start_real_time_processing() {
  if (!impl_->graph) {
    impl_->graph = std::make_unique<runtime::actor_graph>(impl_->cfg);
  }
}

bool engine::running() const noexcept {
  return impl_->graph != nullptr;
}

actors::batch_result engine::process_interaction(const model::interaction& x) {
  if (!impl_->graph) {
    throw engine_error("not_running", "call start_real_time_processing() first");
  }
  actors::interaction_batch b;
  b.user_id = x.user_id;
  b.interactions.push_back(x);
  auto out = await_outcome<actors::batch_result>([&](auto done) {
    impl_->graph->port().submit(std::move(b), std::move(done));
  });
  if (auto* err = std::get_if<actors::port_error>(&out)) {
    throw engine_error(err->code, err->message);
  }
  return std::get<actors::batch_result>(std::move(out));
}

std::optional<model::user_profile> engine::profile(const std::string& user_id) {
  if (!impl_->graph) {
    throw engine_error("not_running", "call start_real_time_processing() first");
  }
  auto out = await_outcome<model::user_profile>([&](auto done) {
    impl_->graph->port().profile(user_id, std::move(done));
  });
  if (auto* err = std::get_if<actors::port_error>(&out)) {
    if (err->code == "not_found") {
      return std::nullopt;
    }
    throw engine_error(err->code, err->message);
  }
  return std::get<model::user_profile>(std::move(out));
}

void engine::stop() {
  if (impl_->graph) {
    impl_->graph->drain();
    impl_->graph.reset();
  }
}

} // namespace aia
