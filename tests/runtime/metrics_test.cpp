// Tests of the Prometheus metrics registry.
#include "runtime/metrics.hpp"

#include <catch2/catch.hpp>

using namespace aia::runtime;

TEST_CASE("counters, gauges and histograms render in the text exposition format") {
  metrics_registry reg;
  reg.get_counter("http_requests_total", "HTTP requests", {{"route", "/x"}, {"status", "200"}})
    .inc(3);
  reg.get_gauge("sessions_active", "Active sessions").set(2);
  auto& h = reg.get_histogram("processing_time_seconds", "Processing time", {0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(1.0);
  reg.add_callback_gauge("memory_per_active_user_bytes", "Memory", [] { return 42.0; });
  auto text = reg.render();
  CHECK_THAT(text, Catch::Contains("# TYPE http_requests_total counter\n"));
  CHECK_THAT(text, Catch::Contains("http_requests_total{route=\"/x\",status=\"200\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("sessions_active 2\n"));
  CHECK_THAT(text, Catch::Contains("processing_time_seconds_bucket{le=\"0.001\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("processing_time_seconds_bucket{le=\"0.01\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("processing_time_seconds_bucket{le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("processing_time_seconds_count 3\n"));
  CHECK_THAT(text, Catch::Contains("memory_per_active_user_bytes 42\n"));
}

TEST_CASE("a series is created once and keeps its identity") {
  metrics_registry reg;
  auto& a = reg.get_counter("x_total", "x", {{"k", "v"}});
  auto& b = reg.get_counter("x_total", "x", {{"k", "v"}});
  CHECK(&a == &b);
  CHECK(&a != &reg.get_counter("x_total", "x", {{"k", "w"}}));
  CHECK_THROWS(reg.get_gauge("x_total", "x"));
}

TEST_CASE("label values are escaped") {
  metrics_registry reg;
  reg.get_counter("e_total", "e", {{"reason", "a\"b\\c\nd"}}).inc();
  CHECK_THAT(reg.render(), Catch::Contains("e_total{reason=\"a\\\"b\\\\c\\nd\"} 1"));
}
