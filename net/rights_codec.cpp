// The data-rights JSON views.
#include "net/rights_codec.hpp"

#include "net/consent_codec.hpp"
#include "net/detail/json_writer.hpp"
#include "privacy/budget.hpp"

#include <cmath>
#include <map>

namespace aia::net {

namespace {

using detail::json_writer;
using detail::spelling;

/// Writes a number field only when the interaction has it.
void optional_number(json_writer& w, std::string_view name, double x) {
  if (!std::isnan(x)) {
    w.name_key(name).value(x);
  }
}

void write_event(json_writer& w, const actors::exported_event& e) {
  const auto& x = e.interaction;
  w.begin_object()
    .name_key("seq").value(e.seq)
    .name_key("stored_at").value(e.stored_at)
    .name_key("timestamp").value(x.timestamp)
    .name_key("interaction_type").value(model::to_string(x.type));
  if (!x.element_id.empty()) {
    w.name_key("element_id").value(x.element_id);
  }
  optional_number(w, "response_time", x.response_time);
  optional_number(w, "dwell_time", x.dwell_time);
  optional_number(w, "scroll_distance", x.scroll_distance);
  optional_number(w, "session_duration", x.session_duration);
  if (x.device != model::device_type::unknown) {
    w.name_key("device_type").value(model::to_string(x.device));
  }
  if (x.tab_active >= 0) {
    w.name_key("tab_active").value(x.tab_active == 1);
  }
  if (x.modality >= 0 || x.correct >= 0) {
    w.name_key("learning_data").begin_object();
    if (!x.item_id.empty()) {
      w.name_key("item_id").value(x.item_id);
    }
    if (!x.skill.empty()) {
      w.name_key("skill").value(x.skill);
    }
    if (x.correct >= 0) {
      w.name_key("correct").value(x.correct == 1);
    }
    if (x.modality >= 0) {
      w.name_key("modality").value(model::to_string(static_cast<model::learning_style>(x.modality)));
    }
    w.end_object();
  }
  if (!e.client_id.empty()) {
    w.name_key("client_id").value(e.client_id).name_key("client_seq").value(e.client_seq);
  }
  w.end_object();
}

void write_ledger(json_writer& w, const privacy::privacy_budget& b) {
  w.begin_array();
  for (const auto& e : b.ledger()) {
    w.begin_object()
      .name_key("operation").value(e.operation)
      .name_key("purpose").value(e.purpose)
      .name_key("mechanism")
      .value(e.release.kind == privacy::mechanism_kind::gaussian ? "gaussian" : "laplace")
      .name_key("epsilon").value(e.release.epsilon)
      .name_key("delta").value(e.release.delta)
      .name_key("at").value(e.at)
      .end_object();
  }
  w.end_array();
}

/// A record: consent as its view, a budget as its ledger, other kinds by their metadata only.
void write_record(json_writer& w, const actors::user_export& x, const runtime::user_record& r,
                  privacy::consent_mode mode) {
  w.begin_object()
    .name_key("kind").value(r.kind)
    .name_key("version").value(r.version)
    .name_key("updated_at").value(r.updated_at)
    .name_key("content");
  if (r.kind == "consent") {
    if (auto c = privacy::consent_state::decode(r.data.data(), r.data.size())) {
      w.raw(rest_consent(x.user_id, *c, mode));
    } else {
      w.null();
    }
  } else if (r.kind == "budget") {
    if (auto b = privacy::privacy_budget::decode(r.data.data(), r.data.size(), {})) {
      w.begin_object().name_key("ledger");
      write_ledger(w, *b);
      w.end_object();
    } else {
      w.null();
    }
  } else {
    w.begin_object().name_key("bytes").value(r.data.size()).end_object();
  }
  w.end_object();
}

} // namespace

std::string rest_erasure_receipt(const actors::erasure_receipt& r, std::string_view receipt_id) {
  json_writer w{spelling::snake, 768};
  w.begin_object()
    .name_key("receipt_id").value(receipt_id)
    .name_key("user_id").value(r.user_id)
    .name_key("erased").value(true)
    .name_key("requested_at").value(r.requested_at)
    .name_key("completed_at").value(r.completed_at)
    .name_key("deleted").begin_object()
    .name_key("events").value(r.events)
    .name_key("snapshots").value(r.snapshots)
    .name_key("records").value(r.records)
    .end_object()
    .name_key("locations").begin_array();
  w.begin_object().name_key("place").value("store").name_key("backend").value(r.store_backend)
    .name_key("what").value("events, snapshots, consent history, budget ledger").end_object();
  if (r.session_stopped) {
    w.begin_object().name_key("place").value("session").name_key("node").value(r.node)
      .name_key("what").value("in-memory state, buffers and feature window").end_object();
  }
  if (r.budget_forgotten) {
    w.begin_object().name_key("place").value("privacy_accountant").name_key("node").value(r.node)
      .name_key("what").value("cached privacy budget").end_object();
  }
  w.end_array()
    .name_key("kept")
    .value("an audit entry under the user's keyed pseudonym (no user id, no data)");
  w.end_object();
  return w.take();
}

std::string rest_user_export(const actors::user_export& x) {
  auto mode = static_cast<privacy::consent_mode>(x.consent_mode);
  json_writer w{spelling::snake, 2048 + 256 * x.events.size()};
  w.begin_object()
    .name_key("user_id").value(x.user_id)
    .name_key("exported_at").value(x.exported_at)
    .name_key("format").value("aia-user-export/1")
    .name_key("profile");
  if (x.has_profile) {
    w.raw(rest_profile(x.profile));
  } else {
    w.null();
  }
  w.name_key("events").begin_array();
  for (const auto& e : x.events) {
    write_event(w, e);
  }
  w.end_array().name_key("snapshot");
  if (x.has_snapshot) {
    w.begin_object()
      .name_key("covers_events_to_seq").value(x.snapshot.seq)
      .name_key("updated_at").value(x.snapshot.updated_at)
      .name_key("bytes").value(x.snapshot.data.size())
      .name_key("what").value("the model's feature window derived from the events")
      .end_object();
  } else {
    w.null();
  }
  w.name_key("records").begin_array();
  for (const auto& r : x.records) {
    write_record(w, x, r, mode);
  }
  w.end_array().end_object();
  return w.take();
}

std::string rest_compliance(const actors::compliance_report& r) {
  std::map<std::string, std::pair<int, int>> score;  // regulation -> (holding, all)
  for (const auto& d : r.duties) {
    auto& s = score[d.regulation];
    s.first += d.holds ? 1 : 0;
    ++s.second;
  }
  json_writer w{spelling::snake, 1024 + 384 * r.duties.size()};
  w.begin_object()
    .name_key("computed_at").value(r.computed_at)
    .name_key("privacy_level").value(r.level)
    .name_key("consent_mode").value(r.consent_mode)
    .name_key("scores").begin_object();
  for (const auto& [reg, s] : score) {
    w.name_key(reg).value(s.second > 0 ? static_cast<double>(s.first) / s.second : 1.0);
  }
  w.end_object().name_key("duties").begin_array();
  for (const auto& d : r.duties) {
    w.begin_object()
      .name_key("regulation").value(d.regulation)
      .name_key("duty").value(d.duty)
      .name_key("holds").value(d.holds)
      .name_key("detail").value(d.detail)
      .name_key("figures").begin_object();
    for (const auto& f : d.figures) {
      w.name_key(f.name).value(f.value);
    }
    w.end_object().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

} // namespace aia::net
