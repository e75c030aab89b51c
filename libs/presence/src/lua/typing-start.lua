-- typing.start: drops expired typers, then (re)arms the user's expiry. Publishes when the
-- set of typers changed. KEYS typing; ARGV userId, now, expiresAt, force → {publish, typers...}.
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local added = redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if expired + added == 0 and ARGV[4] ~= '1' then return {0} end
return append({1}, redis.call('ZRANGE', KEYS[1], 0, -1))
