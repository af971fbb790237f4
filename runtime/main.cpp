// aia-node: a thin main over the composition root (runtime/node).
#include "runtime/config.hpp"
#include "runtime/log.hpp"
#include "runtime/node.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <pthread.h>

extern char** environ;

namespace {

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv{*e};
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  return env;
}

} // namespace

int main(int argc, char** argv) {
  using namespace aia::runtime;
  auto loaded = load_config(std::vector<std::string>(argv + 1, argv + argc), environment());
  if (std::holds_alternative<help_requested>(loaded)) {
    std::cout << help_text();
    return 0;
  }
  if (auto* err = std::get_if<config_error>(&loaded)) {
    std::cerr << "error: " << err->key << ": " << err->message << "\n";
    return 2;
  }
  auto cfg = std::get<node_config>(std::move(loaded));
  aia::log::init(cfg.log_level, cfg.host + ":" + std::to_string(cfg.port));

  // Signals are taken by sigwait below: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  node n{cfg};
  try {
    auto port = n.start();
    if (cfg.dev) {
      // Development only: tokens for the README's examples, each on a line of its own.
      std::cout << "aia-node: development mode: tokens are signed with a random development "
                   "key; never use --dev / AIA_DEV=1 in production\n";
      for (const auto& [who, token] : n.dev_tokens()) {
        std::cout << "aia-node: token for " << who << ", valid 24 h:\n" << token << "\n";
      }
    }
    std::cout << "aia-node: listening on " << (cfg.tls.cert_file.empty() ? "http" : "https")
              << "://" << cfg.host << ":" << port << std::endl;
    if (auto mp = n.metrics_port(); mp != 0) {
      auto host = cfg.gateway.metrics_address.substr(0, cfg.gateway.metrics_address.rfind(':'));
      std::cout << "aia-node: metrics on http://" << host << ":" << mp << "/metrics" << std::endl;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";  // a bad auth.* or tls.* setting: as any bad config
    return 2;
  } catch (const std::exception& e) {
    aia::log::error("node.start_failed", {{"reason", std::string{e.what()}}});
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  aia::log::info("node.signal", {{"signal", static_cast<std::int64_t>(sig)}});
  n.shutdown();
  return 0;
}
