-- Removes a zset member only while its score is still at or below `cutoff`, so a sweep
-- never removes a deadline, heartbeat or expiry renewed since it looked. KEYS zset;
-- ARGV member, cutoff → 1 if removed.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
