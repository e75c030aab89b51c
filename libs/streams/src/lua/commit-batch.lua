-- Writes one batch's effects and acknowledges its entries in one atomic step, only while
-- the shard's lease still holds the caller's token: a former owner (paused past its TTL,
-- its shard taken over) publishes nothing and acknowledges nothing.
--   KEYS[1]  the lease key ('' for an unfenced commit: sweeps)
--   ARGV[1]  the caller's lease token
--   ARGV[2…] commands, each as <argument count> <command> <arguments…>
--            (PUBLISH, SPUBLISH, SADD, SREM, XADD, XACK, XTRIM: nothing else is sent)
if KEYS[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('FENCED the lease ' .. KEYS[1] .. ' is no longer held by this owner')
end
local i = 2
local n = #ARGV
local done = 0
while i <= n do
  local count = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + count))
  i = i + count + 1
  done = done + 1
end
return done
