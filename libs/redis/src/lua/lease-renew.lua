-- Extends a lease only while it still holds the caller's token: an instance that lost its
-- lease (paused too long) can never extend its successor's. 1 when renewed, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
