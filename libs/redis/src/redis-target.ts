import { RedisOptions } from 'ioredis';

/**
 * Where Redis is. One server: its URL (REDIS_URL). A Redis Cluster: REDIS_CLUSTER_NODES, a
 * comma-separated list of `host:port` seeds (any few nodes: the client learns the rest),
 * with credentials and TLS (`rediss:`) taken from REDIS_URL. The config hands every app one
 * string for both, `redis+cluster://[user:password@]host:port,host:port`, so every place that
 * opens a connection stays the same.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; redisOptions: Pick<RedisOptions, 'username' | 'password' | 'tls'> };

const CLUSTER_SCHEMES = ['redis+cluster:', 'rediss+cluster:'];

/** The connection string of a cluster: seeds from REDIS_CLUSTER_NODES, credentials and TLS from REDIS_URL. */
export function clusterConnectionString(redisUrl: string, seeds: string): string {
  const base = new URL(redisUrl);
  const scheme = base.protocol === 'rediss:' ? 'rediss+cluster' : 'redis+cluster';
  const auth = base.username || base.password ? `${base.username}:${base.password}@` : '';
  const nodes = seeds.split(',').map((seed) => seed.trim()).filter(Boolean);
  return `${scheme}://${auth}${nodes.join(',')}`;
}

/** Parses REDIS_URL, or the cluster connection string built from REDIS_CLUSTER_NODES. */
export function parseRedisTarget(connection: string): RedisTarget {
  const scheme = CLUSTER_SCHEMES.find((s) => connection.startsWith(`${s}//`));
  if (!scheme) return { kind: 'server', url: connection };
  const rest = connection.slice(scheme.length + 2);
  const at = rest.lastIndexOf('@');
  const [username, password] = at < 0 ? ['', ''] : splitOnce(rest.slice(0, at), ':').map(decodeURIComponent);
  const nodes = (at < 0 ? rest : rest.slice(at + 1)).split(',').map((seed) => {
    const [host, port] = splitOnce(seed, ':', true);
    const portNumber = Number(port);
    if (!host || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) throw new Error(`"${seed}" is not a host:port Redis Cluster seed`);
    return { host: host.replace(/^\[(.*)\]$/, '$1'), port: portNumber };
  });
  return {
    kind: 'cluster',
    nodes,
    redisOptions: { username: username || undefined, password: password || undefined, tls: scheme.startsWith('rediss') ? {} : undefined },
  };
}

/** The connection string without its password, for logs and errors. */
export function redactedRedis(connection: string): string {
  return connection.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function splitOnce(text: string, separator: string, last = false): [string, string] {
  const i = last ? text.lastIndexOf(separator) : text.indexOf(separator);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}
