// One Lua script per beat: refresh this node, expire the silent ones, list the rest.
#include "runtime/cluster_registry.hpp"

#include "runtime/detail/redis_connection.hpp"

#include <hiredis/hiredis.h>

namespace aia::runtime {

namespace {

// KEYS: members hash, expiry zset. ARGV: name, address, ttl in ms.
// Returns a flat array name1, address1, name2, address2, ...
constexpr const char* beat_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
for _, n in ipairs(dead) do
  redis.call('HDEL', KEYS[1], n)
  redis.call('ZREM', KEYS[2], n)
end
return redis.call('HGETALL', KEYS[1])
)lua";

} // namespace

cluster_registry::cluster_registry(const redis_options& opt, std::string key_prefix)
  : conn_(std::make_unique<detail::redis_connection>(opt)),
    members_key_(key_prefix + "cluster:members"), expiry_key_(key_prefix + "cluster:expiry") {
  conn_->set_scripts({beat_script});
}

cluster_registry::~cluster_registry() = default;

std::variant<std::vector<registered_node>, store_error>
cluster_registry::beat(const std::string& name, const std::string& address,
                       std::chrono::milliseconds ttl) {
  auto r = conn_->eval(0, {"2", members_key_, expiry_key_, name, address,
                           std::to_string(ttl.count())});
  if (auto* err = std::get_if<store_error>(&r)) {
    return *err;
  }
  auto& reply = std::get<detail::reply_ptr>(r);
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
    return store_error{"the registry script answered an unexpected reply"};
  }
  std::vector<registered_node> out;
  for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
    out.push_back({std::string{reply->element[i]->str, reply->element[i]->len},
                   std::string{reply->element[i + 1]->str, reply->element[i + 1]->len}});
  }
  return out;
}

void cluster_registry::leave(const std::string& name) {
  (void)conn_->run({"HDEL", members_key_, name});
  (void)conn_->run({"ZREM", expiry_key_, name});
}

} // namespace aia::runtime
