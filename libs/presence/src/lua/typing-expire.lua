-- The typing sweep of one room. KEYS typing; ARGV now
-- → {expired count, earliest remaining expiry or '', typers...}.
local expired = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return append({expired, first[2] or ''}, redis.call('ZRANGE', KEYS[1], 0, -1))
