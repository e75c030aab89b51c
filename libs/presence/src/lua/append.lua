-- Shared by the presence scripts that return lists: appends a Redis array reply (SMEMBERS,
-- ZRANGE) to a Lua table.
local function append(out, list) for i = 1, #list do out[#out + 1] = list[i] end return out end
