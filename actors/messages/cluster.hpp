// The cluster domain's protocol: node managers (one per node, published on the cluster port),
// the session router in front of each node's supervisor, and the Redis registry heartbeat.
//
//   manager <-> manager
//     (join_atom, member)            -> std::vector<member>  add the sender, answer every member
//     (leave_atom, std::string name)                          the named node is leaving (SIGTERM)
//   registry heartbeat -> manager
//     (registry_atom, std::vector<registry_entry>)            live nodes as Redis sees them
//   manager -> router -> supervisor
//     (view_atom, cluster_view)                               the live members changed
//   router -> connection
//     (moved_atom, std::string user)                          the user's owner changed: resend
//   anyone -> manager
//     (members_atom)                 -> cluster_view          the current view (admin, tests)
//     (leave_atom)                   -> bool                  tell every member we leave
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace aia::actors {

using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using registry_atom = caf::atom_constant<caf::atom("registry")>;
using view_atom = caf::atom_constant<caf::atom("view")>;
using moved_atom = caf::atom_constant<caf::atom("moved")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// One node of the cluster: its placement name, where its cluster port is, and the two actors
/// other nodes talk to (handles that are proxies on every other node).
struct member {
  std::string name;
  std::string host;
  std::uint16_t port = 0;
  caf::actor manager;
  caf::actor supervisor;
};

/// The live members as one node sees them (itself included) and which of them it is.
struct cluster_view {
  std::string self;
  std::vector<member> members;
};

/// A node registered in Redis: its name and cluster address host:port.
struct registry_entry {
  std::string name;
  std::string address;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("member"), x.name, x.host, x.port, x.manager, x.supervisor);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(caf::meta::type_name("cluster_view"), x.self, x.members);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registry_entry& x) {
  return f(caf::meta::type_name("registry_entry"), x.name, x.address);
}

} // namespace aia::actors
