-- A connection closed (or its gateway died). Only removes the connection when it is still
-- recorded on that gateway; lastSeen only moves forward. KEYS conns, lastSeen;
-- ARGV connectionId, gatewayId, seenAt → connections left.
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[3]) then redis.call('SET', KEYS[2], ARGV[3]) end
return redis.call('HLEN', KEYS[1])
