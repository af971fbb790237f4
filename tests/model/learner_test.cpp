// Tests of the learner engine: mastery, memory, next item, path, modality preference, encoding.
#include "model/learning/learner.hpp"

#include <catch2/catch.hpp>

using namespace aia::model;
using namespace aia::model::learning;

namespace {

constexpr double t0 = 1.8e9;

interaction answer(std::string item, std::string skill, bool correct, double t,
                   int modality = -1) {
  interaction x;
  x.timestamp = t;
  x.user_id = "u";
  x.type = interaction_type::answer;
  x.item_id = std::move(item);
  x.skill = std::move(skill);
  x.correct = correct ? 1 : 0;
  x.modality = static_cast<std::int8_t>(modality);
  x.response_time = 20;
  return x;
}

skill_graph chain() {
  auto g = skill_graph::from_edges({{"counting", "addition"}, {"addition", "multiplication"}});
  return std::get<skill_graph>(std::move(g));
}

std::vector<catalog_item> catalog() {
  return {{"c1", "counting", -1.0, 0}, {"c2", "counting", 0.5, 0},
          {"a1", "addition", 0.0, 1},  {"a2", "addition", 1.0, 1},
          {"m1", "multiplication", 0.0, 3}};
}

} // namespace

TEST_CASE("graded answers move mastery, and the outcome carries the prediction made before") {
  learning_engine e;
  learner_state s;
  const double prior = e.predict(s, "fractions");
  auto first = e.observe(s, answer("q1", "fractions", true, t0));
  REQUIRE(first);
  CHECK(first->p_predicted == Approx(prior));
  CHECK(first->p_known > e.config().bkt.init);
  double after_right = e.mastery(s, "fractions");
  auto second = e.observe(s, answer("q2", "fractions", false, t0 + 30));
  REQUIRE(second);
  CHECK(second->p_predicted > prior);
  CHECK(e.mastery(s, "fractions") < after_right);
  REQUIRE(s.find_skill("fractions"));
  CHECK(s.find_skill("fractions")->attempts == 2);
  CHECK(s.find_skill("fractions")->correct == 1);
  CHECK(s.answers == 2);
  // Not an answer, or an answer without grading: no outcome, no mastery change.
  interaction click;
  click.timestamp = t0 + 40;
  CHECK_FALSE(e.observe(s, click));
  auto ungraded = answer("q3", "fractions", true, t0 + 50);
  ungraded.correct = -1;
  CHECK_FALSE(e.observe(s, ungraded));
  CHECK(s.answers == 2);
}

TEST_CASE("a harder catalogue item is predicted less likely to be answered right") {
  learning_engine e{learning_config{}, skill_graph{}, catalog()};
  learner_state s;
  CHECK(e.predict(s, "counting", -1.0) > e.predict(s, "counting", 0.5));
}

TEST_CASE("the next item respects prerequisites, then moves on as mastery grows") {
  learning_engine e{learning_config{}, chain(), catalog()};
  learner_state s;
  auto first = e.next(s, {}, t0);
  REQUIRE(first.what == next_step::kind::practice);
  CHECK(first.skill == "counting");  // addition needs counting mastered
  double t = t0;
  for (int i = 0; i < 12; ++i) {
    e.observe(s, answer("drill-" + std::to_string(i), "counting", true, t += 20));
  }
  CHECK(e.mastery(s, "counting") >= e.config().progression.mastery_threshold);
  // The drills are fresh in memory (no review due); the catalogue's counting items are new.
  auto later = e.next(s, {}, t + 1);
  REQUIRE(later.what == next_step::kind::practice);
  CHECK(later.skill != "multiplication");  // addition is not mastered yet
}

TEST_CASE("an item answered days ago is due for review before new practice") {
  learning_engine e{learning_config{}, chain(), catalog()};
  learner_state s;
  e.observe(s, answer("c1", "counting", true, t0));
  auto soon = e.next(s, {}, t0 + 60);
  CHECK(soon.what == next_step::kind::practice);
  double due_at = e.next_review_at(s, "c1");
  CHECK(due_at > t0);
  auto late = e.next(s, {}, due_at + 86400);
  REQUIRE(late.what == next_step::kind::review);
  CHECK(late.item_id == "c1");
  CHECK(late.recall < e.config().target_recall);
  // A successful review pushes the next one further out (the interval grows).
  double first_interval = due_at - t0;
  e.observe(s, answer("c1", "counting", true, due_at));
  CHECK(e.next_review_at(s, "c1") - due_at > first_interval);
}

TEST_CASE("high cognitive load shifts the band towards easier items and lowers complexity") {
  learning_engine e{learning_config{}, skill_graph{}, catalog()};
  learner_state s;
  auto calm = e.next(s, {0.2, 0.1}, t0);
  auto loaded = e.next(s, {1.0, 0.1}, t0);
  CHECK(loaded.band.low > calm.band.low);
  CHECK(loaded.visual_complexity < calm.visual_complexity);
  CHECK(calm.visual_complexity == Approx(1));
  CHECK(loaded.visual_complexity == Approx(0.3));
  CHECK(loaded.p_success >= calm.p_success);
}

TEST_CASE("a long stretch of work or high fatigue suggests a break") {
  learning_engine e;
  learner_state s;
  for (int i = 0; i <= 60; ++i) {
    e.observe(s, answer("q" + std::to_string(i), "s", i % 3 != 0, t0 + i * 60.0));
  }
  auto step = e.next(s, {0.3, 0.2}, t0 + 3600);
  CHECK(step.minutes_active == Approx(60));
  CHECK(step.pause.take_break);
  auto fresh = learner_state{};
  CHECK(e.next(fresh, {0.3, 0.9}, t0).pause.take_break);
  CHECK_FALSE(e.next(fresh, {0.3, 0.1}, t0).pause.take_break);
}

TEST_CASE("the path to a goal lists unmastered prerequisites first and is re-planned") {
  learning_engine e{learning_config{}, chain(), {}};
  learner_state s;
  auto p = e.path(s, "multiplication");
  REQUIRE(p);
  REQUIRE(p->size() == 3);
  CHECK(p->at(0).skill == "counting");
  CHECK(p->at(2).skill == "multiplication");
  CHECK(p->at(2).prerequisites == std::vector<std::string>{"addition"});
  double t = t0;
  for (int i = 0; i < 12; ++i) {
    e.observe(s, answer("", "counting", true, t += 10));
  }
  auto q = e.path(s, "multiplication");
  REQUIRE(q);
  REQUIRE(q->size() == 2);
  CHECK(q->front().skill == "addition");
  CHECK_FALSE(e.path(s, "astrophysics"));
  e.observe(s, answer("", "astrophysics", false, t += 10));
  REQUIRE(e.path(s, "astrophysics"));
  CHECK(e.path(s, "astrophysics")->size() == 1);
}

TEST_CASE("without a catalogue the next step practises a skill") {
  learning_engine e{learning_config{}, chain(), {}};
  learner_state s;
  auto step = e.next(s, {}, t0);
  REQUIRE(step.what == next_step::kind::practice);
  CHECK(step.item_id.empty());
  CHECK(step.skill == "counting");
}

TEST_CASE("the modality preference follows engagement and success, with growing confidence") {
  learning_engine e;
  learner_state s;
  auto none = e.style(s);
  CHECK(none.confidence == 0);
  double t = t0;
  for (int i = 0; i < 3; ++i) {
    e.observe(s, answer("v" + std::to_string(i), "s", true, t += 30, 0));  // visual
    e.observe(s, answer("r" + std::to_string(i), "s", false, t += 30, 3)); // reading
  }
  auto few = e.style(s);
  CHECK(few.primary == learning_style::visual);
  for (int i = 3; i < 30; ++i) {
    e.observe(s, answer("v" + std::to_string(i), "s", true, t += 30, 0));
    e.observe(s, answer("r" + std::to_string(i), "s", false, t += 30, 3));
  }
  auto many = e.style(s);
  CHECK(many.primary == learning_style::visual);
  CHECK(many.confidence > few.confidence);
  double sum = 0;
  for (double x : many.scores) {
    sum += x;
  }
  CHECK(sum == Approx(1));
}

TEST_CASE("records stay within their bounds, dropping the least recently used") {
  learning_config cfg;
  cfg.max_skills = 3;
  cfg.max_items = 2;
  learning_engine e{cfg, skill_graph{}, {}};
  learner_state s;
  for (int i = 0; i < 6; ++i) {
    e.observe(s, answer("i" + std::to_string(i), "k" + std::to_string(i), true, t0 + i));
  }
  CHECK(s.skills.size() == 3);
  CHECK(s.items.size() == 2);
  CHECK(s.find_skill("k5"));
  CHECK_FALSE(s.find_skill("k0"));
  CHECK(s.find_item("i5"));
}

TEST_CASE("a learner survives encoding, and malformed bytes are refused") {
  learning_engine e{learning_config{}, chain(), catalog()};
  learner_state s;
  double t = t0;
  for (int i = 0; i < 20; ++i) {
    e.observe(s, answer("c" + std::to_string(i % 4), i % 2 ? "counting" : "addition", i % 3 != 0,
                        t += 45, i % 5));
  }
  auto bytes = encode_learner(s);
  auto back = decode_learner(bytes.data(), bytes.size());
  REQUIRE(back);
  CHECK(back->answers == s.answers);
  REQUIRE(back->skills.size() == s.skills.size());
  CHECK(back->skills[0].p_known == s.skills[0].p_known);
  REQUIRE(back->items.size() == s.items.size());
  CHECK(back->items[1].memory.stability_days == s.items[1].memory.stability_days);
  CHECK(back->modalities[2].engaged_s == s.modalities[2].engaged_s);
  CHECK(e.next(*back, {}, t + 5).item_id == e.next(s, {}, t + 5).item_id);
  CHECK(encode_learner(*back) == bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(decode_learner(bytes.data(), n));
  }
  auto bad = bytes;
  bad[1] = 9;  // unknown version
  CHECK_FALSE(decode_learner(bad.data(), bad.size()));
}

TEST_CASE("a skill with fitted BKT parameters is traced with them, the others with the common set") {
  learning_config cfg;
  cfg.skill_bkt["fractions"] = bkt_params{0.6, 0.3, 0.25, 0.05, 0.0};
  learning_engine e{cfg, skill_graph{}, {}};
  learner_state s;
  // The priors: the fitted init and its p(correct), the common init elsewhere.
  CHECK(e.mastery(s, "fractions") == Approx(0.6));
  CHECK(e.mastery(s, "decimals") == Approx(cfg.bkt.init));
  CHECK(e.predict(s, "fractions") == Approx(0.6 * 0.95 + 0.4 * 0.25));
  REQUIRE(e.observe(s, answer("q1", "fractions", true, t0)));
  REQUIRE(e.observe(s, answer("q2", "decimals", true, t0 + 10)));
  CHECK(e.mastery(s, "fractions") == Approx(cfg.skill_bkt["fractions"].posterior(0.6, true)));
  CHECK(e.mastery(s, "decimals") == Approx(cfg.bkt.posterior(cfg.bkt.init, true)));
  CHECK(e.bkt_of("fractions").learn == 0.3);
  CHECK(e.bkt_of("decimals").learn == cfg.bkt.learn);
}
