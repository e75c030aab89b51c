-- typing.stop. KEYS typing; ARGV userId, now, force → {publish, typers...}.
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if expired + removed == 0 and ARGV[3] ~= '1' then return {0} end
return append({1}, redis.call('ZRANGE', KEYS[1], 0, -1))
