/**
 * Fencing tokens for shard ownership. Every acquisition of a shard lease advances the
 * shard's epoch here; every write of a shard's owner calls chat_fence_check with its epoch
 * in the same transaction, which refuses a stale one (SQLSTATE CHF01) and holds a share
 * lock on the fence row until COMMIT — so a newer owner's epoch advance waits for a former
 * owner's transaction in flight, and the former owner can commit nothing afterwards.
 * chat_assert lets one statement fail as a whole when a condition of its own does not hold.
 */
export const up = `
CREATE TABLE shard_fences (
  shard integer PRIMARY KEY,
  epoch bigint NOT NULL
);

CREATE FUNCTION chat_fence_check(p_shard integer, p_epoch bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  current_epoch bigint;
BEGIN
  SELECT epoch INTO current_epoch FROM shard_fences WHERE shard = p_shard FOR SHARE;
  IF current_epoch IS DISTINCT FROM p_epoch THEN
    RAISE EXCEPTION USING ERRCODE = 'CHF01',
      MESSAGE = format('shard %s: epoch %s is fenced off (current epoch %s)', p_shard, p_epoch, current_epoch);
  END IF;
  RETURN true;
END
$$;

CREATE FUNCTION chat_assert(ok boolean, message text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION USING ERRCODE = 'CHA01', MESSAGE = message;
  END IF;
  RETURN true;
END
$$
`;
