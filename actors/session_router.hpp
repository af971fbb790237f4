// The session router of a clustered node: sends each user's messages to the node that owns it.
#pragma once

#include <caf/fwd.hpp>

#include <string>

namespace aia::actors {

/// Spawns the router of node `self_name` in front of the local supervisor. It speaks the
/// supervisor's protocol (actors/messages/session.hpp: submit, profile, subscribe, unsubscribe),
/// so the gateway holds one handle whether or not the node is clustered, and delegates each
/// message to the supervisor of the user's owner under rendezvous placement
/// (runtime/placement.hpp): the local one or a proxy of a remote one, through the same handle
/// type. On (view_atom, cluster_view) from the node manager it moves the subscriptions of users
/// whose owner changed, tells their connections (moved_atom, user) so they resend what is not
/// acknowledged, and passes the view on to the local supervisor, which hands off the sessions
/// it no longer owns. Until the first view every user is local.
caf::actor spawn_session_router(caf::actor_system& sys, std::string self_name,
                                caf::actor supervisor);

} // namespace aia::actors
