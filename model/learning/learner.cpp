// The learner engine: mastery (BKT), memory (FSRS), next item, path, breaks, modality preference.
#include "model/learning/learner.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>

namespace aia::model::learning {

namespace {

/// Engagement from one interaction is capped: a tab left open is not ten hours of study.
constexpr double max_engagement_s = 600;
/// Predictions stay inside (0, 1) so log-loss and logits stay finite.
constexpr double p_floor = 1e-4;

double clamp01(double x) noexcept {
  return std::isnan(x) ? 0 : std::clamp(x, 0.0, 1.0);
}

double logit(double p) noexcept {
  p = std::clamp(p, p_floor, 1 - p_floor);
  return std::log(p / (1 - p));
}

double sigmoid(double z) noexcept {
  return 1 / (1 + std::exp(-z));
}

/// The first record of the sorted list `v` whose `field` is not below `key`.
template <class V, class T>
auto find_by(V& v, std::string_view key, std::string T::*field) {
  return std::lower_bound(v.begin(), v.end(), key,
                          [field](const T& r, std::string_view k) { return r.*field < k; });
}

/// The record named `key`, inserted (sorted) if new; when the list is full the least recently
/// used record (smallest `when`) makes room first.
template <class T>
T& upsert(std::vector<T>& v, std::string_view key, std::string T::*field, double T::*when,
          std::size_t max) {
  auto i = find_by(v, key, field);
  if (i != v.end() && (*i).*field == key) {
    return *i;
  }
  if (max > 0 && v.size() >= max) {
    auto oldest = std::min_element(v.begin(), v.end(),
                                   [when](const T& a, const T& b) { return a.*when < b.*when; });
    v.erase(oldest);
    i = find_by(v, key, field);
  }
  T fresh{};
  fresh.*field = std::string{key};
  return *v.insert(i, std::move(fresh));
}

double positive_or_zero(double x) noexcept {
  return present(x) && x > 0 ? x : 0;
}

} // namespace

// -- state -------------------------------------------------------------------------------------

const skill_record* learner_state::find_skill(std::string_view skill) const noexcept {
  auto i = find_by(skills, skill, &skill_record::skill);
  return i != skills.end() && i->skill == skill ? &*i : nullptr;
}

const item_record* learner_state::find_item(std::string_view item) const noexcept {
  auto i = find_by(items, item, &item_record::item);
  return i != items.end() && i->item == item ? &*i : nullptr;
}

std::size_t learner_state::memory_bytes() const noexcept {
  std::size_t n = sizeof(*this) + skills.capacity() * sizeof(skill_record)
                  + items.capacity() * sizeof(item_record);
  for (const auto& s : skills) {
    n += s.skill.capacity() > 15 ? s.skill.capacity() : 0;
  }
  for (const auto& i : items) {
    n += (i.item.capacity() > 15 ? i.item.capacity() : 0)
         + (i.skill.capacity() > 15 ? i.skill.capacity() : 0);
  }
  return n;
}

// -- encoding ----------------------------------------------------------------------------------

namespace {

constexpr int learner_codec_version = 1;
constexpr std::size_t max_learner_bytes = 16U << 20;

/// Writes into a byte vector for msgpack's packer.
struct byte_sink {
  std::vector<std::uint8_t>& out;
  void write(const char* p, std::size_t n) {
    out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(p),
               reinterpret_cast<const std::uint8_t*>(p) + n);
  }
};

const msgpack::object& element(const msgpack::object& o, std::uint32_t i, std::uint32_t size) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != size) {
    throw std::invalid_argument("learner: wrong shape");
  }
  return o.via.array.ptr[i];
}

const msgpack::object_array& list(const msgpack::object& o) {
  if (o.type != msgpack::type::ARRAY) {
    throw std::invalid_argument("learner: not a list");
  }
  return o.via.array;
}

} // namespace

std::vector<std::uint8_t> encode_learner(const learner_state& s) {
  std::vector<std::uint8_t> out;
  byte_sink sink{out};
  msgpack::packer<byte_sink> pk{sink};
  pk.pack_array(7);
  pk.pack(learner_codec_version);
  pk.pack_array(static_cast<std::uint32_t>(s.skills.size()));
  for (const auto& r : s.skills) {
    pk.pack_array(5);
    pk.pack(r.skill);
    pk.pack(r.p_known);
    pk.pack(r.attempts);
    pk.pack(r.correct);
    pk.pack_double(r.last_at);
  }
  pk.pack_array(static_cast<std::uint32_t>(s.items.size()));
  for (const auto& r : s.items) {
    pk.pack_array(9);
    pk.pack(r.item);
    pk.pack(r.skill);
    pk.pack_double(r.memory.stability_days);
    pk.pack_double(r.memory.difficulty);
    pk.pack(r.memory.reviews);
    pk.pack(r.memory.lapses);
    pk.pack_double(r.last_review);
    pk.pack(r.attempts);
    pk.pack(r.correct);
  }
  pk.pack_array(static_cast<std::uint32_t>(s.modalities.size()));
  for (const auto& m : s.modalities) {
    pk.pack_array(3);
    pk.pack_double(m.engaged_s);
    pk.pack(m.answers);
    pk.pack(m.correct);
  }
  pk.pack_double(s.block_start);
  pk.pack_double(s.last_activity);
  pk.pack(s.answers);
  return out;
}

std::optional<learner_state> decode_learner(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size == 0 || size > max_learner_bytes) {
    return std::nullopt;
  }
  try {
    std::size_t offset = 0;
    // Arrays of at most 2^20 records, strings under 64 KiB, nesting 3 (state, list, record).
    auto handle = msgpack::unpack(reinterpret_cast<const char*>(data), size, offset, nullptr,
                                  nullptr, msgpack::unpack_limit(1U << 20, 0, 1U << 16, 0, 0, 3));
    if (offset != size) {
      return std::nullopt;
    }
    const auto& o = handle.get();
    if (element(o, 0, 7).as<int>() != learner_codec_version) {
      return std::nullopt;
    }
    learner_state s;
    for (const auto& r : std::span{list(element(o, 1, 7)).ptr, list(element(o, 1, 7)).size}) {
      skill_record x;
      x.skill = element(r, 0, 5).as<std::string>();
      x.p_known = element(r, 1, 5).as<float>();
      x.attempts = element(r, 2, 5).as<std::uint32_t>();
      x.correct = element(r, 3, 5).as<std::uint32_t>();
      x.last_at = element(r, 4, 5).as<double>();
      if (!(x.p_known >= 0 && x.p_known <= 1) || x.correct > x.attempts) {
        return std::nullopt;
      }
      s.skills.push_back(std::move(x));
    }
    for (const auto& r : std::span{list(element(o, 2, 7)).ptr, list(element(o, 2, 7)).size}) {
      item_record x;
      x.item = element(r, 0, 9).as<std::string>();
      x.skill = element(r, 1, 9).as<std::string>();
      x.memory.stability_days = element(r, 2, 9).as<double>();
      x.memory.difficulty = element(r, 3, 9).as<double>();
      x.memory.reviews = element(r, 4, 9).as<std::uint32_t>();
      x.memory.lapses = element(r, 5, 9).as<std::uint32_t>();
      x.last_review = element(r, 6, 9).as<double>();
      x.attempts = element(r, 7, 9).as<std::uint32_t>();
      x.correct = element(r, 8, 9).as<std::uint32_t>();
      if (!(x.memory.stability_days >= 0) || x.correct > x.attempts) {
        return std::nullopt;
      }
      s.items.push_back(std::move(x));
    }
    const auto& mods = list(element(o, 3, 7));
    if (mods.size != s.modalities.size()) {
      return std::nullopt;
    }
    for (std::uint32_t i = 0; i < mods.size; ++i) {
      s.modalities[i].engaged_s = element(mods.ptr[i], 0, 3).as<double>();
      s.modalities[i].answers = element(mods.ptr[i], 1, 3).as<std::uint32_t>();
      s.modalities[i].correct = element(mods.ptr[i], 2, 3).as<std::uint32_t>();
    }
    s.block_start = element(o, 4, 7).as<double>();
    s.last_activity = element(o, 5, 7).as<double>();
    s.answers = element(o, 6, 7).as<std::uint32_t>();
    auto by_skill = [](const skill_record& a, const skill_record& b) { return a.skill < b.skill; };
    auto by_item = [](const item_record& a, const item_record& b) { return a.item < b.item; };
    if (!std::is_sorted(s.skills.begin(), s.skills.end(), by_skill)
        || !std::is_sorted(s.items.begin(), s.items.end(), by_item)) {
      return std::nullopt;
    }
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// -- the engine --------------------------------------------------------------------------------

const char* to_string(next_step::kind k) noexcept {
  switch (k) {
  case next_step::kind::review:
    return "review";
  case next_step::kind::practice:
    return "practice";
  case next_step::kind::none:
    return "none";
  }
  return "none";
}

learning_engine::learning_engine(learning_config cfg, skill_graph graph,
                                 std::vector<catalog_item> catalog)
  : cfg_(std::move(cfg)), graph_(std::move(graph)), catalog_(std::move(catalog)) {
  for (std::size_t i = 0; i < catalog_.size(); ++i) {
    by_id_.emplace(catalog_[i].id, i);
  }
}

double learning_engine::difficulty_of(std::string_view item) const noexcept {
  auto i = by_id_.find(item);
  return i == by_id_.end() ? 0 : catalog_[i->second].difficulty;
}

std::optional<answer_outcome> learning_engine::observe(learner_state& s,
                                                       const interaction& x) const {
  if (!cfg_.enabled) {
    return std::nullopt;
  }
  const double t = x.timestamp;
  if (s.last_activity == 0 || t - s.last_activity >= cfg_.break_gap_s) {
    s.block_start = t;
  }
  s.last_activity = std::max(s.last_activity, t);
  const bool graded = is_graded_answer(x);
  if (x.modality >= 0 && x.modality < learning_style_count) {
    auto& m = s.modalities[static_cast<std::size_t>(x.modality)];
    m.engaged_s += std::min(max_engagement_s,
                            positive_or_zero(x.dwell_time) + positive_or_zero(x.response_time));
    if (graded) {
      ++m.answers;
      m.correct += x.correct > 0 ? 1 : 0;
    }
  }
  if (!graded) {
    return std::nullopt;
  }
  const bool right = x.correct > 0;
  answer_outcome out;
  out.correct = right;
  out.p_predicted = predict(s, x.skill, difficulty_of(x.item_id));
  auto& sk = upsert(s.skills, x.skill, &skill_record::skill, &skill_record::last_at,
                    cfg_.max_skills);
  const auto& bkt = bkt_of(x.skill);
  const double before = sk.attempts > 0 ? sk.p_known : bkt.init;
  sk.p_known = static_cast<float>(bkt.posterior(before, right));
  ++sk.attempts;
  sk.correct += right ? 1 : 0;
  sk.last_at = std::max(sk.last_at, t);
  out.p_known = sk.p_known;
  if (!x.item_id.empty()) {
    auto& it = upsert(s.items, x.item_id, &item_record::item, &item_record::last_review,
                      cfg_.max_items);
    const double elapsed = it.memory.reviews > 0 ? t - it.last_review : 0;
    it.memory = review(it.memory, right, elapsed, cfg_.fsrs);
    it.skill = x.skill;
    it.last_review = std::max(it.last_review, t);
    ++it.attempts;
    it.correct += right ? 1 : 0;
  }
  ++s.answers;
  return out;
}

double learning_engine::mastery(const learner_state& s, std::string_view skill) const noexcept {
  const auto* r = s.find_skill(skill);
  return r != nullptr && r->attempts > 0 ? r->p_known : bkt_of(skill).init;
}

const bkt_params& learning_engine::bkt_of(std::string_view skill) const noexcept {
  auto it = cfg_.skill_bkt.find(skill);
  return it != cfg_.skill_bkt.end() ? it->second : cfg_.bkt;
}

mastery_map learning_engine::mastery(const learner_state& s) const {
  mastery_map m;
  for (const auto& r : s.skills) {
    m.emplace(r.skill, r.p_known);
  }
  return m;
}

double learning_engine::predict(const learner_state& s, std::string_view skill,
                                double difficulty) const noexcept {
  const double p = bkt_of(skill).p_correct(mastery(s, skill));
  if (difficulty == 0 || std::isnan(difficulty)) {
    return std::clamp(p, p_floor, 1 - p_floor);
  }
  return std::clamp(sigmoid(logit(p) - difficulty), p_floor, 1 - p_floor);
}

next_step learning_engine::next(const learner_state& s, const learner_strain& strain,
                                double now) const {
  next_step out;
  const auto& prog = cfg_.progression;
  out.band = effective_band(strain, prog);
  const bool active = s.last_activity > 0 && now - s.last_activity < cfg_.break_gap_s;
  out.minutes_active = active ? std::max(0.0, s.last_activity - s.block_start) / 60 : 0;
  out.pause = suggest_break(strain.fatigue, out.minutes_active, cfg_.breaks);
  const double load_strain
    = clamp01((strain.cognitive_load - prog.load_onset) / (1 - prog.load_onset));
  out.visual_complexity = 1 - 0.7 * load_strain;

  // 1. The most overdue review.
  const item_record* due = nullptr;
  double due_recall = cfg_.target_recall;
  for (const auto& it : s.items) {
    if (it.memory.reviews == 0) {
      continue;
    }
    double r = recall_probability(it.memory, std::max(0.0, now - it.last_review), cfg_.fsrs);
    if (r < due_recall) {
      due = &it;
      due_recall = r;
    }
  }
  if (due != nullptr) {
    out.what = next_step::kind::review;
    out.item_id = due->item;
    out.skill = due->skill;
    out.recall = due_recall;
    out.p_success = predict(s, due->skill, difficulty_of(due->item));
    out.in_band = out.p_success >= out.band.low && out.p_success <= out.band.high;
    out.reason = "predicted recall below the target: review before it is forgotten";
    return out;
  }

  // 2. New practice, in the band, prerequisites mastered.
  std::vector<candidate_item> candidates;
  std::vector<double> difficulty;
  if (!catalog_.empty()) {
    for (const auto& c : catalog_) {
      if (s.find_item(c.id) == nullptr) {
        candidates.push_back({c.id, c.skill, 0});
        difficulty.push_back(c.difficulty);
      }
    }
  } else {
    auto add_skill = [&](const std::string& skill) {
      if (mastery(s, skill) < prog.mastery_threshold
          && std::none_of(candidates.begin(), candidates.end(),
                          [&](const candidate_item& c) { return c.skill == skill; })) {
        candidates.push_back({"", skill, 0});
        difficulty.push_back(0);
      }
    };
    for (const auto& skill : graph_.topological_order()) {
      add_skill(skill);
    }
    for (const auto& r : s.skills) {
      add_skill(r.skill);
    }
  }
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    candidates[i].p_success = predict(s, candidates[i].skill, difficulty[i]);
  }
  auto chosen = choose_next(candidates, mastery(s), graph_, strain, prog);
  if (const auto* err = std::get_if<progression_errc>(&chosen)) {
    out.reason = *err == progression_errc::no_candidates
                   ? (catalog_.empty() ? "every known skill is mastered"
                                       : "every catalogue item answered and none due for review")
                   : to_string(*err);
    return out;
  }
  const auto& c = std::get<item_choice>(chosen);
  out.what = next_step::kind::practice;
  out.item_id = candidates[c.index].id;
  out.skill = candidates[c.index].skill;
  out.p_success = c.p_success;
  out.in_band = c.in_band;
  out.band = c.band;
  out.reason = c.in_band ? "predicted success inside the target band"
                         : "nearest to the target band (none inside it)";
  return out;
}

std::optional<std::vector<path_step>> learning_engine::path(const learner_state& s,
                                                            std::string_view goal) const {
  const double threshold = cfg_.progression.mastery_threshold;
  std::vector<path_step> out;
  if (!graph_.contains(goal)) {
    if (s.find_skill(goal) == nullptr) {
      return std::nullopt;
    }
    if (mastery(s, goal) < threshold) {
      out.push_back({std::string{goal}, mastery(s, goal), {}});
    }
    return out;
  }
  for (auto& skill : graph_.path_to(goal, mastery(s), threshold)) {
    path_step step;
    step.p_known = mastery(s, skill);
    step.prerequisites = graph_.prerequisites(skill);
    step.skill = std::move(skill);
    out.push_back(std::move(step));
  }
  return out;
}

style_estimate learning_engine::style(const learner_state& s) const noexcept {
  style_estimate out;
  double total = 0;
  for (const auto& m : s.modalities) {
    total += m.engaged_s / 60 + m.answers;
  }
  out.evidence = total;
  if (total <= 0) {
    out.scores.fill(1.0 / learning_style_count);
    return out;
  }
  // Laplace-smoothed share of engagement (minutes plus answers) times smoothed success rate.
  constexpr double alpha = 1;
  double sum = 0;
  for (std::size_t i = 0; i < s.modalities.size(); ++i) {
    const auto& m = s.modalities[i];
    double share = (m.engaged_s / 60 + m.answers + alpha) / (total + alpha * learning_style_count);
    double success = (m.correct + 1.0) / (m.answers + 2.0);
    out.scores[i] = share * success;
    sum += out.scores[i];
  }
  for (auto& x : out.scores) {
    x /= sum;
  }
  auto sorted = out.scores;
  std::sort(sorted.begin(), sorted.end(), std::greater<>{});
  auto best = std::max_element(out.scores.begin(), out.scores.end());
  out.primary = static_cast<learning_style>(best - out.scores.begin());
  // More evidence and a clearer margin over the runner-up make a surer preference.
  out.confidence = (1 - std::exp(-total / 10)) * clamp01((sorted[0] - sorted[1]) * 5);
  return out;
}

double learning_engine::next_review_at(const learner_state& s, std::string_view item) const {
  const auto* r = s.find_item(item);
  if (r == nullptr || r->memory.reviews == 0) {
    return 0;
  }
  return r->last_review + next_review(r->memory, cfg_.target_recall, cfg_.fsrs);
}

} // namespace aia::model::learning
