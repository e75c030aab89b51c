/** Bench settings, all from BENCH_* environment variables, with the DESIGN.md workload as defaults. */
export type SystemKey = 'socketio' | 'ours' | 'uws';
/** The e2e bench also runs ours through the gRPC door (bench:connections does not). */
export type E2eSystemKey = SystemKey | 'grpc';
export type ParseMode = 'full' | 'scan';

export interface BenchConfig {
  /** Measured seconds of each phase (BENCH_SECONDS). */
  seconds: number;
  /** Unmeasured seconds at the start of each phase, same load, before its window (BENCH_WARMUP_SECONDS). */
  warmupSeconds: number;
  /** Total sends per second in the fixed-rate phase (BENCH_RATE). */
  rate: number;
  /** Outstanding unacked sends per sender in the max-throughput phase (BENCH_WINDOW). */
  window: number;
  /** Room members, split evenly over the servers (BENCH_CLIENTS). */
  clients: number;
  /** How many of the members send (BENCH_SENDERS). */
  senders: number;
  /** Message text length in bytes (BENCH_TEXT_BYTES). */
  textBytes: number;
  /** Which systems to run, in order (BENCH_SYSTEMS, comma-separated). */
  systems: E2eSystemKey[];
  /** How every system's clients read a delivery (BENCH_PARSE): 'full' (default) JSON-decodes
   *  every delivered frame, as an application does (ws clients: JSON.parse of the frame;
   *  socket.io-client: its stock parser), so every system is compared with the client work a
   *  real receiver does, and the bench process's CPU per delivery is part of the totals;
   *  'scan' finds the bench marker by string search without decoding (socket.io-client through a
   *  parser that short-cuts `message.created`), which leaves the one client process more headroom. */
  parse: ParseMode;
  /** Admin URL of the PostgreSQL server in which a bench_<random> database is made (BENCH_DATABASE_URL). */
  databaseAdminUrl: string;
  /** Output file; default bench/results/e2e-<date>.json (BENCH_OUT). */
  out?: string;
  /** Hard cap on the whole run; past it children are killed and the run fails (BENCH_TIMEOUT_SECONDS). */
  timeoutSeconds: number;
  /** After the send window: how long to wait for outstanding acks. */
  ackWaitMs: number;
  /** After acks: deliveries are over once none arrived for this long ... */
  quietMs: number;
  /** ... or this much time has passed. */
  drainMaxMs: number;
  /** Hard cap on sends in one phase (bounded in count). */
  maxSendsPerPhase: number;
  /** Open-loop cap on unacked sends per sender in the fixed-rate phase; past it a send is skipped and counted. */
  maxOutstandingPerSender: number;
}

export function num(name: string, def: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name}=${raw}: expected a number >= ${min}`);
  return v;
}

export function loadConfig(): BenchConfig {
  const seconds = num('BENCH_SECONDS', 10, 1);
  const systems = (process.env.BENCH_SYSTEMS ?? 'socketio,ours,grpc,uws')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as E2eSystemKey[];
  for (const s of systems) {
    if (!['socketio', 'ours', 'grpc', 'uws'].includes(s)) throw new Error(`BENCH_SYSTEMS: unknown system "${s}"`);
  }
  const parse = (process.env.BENCH_PARSE ?? 'full') as ParseMode;
  if (parse !== 'full' && parse !== 'scan') throw new Error('BENCH_PARSE must be full or scan');
  const clients = Math.floor(num('BENCH_CLIENTS', 200, 2));
  const senders = Math.floor(num('BENCH_SENDERS', 10, 1));
  if (senders >= clients) throw new Error('BENCH_SENDERS must be smaller than BENCH_CLIENTS');
  const warmupSeconds = num('BENCH_WARMUP_SECONDS', 1, 0);
  return {
    seconds,
    warmupSeconds,
    rate: num('BENCH_RATE', 1000, 1),
    window: Math.floor(num('BENCH_WINDOW', 16, 1)),
    clients,
    senders,
    textBytes: Math.floor(num('BENCH_TEXT_BYTES', 300, 64)),
    systems,
    parse,
    databaseAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    out: process.env.BENCH_OUT || undefined,
    // A failsafe only: at the defaults a run takes about 90 s.
    timeoutSeconds: num('BENCH_TIMEOUT_SECONDS', Math.max(170, systems.length * (2 * (seconds + warmupSeconds) + 30)), 10),
    ackWaitMs: 5000,
    quietMs: 1000,
    drainMaxMs: 8000,
    maxSendsPerPhase: Math.floor(num('BENCH_MAX_SENDS_PER_PHASE', 20_000 * (seconds + warmupSeconds), 100)),
    maxOutstandingPerSender: 2000,
  };
}
