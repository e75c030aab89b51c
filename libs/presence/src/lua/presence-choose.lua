-- presence.set: the choice is kept (offline too, for the next connect); the visible status
-- changes only while connected. KEYS choice, conns, presence, userRooms; ARGV status, force
-- → {publish, rooms...}.
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[2]) == 0 then return {0} end
local changed = redis.call('GET', KEYS[3]) ~= ARGV[1]
if changed then redis.call('SET', KEYS[3], ARGV[1]) end
if not changed and ARGV[2] ~= '1' then return {0} end
return append({1}, redis.call('SMEMBERS', KEYS[4]))
