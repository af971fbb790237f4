// The adaptive-learning routes: answers in, next item, path and mastery out.
#include "net/learning_routes.hpp"

#include "net/detail/query_string.hpp"
#include "net/learning_codec.hpp"
#include "runtime/wall_clock.hpp"

#include <array>
#include <chrono>
#include <memory>

namespace aia::net {

namespace {

constexpr std::string_view answer_path = "/learning/answer";
constexpr std::string_view prefix = "/learning/";
/// The GET routes: path segment after the prefix, and the learning_query it asks.
constexpr std::array<std::string_view, 3> queries{"next", "path", "mastery"};

/// The query of a GET route (`next`, `path`, `mastery`) and its user, or empty if `rest` is
/// none of them.
std::pair<std::string_view, std::string_view> split(std::string_view rest) {
  if (rest.substr(0, prefix.size()) != prefix) {
    return {};
  }
  auto tail = rest.substr(prefix.size());
  auto slash = tail.find('/');
  if (slash == std::string_view::npos) {
    return {};
  }
  auto what = tail.substr(0, slash);
  for (auto q : queries) {
    if (what == q) {
      return {q, tail.substr(slash + 1)};
    }
  }
  return {};
}

/// The `goal` parameter of the path route.
parse_result<std::string> goal_of(std::string_view query) {
  std::string goal;
  auto err = detail::each_parameter(
    query, [&goal](const std::string& key, const std::string& value) -> std::optional<wire_error> {
      if (key == "goal") {
        goal = value;
      }
      return std::nullopt;
    });
  if (err) {
    return *err;
  }
  if (goal.empty()) {
    return wire_error{"missing_field", "the goal skill is required (?goal=skill)", "goal"};
  }
  return goal;
}

} // namespace

std::string_view learning_routes::route_of(std::string_view rest) {
  if (rest == answer_path) {
    return "/learning/answer";
  }
  auto [what, user] = split(rest);
  if (what == "next") {
    return "/learning/next";
  }
  if (what == "path") {
    return "/learning/path";
  }
  if (what == "mastery") {
    return "/learning/mastery";
  }
  return "";
}

bool learning_routes::handle(std::string_view method, std::string_view rest,
                             std::string_view query, const auth::principal& who,
                             const std::string& body, std::function<void(http_reply)>& done) {
  if (rest == answer_path) {
    if (method != "POST") {
      done(method_not_allowed("POST"));
    } else {
      answer(who, body, std::move(done));
    }
    return true;
  }
  auto [what, user] = split(rest);
  if (what.empty()) {
    return false;
  }
  if (method != "GET") {
    done(method_not_allowed("GET"));
  } else {
    ask(what, std::string{user}, query, who, std::move(done));
  }
  return true;
}

void learning_routes::answer(const auth::principal& who, const std::string& body,
                             std::function<void(http_reply)> done) {
  auto received = std::chrono::steady_clock::now().time_since_epoch().count();
  auto parsed = parse_learning_answer(body, limits_, runtime::wall_seconds());
  if (auto* err = std::get_if<wire_error>(&parsed)) {
    return done(error_reply(400, std::move(*err)));
  }
  auto& x = std::get<model::interaction>(parsed);
  if (!auth::allowed(who, auth::operation::write_interaction, x.user_id)) {
    return done(forbidden("this token may not answer for another user"));
  }
  actors::learning_query after{"item", x.item_id, x.skill};
  answer_receipt receipt;
  receipt.user_id = x.user_id;
  receipt.correct = x.correct == 1;
  actors::interaction_batch b;
  b.user_id = x.user_id;
  b.received_ns = received;
  b.interactions.push_back(std::move(x));
  port_.submit(std::move(b), [this, receipt, after, done = std::move(done)](
                               actors::outcome<actors::batch_result> out) mutable {
    if (auto* err = std::get_if<actors::port_error>(&out)) {
      return done(from_port_error(*err));
    }
    const auto& r = std::get<actors::batch_result>(out);
    receipt.seq = r.ack.seq;
    receipt.duplicate = r.ack.duplicates > 0;
    receipt.processing_time_ms = r.processing_ms;
    auto user = receipt.user_id;
    port_.learning(std::move(user), after, [receipt, after, done = std::move(done)](
                                             actors::outcome<actors::learning_reply> item) {
      // The answer is stored and acknowledged: if the follow-up look fails, say so in the
      // receipt (no mastery) rather than invite a retry that would answer twice.
      actors::learning_reply empty;
      empty.item_id = after.arg;
      const auto* reply = std::get_if<actors::learning_reply>(&item);
      http_reply r;
      r.body = rest_learning_answer(receipt, reply != nullptr ? *reply : empty);
      done(std::move(r));
    });
  });
}

void learning_routes::ask(std::string_view what, std::string user, std::string_view query,
                          const auth::principal& who, std::function<void(http_reply)> done) {
  if (!is_valid_user_id(user)) {
    return done(invalid_user_id());
  }
  if (!auth::allowed(who, auth::operation::read_profile, user)) {
    return done(forbidden("this token may not see another user's learning state"));
  }
  actors::learning_query q{std::string{what}, {}, {}};
  if (what == "path") {
    auto goal = goal_of(query);
    if (auto* err = std::get_if<wire_error>(&goal)) {
      return done(error_reply(400, std::move(*err)));
    }
    q.arg = std::move(std::get<std::string>(goal));
    if (q.arg.size() > limits_.max_element_id) {
      return done(error_reply(400, {"invalid_field", "the goal skill is too long", "goal"}));
    }
  }
  port_.learning(std::move(user), std::move(q),
                 reply_with<actors::learning_reply>(std::move(done), [](const auto& r) {
                   return rest_learning(r);
                 }));
}

} // namespace aia::net
