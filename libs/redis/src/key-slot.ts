/**
 * The Redis Cluster hash slot of a key (or sharded channel): CRC16/XMODEM of the key's hash
 * tag — the part between the first `{` and the next `}` when non-empty — else of the whole
 * key, mod 16384. What a cluster node computes to route a command; the fenced commit uses it
 * to keep a script to its shard's slot.
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(hashTagOf(key), 'utf8');
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
