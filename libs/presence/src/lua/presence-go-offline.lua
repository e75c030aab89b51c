-- An offline deadline passed. Goes offline only when no connection came back; the DEL that
-- returned 1 is what makes exactly one caller publish. KEYS conns, presence, lastSeen,
-- userRooms → {publish, lastSeen, rooms...}.
if redis.call('HLEN', KEYS[1]) > 0 or redis.call('DEL', KEYS[2]) == 0 then return {0} end
return append({1, redis.call('GET', KEYS[3]) or ''}, redis.call('SMEMBERS', KEYS[4]))
