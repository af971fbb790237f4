// learning_bench: what the node's learner costs per answer and per question, and its memory.
//
//   learning_bench [--learners N] [--answers K] [--skills S] [--items I]
//
// N learners (default 1000) each answer K items (default 200) drawn from a catalogue of I items
// (default 300) over S skills (default 30) in a prerequisite chain, through the same
// learning_engine the session actor uses. Reported: the time of observe() per graded answer
// (BKT + FSRS + modality update), of predict() per item, of next() (the whole next-item choice
// over the catalogue) and path() per call, the snapshot encoding per learner, and the learner's
// bytes. Single-threaded; each figure is the median of 5 passes.
#include "bench/bench_args.hpp"
#include "model/learning/learner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace aia::model;
using namespace aia::model::learning;
using clock_type = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double per_call_ns(int passes, std::size_t calls, F&& f) {
  std::vector<double> t;
  for (int p = 0; p < passes; ++p) {
    auto start = clock_type::now();
    f();
    t.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count()
                / static_cast<double>(calls));
  }
  return median(t);
}

} // namespace

int main(int argc, char** argv) {
  const auto learners = static_cast<std::size_t>(aia::bench::option(argc, argv, "--learners", 1000));
  const auto answers = static_cast<std::size_t>(aia::bench::option(argc, argv, "--answers", 200));
  const auto skills = static_cast<std::size_t>(aia::bench::option(argc, argv, "--skills", 30));
  const auto items = static_cast<std::size_t>(aia::bench::option(argc, argv, "--items", 300));

  std::vector<skill_edge> edges;
  std::vector<std::string> names;
  for (std::size_t s = 0; s < skills; ++s) {
    names.push_back("skill-" + std::to_string(s));
    if (s > 0) {
      edges.push_back({names[s - 1], names[s]});
    }
  }
  std::vector<catalog_item> catalog;
  std::mt19937_64 rng{7};
  std::normal_distribution<double> difficulty{0, 1};
  for (std::size_t i = 0; i < items; ++i) {
    catalog.push_back({"item-" + std::to_string(i), names[i % skills], difficulty(rng),
                       static_cast<std::int8_t>(i % 4)});
  }
  learning_engine engine{learning_config{}, std::get<skill_graph>(skill_graph::from_edges(edges)),
                         catalog};

  // The answers every pass replays: learner l answers item (l * 7 + k) mod items at 45 s steps.
  std::vector<interaction> stream;
  std::bernoulli_distribution right{0.7};
  for (std::size_t k = 0; k < answers; ++k) {
    interaction x;
    x.type = interaction_type::answer;
    x.timestamp = 1.8e9 + 45.0 * static_cast<double>(k);
    const auto& c = catalog[(k * 7) % items];
    x.item_id = c.id;
    x.skill = c.skill;
    x.correct = right(rng) ? 1 : 0;
    x.modality = c.modality;
    x.response_time = 20;
    stream.push_back(x);
  }
  std::vector<learner_state> state(learners);
  const double observe_ns = per_call_ns(5, learners * answers, [&] {
    for (auto& s : state) {
      s = learner_state{};
      for (const auto& x : stream) {
        engine.observe(s, x);
      }
    }
  });
  double sink = 0;
  const double predict_ns = per_call_ns(5, learners * skills, [&] {
    for (const auto& s : state) {
      for (const auto& n : names) {
        sink += engine.predict(s, n, 0.3);
      }
    }
  });
  const double now = 1.8e9 + 45.0 * static_cast<double>(answers) + 60;
  const double next_ns = per_call_ns(5, learners, [&] {
    for (const auto& s : state) {
      sink += engine.next(s, {0.4, 0.3}, now).p_success;
    }
  });
  const double path_ns = per_call_ns(5, learners, [&] {
    for (const auto& s : state) {
      sink += static_cast<double>(engine.path(s, names.back())->size());
    }
  });
  std::size_t encoded = 0;
  const double encode_ns = per_call_ns(5, learners, [&] {
    encoded = 0;
    for (const auto& s : state) {
      encoded += encode_learner(s).size();
    }
  });
  std::size_t bytes = 0;
  for (const auto& s : state) {
    bytes += s.memory_bytes();
  }
  std::printf("learners %zu, answers each %zu, skills %zu, catalogue items %zu\n", learners,
              answers, skills, items);
  std::printf("observe (graded answer: BKT + FSRS + modality) %8.0f ns per answer\n", observe_ns);
  std::printf("predict (p(correct) of an item)                %8.0f ns per item\n", predict_ns);
  std::printf("next (review or in-band item over the catalogue) %6.1f us per call\n",
              next_ns / 1e3);
  std::printf("path (to the last skill of the chain)          %8.1f us per call\n", path_ns / 1e3);
  std::printf("snapshot encoding                               %7.1f us per learner, %zu bytes\n",
              encode_ns / 1e3, encoded / learners);
  std::printf("learner in memory                               %7.1f KiB per learner\n",
              static_cast<double>(bytes) / static_cast<double>(learners) / 1024);
  std::printf("(checksum %.3f)\n", sink);
  return 0;
}
