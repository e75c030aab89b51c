-- A connection said hello. KEYS conns, lastSeen, choice, presence, userRooms;
-- ARGV connectionId, gatewayId, now, force → {publish, status, rooms...}.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
local status = redis.call('GET', KEYS[3]) or 'online'
local changed = redis.call('GET', KEYS[4]) ~= status
if changed then redis.call('SET', KEYS[4], status) end
if not changed and ARGV[4] ~= '1' then return {0, status} end
return append({1, status}, redis.call('SMEMBERS', KEYS[5]))
