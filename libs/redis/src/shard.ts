/**
 * shard = hash(key) mod S, with 32-bit FNV-1a: fast, stable across processes and versions,
 * and well spread for short ids. Changing it (or S) moves rooms between shards, so S is
 * fixed for the life of a deployment.
 */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(key: string, shards: number): number {
  return fnv1a32(key) % shards;
}
