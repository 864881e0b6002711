// The built-in stores, chosen by `[session] store`: what `gatehouse serve` and the operator
// commands register on the builder when the embedding program has not added a store itself.
#pragma once

#include <gatehouse/bff_builder.hpp>

#include "config/config.hpp"

namespace gatehouse::stores {

// Registers the store `session.store` names (with its settings) on `builder`.
void add_configured_store(BffBuilder& builder, const config::SessionConfig& session);

// `gatehouse migrate`: brings the configured store's schema to this build's version and says
// what it did, in one line ("schema \"gatehouse\" created (version 1)"). Stores without a
// schema say there is nothing to migrate. Throws StoreOpenError naming the problem (never the
// password).
std::string migrate_configured_store(const config::SessionConfig& session);

// False for stores whose sessions live only in the serving process (memory): another process,
// such as an operator command, would see an empty store of its own.
bool is_shared_between_processes(config::StoreKind kind);

}  // namespace gatehouse::stores
