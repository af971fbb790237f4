// Registration of the message types of every domain.
#include "runtime/type_ids.hpp"

#include "actors/messages/analytics.hpp"
#include "actors/messages/analyzer.hpp"
#include "actors/messages/audit.hpp"
#include "actors/messages/cluster.hpp"
#include "actors/messages/learning.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/rights.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"

#include <caf/actor_system_config.hpp>

namespace aia::runtime {

void register_message_types(caf::actor_system_config& cfg) {
  // model
  cfg.add_message_type<model::interaction>("aia.interaction");
  cfg.add_message_type<std::vector<model::interaction>>("aia.interaction_list");
  cfg.add_message_type<model::feature_vector>("aia.feature_vector");
  cfg.add_message_type<model::user_state>("aia.user_state");
  cfg.add_message_type<model::recommendation>("aia.recommendation");
  cfg.add_message_type<model::user_profile>("aia.user_profile");
  // session domain
  cfg.add_message_type<actors::interaction_batch>("aia.interaction_batch");
  cfg.add_message_type<actors::batch_ack>("aia.batch_ack");
  cfg.add_message_type<actors::batch_result>("aia.batch_result");
  cfg.add_message_type<actors::session_update>("aia.session_update");
  cfg.add_message_type<actors::supervisor_stats>("aia.supervisor_stats");
  cfg.add_message_type<actors::consent_update>("aia.consent_update");
  cfg.add_message_type<actors::consent_reply>("aia.consent_reply");
  cfg.add_message_type<actors::erasure_receipt>("aia.erasure_receipt");
  cfg.add_message_type<actors::feedback_update>("aia.feedback_update");
  cfg.add_message_type<actors::feedback_reply>("aia.feedback_reply");
  // learning
  cfg.add_message_type<actors::learning_query>("aia.learning_query");
  cfg.add_message_type<actors::skill_view>("aia.skill_view");
  cfg.add_message_type<std::vector<actors::skill_view>>("aia.skill_view_list");
  cfg.add_message_type<actors::learning_reply>("aia.learning_reply");
  // analyzer domain
  cfg.add_message_type<actors::analysis>("aia.analysis");
  // store domain
  cfg.add_message_type<runtime::stored_event>("aia.stored_event");
  cfg.add_message_type<std::vector<runtime::stored_event>>("aia.stored_event_list");
  cfg.add_message_type<runtime::snapshot_record>("aia.snapshot_record");
  cfg.add_message_type<std::vector<runtime::snapshot_record>>("aia.snapshot_record_list");
  cfg.add_message_type<actors::loaded_history>("aia.loaded_history");
  cfg.add_message_type<runtime::user_record>("aia.user_record");
  cfg.add_message_type<std::vector<runtime::user_record>>("aia.user_record_list");
  cfg.add_message_type<runtime::erase_counts>("aia.erase_counts");
  cfg.add_message_type<actors::user_page_msg>("aia.user_page_msg");
  cfg.add_message_type<actors::sweep_report>("aia.sweep_report");
  // privacy domain
  cfg.add_message_type<actors::spend_request>("aia.spend_request");
  cfg.add_message_type<actors::budget_report>("aia.budget_report");
  // analytics domain
  cfg.add_message_type<actors::aggregate_query>("aia.aggregate_query");
  cfg.add_message_type<actors::aggregate_release>("aia.aggregate_release");
  cfg.add_message_type<actors::anonymize_query>("aia.anonymize_query");
  cfg.add_message_type<actors::anonymized_release>("aia.anonymized_release");
  // audit and data-rights domains
  cfg.add_message_type<actors::audit_request>("aia.audit_request");
  cfg.add_message_type<actors::user_export>("aia.user_export");
  cfg.add_message_type<actors::compliance_report>("aia.compliance_report");
  // cluster domain
  cfg.add_message_type<actors::member>("aia.member");
  cfg.add_message_type<std::vector<actors::member>>("aia.member_list");
  cfg.add_message_type<actors::cluster_view>("aia.cluster_view");
  cfg.add_message_type<actors::registry_entry>("aia.registry_entry");
  cfg.add_message_type<std::vector<actors::registry_entry>>("aia.registry_entry_list");
}

} // namespace aia::runtime
