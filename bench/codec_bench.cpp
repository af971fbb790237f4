// codec_bench: what the gateway's JSON codec costs per message, on the load generator's messages.
//
//   codec_bench [--calls N]
//
// Times, single-threaded, the median of 5 passes of N calls (default 20000) each:
//   - parse_ws_message on an interaction_batch of 1 and of 8 interactions (ws_loadgen's bytes);
//   - parse_interaction on one REST body (the spec's example, snake_case);
//   - ws_user_state_update, the frame every batch is answered with.
#include "bench/bench_args.hpp"
#include "bench/loadgen_wire.hpp"
#include "net/json_codec.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double per_call_ns(std::size_t calls, F&& f) {
  std::vector<double> t;
  for (int p = 0; p < 5; ++p) {
    auto start = clock_type::now();
    for (std::size_t i = 0; i < calls; ++i) {
      f();
    }
    t.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count()
                / static_cast<double>(calls));
  }
  return median(t);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

int main(int argc, char** argv) {
  using namespace aia;
  const auto calls = static_cast<std::size_t>(bench::option(argc, argv, "--calls", 20000));
  const net::codec_limits limits;
  const double now = now_seconds();
  std::size_t sink = 0;

  auto ws_parse = [&](int n) {
    const auto text = bench::make_batch("bench-user", "c1", 7, n);
    auto check = net::parse_ws_message(text, "bench-user", limits, now);
    if (!std::holds_alternative<net::ws_inbound>(check)) {
      std::fprintf(stderr, "codec_bench: the batch was refused: %s\n",
                   std::get<net::wire_error>(check).message.c_str());
      std::exit(1);
    }
    double ns = per_call_ns(calls, [&] {
      auto r = net::parse_ws_message(text, "bench-user", limits, now);
      sink += std::get<net::ws_inbound>(r).interactions.size();
    });
    std::printf("parse_ws_message, %d interaction%s (%zu bytes): %8.0f ns\n", n,
                n == 1 ? " " : "s", text.size(), ns);
  };
  ws_parse(1);
  ws_parse(8);

  const std::string rest = R"({"user_id":"bench-user","timestamp":)"
                           + std::to_string(static_cast<long long>(now * 1000))
                           + R"(,"interaction_type":"click","element_id":"lesson-3-next",)"
                             R"("timing_data":{"response_time":1.2,"dwell_time":4.5},)"
                             R"("viewport_data":{"scroll_distance":120,"device_type":"desktop"},)"
                             R"("context_data":{"tab_active":true,"session_duration":600000}})";
  double rest_ns = per_call_ns(calls, [&] {
    auto r = net::parse_interaction(rest, limits, now);
    sink += r.index();
  });
  std::printf("parse_interaction, REST body (%zu bytes):     %8.0f ns\n", rest.size(), rest_ns);

  model::user_state state;
  double write_ns = per_call_ns(calls, [&] { sink += net::ws_user_state_update(state).size(); });
  std::printf("ws_user_state_update:                        %8.0f ns\n", write_ns);
  return sink == 0 ? 1 : 0;
}
