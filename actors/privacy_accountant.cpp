// Budgets by name, each loaded once, charged in order, written before any grant is answered.
#include "actors/privacy_accountant.hpp"

#include "actors/messages/privacy.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <unordered_map>

namespace aia::actors {

namespace {

constexpr std::string_view budget_kind = "budget";

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct waiting_spend {
  spend_request request;
  caf::typed_response_promise<budget_report> promise;
};

struct budget_slot {
  bool loaded = false;
  bool loading = false;
  privacy::privacy_budget staged;  ///< every spend granted or being written
  std::uint64_t version = 0;       ///< the record version of `staged`
  std::vector<waiting_spend> waiting;  ///< spends that came while it was loading
};

struct accountant_state {
  static inline const char* name = "privacy_accountant";
  std::unordered_map<std::string, budget_slot> budgets;
};

using accountant_ptr = caf::stateful_actor<accountant_state>*;

struct accountant_env {
  caf::actor store;
  accountant_options opt;
  runtime::counter* granted;
  runtime::counter* exhausted;
  runtime::gauge* global_utilisation;
};

privacy::budget_limits limits_of(const accountant_env& env, const std::string& budget) {
  return budget == global_budget ? env.opt.global : env.opt.user;
}

budget_report report_of(const privacy::privacy_budget& b, bool granted) {
  auto spent = b.spent();
  return budget_report{granted,
                       spent.epsilon,
                       spent.delta,
                       b.limits().epsilon,
                       b.limits().delta,
                       b.resets_at(),
                       static_cast<std::uint64_t>(b.ledger().size()),
                       b.ledger().empty() ? "none" : privacy::to_string(spent.method)};
}

void note_utilisation(const accountant_env& env, const std::string& budget,
                      const privacy::privacy_budget& b) {
  if (budget == global_budget) {
    env.global_utilisation->set(b.utilisation());
  }
}

/// Charges one spend against a loaded budget: refused at once, or written and then granted.
void charge(accountant_ptr self, const accountant_env& env, const std::string& name,
            spend_request& r, caf::typed_response_promise<budget_report> rp) {
  auto& slot = self->state.budgets[name];
  auto next = slot.staged;
  auto now = wall_now();
  privacy::ledger_entry entry{std::move(r.operation), std::move(r.purpose),
                              privacy::dp_release{static_cast<privacy::mechanism_kind>(
                                                    r.mechanism > 1 ? 0 : r.mechanism),
                                                  r.epsilon, r.delta, r.sigma, r.sensitivity},
                              now};
  auto outcome = next.try_spend(std::move(entry), now);
  if (std::holds_alternative<privacy::budget_exhausted>(outcome)) {
    env.exhausted->inc();
    slot.staged = std::move(next);  // a window may have rolled
    rp.deliver(report_of(slot.staged, false));
    return;
  }
  slot.staged = next;
  auto version = ++slot.version;
  runtime::user_record rec{name, std::string{budget_kind}, version, next.encode(), now};
  self->request(env.store, caf::infinite, put_record_atom::value, std::move(rec))
    .then(
      [self, env, name, next, rp](bool) mutable {
        env.granted->inc();
        note_utilisation(env, name, next);
        rp.deliver(report_of(next, true));
      },
      [self, name, rp](caf::error& err) mutable {
        // Nothing is released: the caller gets an error. The budget is read again on next use.
        log::error("accountant.write_failed", {{"errc", caf::to_string(err)}});
        self->state.budgets.erase(name);
        rp.deliver(make_error(session_errc::store_failed));
      });
}

void load(accountant_ptr self, const accountant_env& env, const std::string& name) {
  auto& slot = self->state.budgets[name];
  slot.loading = true;
  self->request(env.store, caf::infinite, load_atom::value, name)
    .then(
      [self, env, name](loaded_history& h) {
        auto& slot = self->state.budgets[name];
        slot.loading = false;
        slot.loaded = true;
        slot.staged = privacy::privacy_budget{limits_of(env, name)};
        for (const auto& rec : h.records) {
          if (rec.kind != budget_kind) {
            continue;
          }
          auto b = privacy::privacy_budget::decode(rec.data.data(), rec.data.size(),
                                                   limits_of(env, name));
          if (!b) {
            // An unreadable ledger must never count as an empty one: refuse every spend.
            log::error("accountant.ledger_unreadable", {{"version", rec.version}});
            for (auto& w : slot.waiting) {
              w.promise.deliver(make_error(session_errc::unreadable));
            }
            self->state.budgets.erase(name);
            return;
          }
          slot.staged = std::move(*b);
          slot.version = rec.version;
        }
        note_utilisation(env, name, slot.staged);
        auto waiting = std::move(slot.waiting);
        for (auto& w : waiting) {
          charge(self, env, name, w.request, w.promise);
        }
      },
      [self, name](caf::error& err) {
        log::error("accountant.load_failed", {{"errc", caf::to_string(err)}});
        auto slot = std::move(self->state.budgets[name]);
        self->state.budgets.erase(name);
        for (auto& w : slot.waiting) {
          w.promise.deliver(make_error(session_errc::store_failed));
        }
      });
}

caf::behavior accountant(accountant_ptr self, accountant_env env) {
  return {
    [self, env](spend_atom, spend_request& r) -> caf::result<budget_report> {
      auto name = r.budget;
      auto rp = self->make_response_promise<budget_report>();
      auto& slot = self->state.budgets[name];
      if (!slot.loaded) {
        slot.waiting.push_back({std::move(r), rp});
        if (!slot.loading) {
          load(self, env, name);
        }
        return rp;
      }
      charge(self, env, name, r, rp);
      return rp;
    },
    [self, env](budget_atom, const std::string& name) -> caf::result<budget_report> {
      auto i = self->state.budgets.find(name);
      if (i != self->state.budgets.end() && i->second.loaded) {
        i->second.staged.roll(wall_now());
        return report_of(i->second.staged, false);
      }
      // Not loaded yet: a zero spend would be refused, so load through a look-only path.
      auto rp = self->make_response_promise<budget_report>();
      self->request(env.store, caf::infinite, load_atom::value, name)
        .then(
          [env, name, rp](loaded_history& h) mutable {
            privacy::privacy_budget b{limits_of(env, name)};
            for (const auto& rec : h.records) {
              if (rec.kind == budget_kind) {
                if (auto d = privacy::privacy_budget::decode(rec.data.data(), rec.data.size(),
                                                             limits_of(env, name))) {
                  b = std::move(*d);
                }
              }
            }
            b.roll(wall_now());
            rp.deliver(report_of(b, false));
          },
          [rp](caf::error&) mutable { rp.deliver(make_error(session_errc::store_failed)); });
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_privacy_accountant(caf::actor_system& sys, caf::actor store,
                                    accountant_options opt, runtime::metrics_registry& metrics) {
  accountant_env env{
    std::move(store), opt,
    &metrics.get_counter("privacy_spends_total", "Differentially private releases charged"),
    &metrics.get_counter("errors_total", "Requests refused, by reason",
                         {{"reason", "privacy_budget_exhausted"}}),
    &metrics.get_gauge("privacy_budget_consumption_rate",
                       "Share of the global privacy budget's epsilon spent in this window")};
  return sys.spawn(accountant, std::move(env));
}

} // namespace aia::actors
