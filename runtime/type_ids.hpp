// Every message type of the node, registered with CAF in one place (needed to cross nodes).
#pragma once

#include <caf/fwd.hpp>

namespace aia::runtime {

/// Adds every message type of actors/messages/*.hpp to `cfg`; call on every node.
void register_message_types(caf::actor_system_config& cfg);

} // namespace aia::runtime
