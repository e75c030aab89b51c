/** The side-by-side table (measure | baseline | ours | ratio | ceiling | target) and its checks. */
import type { PhaseResult } from './recorder';
import type { CpuPerDeliveries, ProcUsage, SetupReport } from './system';
import type { DrainReport } from './workload';

export interface PhaseRun {
  result: PhaseResult;
  drain: DrainReport;
  usage: ProcUsage;
  /** CPU ms per 1,000 deliveries in the measured window (servers, client, per process). */
  cpuPerK: CpuPerDeliveries;
}

export interface SystemRun {
  key: string;
  label: string;
  notes: string[];
  setup: SetupReport;
  max: PhaseRun;
  rate: PhaseRun;
  clientTrouble: { closes: number; closeCodes: Record<string, number>; errorEvents: Record<string, number>; badFrames: number };
  strayDeliveries: number;
  /** Tail of the server processes' logs (ours), for diagnosing errors. */
  serverLogs?: Record<string, string>;
}

export interface Row {
  measure: string;
  baseline: number | string | null;
  ours: number | string | null;
  ratio: number | null;
  /** Ours through the gRPC door (ChatStream), beside ours through WebSockets. */
  grpc: number | string | null;
  ceiling: number | string | null;
  target: string;
  /** Whether ours meets the target, when there is one and ours ran. */
  met: boolean | null;
}

type Pick = (s: SystemRun) => number | string | null;

/**
 * One row of the side-by-side table from each system's run: `pick` reads the value, `check`
 * (given ours and its value) whether ours meets the target.
 */
export function compareRow<R>(
  runs: { socketio?: R; ours?: R; grpc?: R; uws?: R },
  measure: string,
  pick: (run: R) => number | string | null,
  target = '',
  check?: (ours: R, value: number | string | null) => boolean,
): Row {
  const vb = runs.socketio ? pick(runs.socketio) : null;
  const vo = runs.ours ? pick(runs.ours) : null;
  const vc = runs.uws ? pick(runs.uws) : null;
  const nb = typeof vb === 'number' ? vb : null;
  const no = typeof vo === 'number' ? vo : null;
  return {
    measure,
    baseline: vb,
    ours: vo,
    ratio: nb && no != null ? Math.round((no / nb) * 100) / 100 : null,
    grpc: runs.grpc ? pick(runs.grpc) : null,
    ceiling: vc,
    target,
    met: check && runs.ours ? check(runs.ours, vo) : null,
  };
}

const ms = (v: number | null | undefined) => (v == null ? null : Math.round(v * 100) / 100);
const lossDup = (p: PhaseRun) => `${p.drain.loss.lost} / ${p.result.duplicates}`;
const mb = (kb: number | null) => (kb == null ? null : Math.round(kb / 102.4) / 10);

export function buildRows(runs: Record<string, SystemRun | undefined>): Row[] {
  const b = runs.socketio;
  const o = runs.ours;
  const c = runs.uws;
  const rows: Row[] = [];
  const add = (measure: string, pick: Pick, target = '', check?: (ours: number | string | null, run: SystemRun) => boolean) => {
    rows.push(compareRow(runs, measure, pick, target, check && ((run, v) => check(v, run))));
  };
  const oursDeliveries = o?.max.result.deliveriesPerSecond ?? 0;
  add('max: deliveries/s (190 receivers)', (s) => Math.round(s.max.result.deliveriesPerSecond), '≥ 2× baseline, ≥ 70% of ceiling, durable', () => {
    const okBase = !b || oursDeliveries >= 2 * b.max.result.deliveriesPerSecond;
    const okCeil = !c || oursDeliveries >= 0.7 * c.max.result.deliveriesPerSecond;
    return okBase && okCeil && o!.max.drain.loss.lost === 0;
  });
  add('max: deliveries/s (all 200 members)', (s) => Math.round(s.max.result.deliveriesPerSecondAllMembers));
  add('max: acked sends/s', (s) => Math.round(s.max.result.acksPerSecond));
  add('max: ack p50 ms', (s) => ms(s.max.result.ackLatency.p50Ms));
  add('max: ack p99 ms', (s) => ms(s.max.result.ackLatency.p99Ms));
  add('max: send→deliver p99 ms', (s) => ms(s.max.result.deliverLatency.p99Ms));
  add('max: lost / dup deliveries', (s) => lossDup(s.max), '0 / 0', (_, s) => s.max.drain.loss.lost === 0 && s.max.result.duplicates === 0);
  add('max: send errors / unacked', (s) => `${sum(s.max.result.ackErrors)} / ${s.max.result.acksPending}`);
  add('rate: acked sends/s', (s) => Math.round(s.rate.result.acksPerSecond));
  add('rate: deliveries/s (190 receivers)', (s) => Math.round(s.rate.result.deliveriesPerSecond));
  add('rate: ack p50 ms', (s) => ms(s.rate.result.ackLatency.p50Ms));
  add('rate: ack p95 ms', (s) => ms(s.rate.result.ackLatency.p95Ms));
  add('rate: ack p99 ms', (s) => ms(s.rate.result.ackLatency.p99Ms), '≤ 20 ms, after COMMIT', (v) => typeof v === 'number' && v <= 20);
  add('rate: send→deliver p50 ms', (s) => ms(s.rate.result.deliverLatency.p50Ms));
  add('rate: send→deliver p95 ms', (s) => ms(s.rate.result.deliverLatency.p95Ms));
  add('rate: send→deliver p99 ms', (s) => ms(s.rate.result.deliverLatency.p99Ms), '≤ 25 ms', (v) => typeof v === 'number' && v <= 25);
  add('rate: lost / dup deliveries', (s) => lossDup(s.rate), '0 / 0', (_, s) => s.rate.drain.loss.lost === 0 && s.rate.result.duplicates === 0);
  add('rate: send errors / unacked', (s) => `${sum(s.rate.result.ackErrors)} / ${s.rate.result.acksPending}`);
  add('out-of-seq-order deliveries', (s) => s.max.result.outOfOrder + s.rate.result.outOfOrder, '0', (v) => v === 0);
  add('gateway RSS MB, end of max (max/server)', (s) => mb(s.max.usage.maxServerRssKb));
  add('gateway RSS MB, end of rate (max/server)', (s) => mb(s.rate.usage.maxServerRssKb));
  // 100 fresh sockets per server mostly measure heap growth: the target is about 50k idle ones.
  add('RSS KB per connection (rough, 100/server)', (s) => s.setup.rssPerConnectionKb, '≤ 2 KB at 50k idle: not this bench');
  add('max: server CPU % (all processes, % of 1 core)', (s) => s.max.usage.serverCpuPercentTotal);
  add('max: client process CPU %', (s) => s.max.usage.clientCpuPercent);
  add('rate: server CPU % (all processes)', (s) => s.rate.usage.serverCpuPercentTotal);
  add('rate: client process CPU %', (s) => s.rate.usage.clientCpuPercent);
  // DESIGN.md: server CPU (user + sys of every server process) per 1,000 deliveries ≤ ½ of the baseline's.
  const halfOfBaseline = (pick: (s: SystemRun) => number | null) => (v: number | string | null) =>
    !!b && typeof v === 'number' && pick(b) != null && v <= 0.5 * pick(b)!;
  const serversK = (p: 'max' | 'rate') => (s: SystemRun) => s[p].cpuPerK.servers;
  const clusterK = (p: 'max' | 'rate') => (s: SystemRun) => s[p].cpuPerK.serversAlt['postgres-cluster'] ?? s[p].cpuPerK.servers;
  for (const p of ['max', 'rate'] as const) {
    add(`${p}: servers CPU ms / 1,000 deliveries`, serversK(p), '≤ ½ of baseline, durable', halfOfBaseline(serversK(p)));
    add(`${p}: same, with the whole PostgreSQL cluster`, clusterK(p), '≤ ½ of baseline, durable', halfOfBaseline(serversK(p)));
    add(`${p}: client CPU ms / 1,000 deliveries`, (s) => s[p].cpuPerK.client);
    add(`${p}: servers + client CPU ms / 1,000 deliveries`, (s) => s[p].cpuPerK.serversPlusClient);
  }
  add('max / rate: other CPU % on the box (noise)', (s) => `${s.max.usage.otherCpuPercent ?? '?'} / ${s.rate.usage.otherCpuPercent ?? '?'}`);
  add('connect attempts failed before hello (retried)', (s) => sum(s.setup.connectFailures), '0', (v) => v === 0);
  add('socket closes / error events', (s) => `${s.clientTrouble.closes} / ${sum(s.clientTrouble.errorEvents)}`, '0 / 0', (_, s) => s.clientTrouble.closes === 0);
  return rows;
}

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, v) => a + v, 0);
}

export function formatTable(rows: Row[], ranCeiling: boolean, ranGrpc = false): string {
  const head = ['measure', 'socket.io+adapter', 'ours', 'ours/baseline', ...(ranGrpc ? ['ours gRPC'] : []), ...(ranCeiling ? ['bare uWS'] : []), 'target', 'ours meets'];
  const cell = (v: unknown) => (v == null ? '—' : String(v));
  const body = rows.map((r) => [
    r.measure,
    cell(r.baseline),
    cell(r.ours),
    r.ratio == null ? '—' : `${r.ratio}×`,
    ...(ranGrpc ? [cell(r.grpc)] : []),
    ...(ranCeiling ? [cell(r.ceiling)] : []),
    r.target || '',
    r.met == null ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const left = new Set([0, head.indexOf('target')]);
  const line = (cols: string[]) => '| ' + cols.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

/**
 * Where each system spends its CPU: per process (or group of processes), CPU ms per 1,000
 * deliveries and % of one core, for both phases.
 */
export function formatCpuBreakdown(runs: Record<string, SystemRun | undefined>): string {
  const head = ['system', 'process', 'max ms/1k', 'max %core', 'rate ms/1k', 'rate %core'];
  const body: string[][] = [];
  const cell = (v: number | null | undefined) => (v == null ? '—' : String(v));
  for (const run of Object.values(runs)) {
    if (!run) continue;
    const names = [...new Set([...Object.keys(run.max.cpuPerK.byProcess), ...Object.keys(run.rate.cpuPerK.byProcess)])];
    for (const n of names) {
      const role = run.max.usage.roles[n] ?? run.rate.usage.roles[n];
      const k = run.max.usage.groupProcesses[n] ?? run.rate.usage.groupProcesses[n];
      const label = `${n}${k != null ? ` (${k} procs)` : ''}${role === 'outside' ? ' [not counted]' : ''}`;
      body.push([run.label, label, cell(run.max.cpuPerK.byProcess[n]), cell(run.max.usage.cpuPercent[n]), cell(run.rate.cpuPerK.byProcess[n]), cell(run.rate.usage.cpuPercent[n])]);
    }
    for (const alt of Object.keys(run.max.cpuPerK.serversAlt)) {
      const a = (p: 'max' | 'rate') => run[p].usage.altServerCpuSeconds[alt]?.aggregateSeconds;
      const pct = (p: 'max' | 'rate') => {
        const v = a(p);
        return v == null ? null : Math.round((v / run[p].usage.wallSeconds) * 1000) / 10;
      };
      const perK = (p: 'max' | 'rate') => {
        const v = a(p);
        const d = run[p].cpuPerK.deliveriesPerSecond;
        return v == null || d <= 0 ? null : Math.round((v / run[p].usage.wallSeconds / d) * 1e8) / 100;
      };
      body.push([run.label, `${alt} (instead of ${run.max.usage.altServerCpuSeconds[alt].replaces.join(' + ')})`, cell(perK('max')), cell(pct('max')), cell(perK('rate')), cell(pct('rate'))]);
    }
    body.push([run.label, 'ALL SERVERS', cell(run.max.cpuPerK.servers), cell(run.max.usage.serverCpuPercentTotal), cell(run.rate.cpuPerK.servers), cell(run.rate.usage.serverCpuPercentTotal)]);
    body.push([run.label, 'client (bench process)', cell(run.max.cpuPerK.client), cell(run.max.usage.clientCpuPercent), cell(run.rate.cpuPerK.client), cell(run.rate.usage.clientCpuPercent)]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cols: string[]) => '| ' + cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}
