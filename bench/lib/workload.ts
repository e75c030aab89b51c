/**
 * The two phases of DESIGN.md's workload, each bounded in time and count:
 * max throughput (each sender keeps `window` unacked sends) and fixed rate (open loop).
 * After each, a bounded drain waits for acks and then for deliveries to stop.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchClient } from './bench-client';
import type { BenchConfig } from './config';
import { sleep } from './net-util';
import { makeText } from './payload';
import type { LossReport, PhaseRecorder } from './recorder';

const runTag = randomBytes(4).toString('hex');
const clientMsgId = (g: number) => `bench-${runTag}-${g}`;

export async function maxThroughputPhase(senders: BenchClient[], rec: PhaseRecorder, cfg: BenchConfig): Promise<void> {
  let running = true;
  const start = performance.now();
  rec.t0 = start + cfg.warmupSeconds * 1000;
  rec.t1 = rec.t0 + cfg.seconds * 1000;
  const sendNext = (c: BenchClient): void => {
    if (!running || rec.issued >= cfg.maxSendsPerPhase) return;
    const now = performance.now();
    const g = rec.issue(now);
    c.send(g, makeText(g, c.index, now * 1000, cfg.textBytes), clientMsgId(g), (ok, code, retryAfterMs) => {
      rec.onAck(g, ok, code);
      if (ok) sendNext(c);
      else if (code === 'CLOSED') return;
      else setTimeout(() => sendNext(c), Math.min(Math.max(retryAfterMs ?? 10, 1), 1000));
    });
  };
  for (const c of senders) for (let w = 0; w < cfg.window; w++) sendNext(c);
  await sleep(rec.t1 - performance.now());
  running = false;
}

export async function fixedRatePhase(senders: BenchClient[], rec: PhaseRecorder, cfg: BenchConfig): Promise<void> {
  const outstanding = new Int32Array(senders.length);
  const start = performance.now();
  // The same rate runs unmeasured for warmupSeconds first: the switch from the max phase
  // (heap, JIT, socket buffers) should not land in the percentiles.
  rec.t0 = start + cfg.warmupSeconds * 1000;
  rec.t1 = rec.t0 + cfg.seconds * 1000;
  const total = Math.min(Math.round(cfg.rate * (cfg.seconds + cfg.warmupSeconds)), cfg.maxSendsPerPhase);
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * cfg.rate) / 1000));
      while (k < due) {
        const s = k % senders.length;
        k++;
        if (outstanding[s] >= cfg.maxOutstandingPerSender) {
          rec.skippedSends++;
          continue;
        }
        outstanding[s]++;
        const t = performance.now();
        const g = rec.issue(t);
        senders[s].send(g, makeText(g, senders[s].index, t * 1000, cfg.textBytes), clientMsgId(g), (ok, code) => {
          outstanding[s]--;
          rec.onAck(g, ok, code);
        });
      }
      if (k >= total || now >= rec.t1) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}

export interface DrainReport {
  ackWaitMs: number;
  deliveryWaitMs: number;
  /** How the wait ended: all deliveries in, none for quietMs, or the cap. */
  ended: 'complete' | 'quiet' | 'cap';
  loss: LossReport;
}

export async function drain(rec: PhaseRecorder, cfg: BenchConfig, members: number): Promise<DrainReport> {
  const a = performance.now();
  while (rec.pendingAcks() > 0 && performance.now() - a < cfg.ackWaitMs) await sleep(10);
  const b = performance.now();
  let ended: DrainReport['ended'] = 'cap';
  while (performance.now() - b < cfg.drainMaxMs) {
    if (rec.pendingAcks() === 0 && rec.uniqueDeliveries >= rec.issued * members) {
      ended = 'complete';
      break;
    }
    const now = performance.now();
    if (now - b >= cfg.quietMs && now - rec.lastDeliveryAt >= cfg.quietMs) {
      ended = 'quiet';
      break;
    }
    await sleep(10);
  }
  const c = performance.now();
  return { ackWaitMs: Math.round(b - a), deliveryWaitMs: Math.round(c - b), ended, loss: rec.finishDrain() };
}

/** Waits until no frame-producing work is left from setup (join events etc.): a fixed short pause. */
export const settle = (ms = 500) => sleep(ms);
