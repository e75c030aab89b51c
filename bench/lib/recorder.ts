/**
 * Counts one phase: sends, acks and their latency, deliveries per member (unique, duplicate,
 * out of seq order) and their send→deliver latency. Sends are numbered `g` (global to a system
 * run); a phase owns the range it issued, so late deliveries land in the phase they belong to.
 */
import { performance } from 'node:perf_hooks';
import { Histogram, LatencySummary } from './histogram';

const PENDING = 0;
const ACK_OK = 1;
const ACK_ERR = 2;

export class PhaseRecorder {
  /** Measurement window (performance.now() ms). */
  t0 = Infinity;
  t1 = Infinity;
  issued = 0;
  private cap = 16_384;
  private sentAt = new Float64Array(this.cap);
  private ackState = new Uint8Array(this.cap);
  private seen: Uint8Array[];
  readonly ackHist = new Histogram();
  readonly deliverHist = new Histogram();
  ackOk = 0;
  ackErrors: Record<string, number> = {};
  duplicateAcks = 0;
  windowAcks = 0;
  windowDeliveriesReceivers = 0;
  windowDeliveriesAll = 0;
  uniqueDeliveries = 0;
  duplicates = 0;
  readonly duplicatesByMember: Uint32Array;
  outOfOrder = 0;
  unknownDeliveries = 0;
  lateAfterDrain = 0;
  skippedSends = 0;
  lastDeliveryAt = 0;
  private drained = false;
  /** Per second of the window (by send time): latency histograms and counts. */
  private readonly seconds: { ack: Histogram; deliver: Histogram; acks: number; deliveries: number }[] = [];
  loss: LossReport | null = null;

  constructor(
    readonly name: string,
    readonly gStart: number,
    private readonly members: number,
    private readonly isSender: Uint8Array,
  ) {
    this.seen = Array.from({ length: members }, () => new Uint8Array(this.cap));
    this.duplicatesByMember = new Uint32Array(members);
  }

  /** Registers a send about to go out; returns its `g`. */
  issue(now: number): number {
    const i = this.issued++;
    if (i >= this.cap) this.grow();
    this.sentAt[i] = now;
    return this.gStart + i;
  }

  owns(g: number): boolean {
    return g >= this.gStart && g < this.gStart + this.issued;
  }

  pendingAcks(): number {
    let n = this.issued - this.ackOk;
    for (const k in this.ackErrors) n -= this.ackErrors[k];
    return n;
  }

  onAck(g: number, ok: boolean, code = 'ERROR'): void {
    const now = performance.now();
    const i = g - this.gStart;
    if (i < 0 || i >= this.issued) return;
    if (this.ackState[i] !== PENDING) {
      this.duplicateAcks++;
      return;
    }
    if (!ok) {
      this.ackState[i] = ACK_ERR;
      this.ackErrors[code] = (this.ackErrors[code] ?? 0) + 1;
      return;
    }
    this.ackState[i] = ACK_OK;
    this.ackOk++;
    if (now >= this.t0 && now <= this.t1) this.windowAcks++;
    const sent = this.sentAt[i];
    if (sent >= this.t0 && sent <= this.t1) {
      this.ackHist.recordMs(now - sent);
      const sec = this.second(sent);
      sec.ack.recordMs(now - sent);
      sec.acks++;
    }
  }

  private second(sentAt: number) {
    const i = Math.floor((sentAt - this.t0) / 1000);
    while (this.seconds.length <= i) this.seconds.push({ ack: new Histogram(), deliver: new Histogram(), acks: 0, deliveries: 0 });
    return this.seconds[i];
  }

  /** Returns false for a duplicate or a `g` this phase never issued. */
  deliver(member: number, g: number, now: number): boolean {
    const i = g - this.gStart;
    if (i < 0 || i >= this.issued) {
      this.unknownDeliveries++;
      return false;
    }
    const seen = this.seen[member];
    if (seen[i]) {
      this.duplicates++;
      this.duplicatesByMember[member]++;
      return false;
    }
    seen[i] = 1;
    if (this.drained) this.lateAfterDrain++;
    this.uniqueDeliveries++;
    this.lastDeliveryAt = now;
    if (now >= this.t0 && now <= this.t1) {
      this.windowDeliveriesAll++;
      if (!this.isSender[member]) this.windowDeliveriesReceivers++;
    }
    const sent = this.sentAt[i];
    if (sent >= this.t0 && sent <= this.t1) {
      this.deliverHist.recordMs(now - sent);
      const sec = this.second(sent);
      sec.deliver.recordMs(now - sent);
      sec.deliveries++;
    }
    return true;
  }

  /** Deliveries expected so far: every acked send to every member. */
  expectedDeliveries(): number {
    return this.ackOk * this.members;
  }

  /** Freezes the loss count: acked sends some member never got. */
  finishDrain(): LossReport {
    this.drained = true;
    const lostByMember = new Array<number>(this.members).fill(0);
    let lost = 0;
    let messagesWithLoss = 0;
    let deliveredButNotAcked = 0;
    for (let i = 0; i < this.issued; i++) {
      if (this.ackState[i] === ACK_OK) {
        let missing = 0;
        for (let m = 0; m < this.members; m++) {
          if (!this.seen[m][i]) {
            missing++;
            lostByMember[m]++;
          }
        }
        if (missing) messagesWithLoss++;
        lost += missing;
      } else {
        for (let m = 0; m < this.members; m++) {
          if (this.seen[m][i]) {
            deliveredButNotAcked++;
            break;
          }
        }
      }
    }
    this.loss = {
      lost,
      messagesWithLoss,
      membersWithLoss: lostByMember.filter((n) => n > 0).length,
      maxLostPerMember: Math.max(0, ...lostByMember),
      lostByMember: lost ? lostByMember : [],
      deliveredButNotAcked,
    };
    return this.loss;
  }

  result(): PhaseResult {
    const windowS = Number.isFinite(this.t1) ? (this.t1 - this.t0) / 1000 : 0;
    const dupBy = Array.from(this.duplicatesByMember);
    return {
      name: this.name,
      windowSeconds: round(windowS, 3),
      sends: this.issued,
      skippedSends: this.skippedSends,
      acksOk: this.ackOk,
      ackErrors: this.ackErrors,
      acksPending: this.pendingAcks(),
      duplicateAcks: this.duplicateAcks,
      acksPerSecond: windowS ? round(this.windowAcks / windowS, 1) : 0,
      deliveriesPerSecond: windowS ? round(this.windowDeliveriesReceivers / windowS, 1) : 0,
      deliveriesPerSecondAllMembers: windowS ? round(this.windowDeliveriesAll / windowS, 1) : 0,
      uniqueDeliveries: this.uniqueDeliveries,
      expectedDeliveries: this.expectedDeliveries(),
      duplicates: this.duplicates,
      membersWithDuplicates: dupBy.filter((n) => n > 0).length,
      duplicatesByMember: this.duplicates ? dupBy : [],
      outOfOrder: this.outOfOrder,
      unknownDeliveries: this.unknownDeliveries,
      lateAfterDrain: this.lateAfterDrain,
      loss: this.loss,
      ackLatency: this.ackHist.summary(),
      deliverLatency: this.deliverHist.summary(),
      perSecond: this.seconds.map((sec, i) => ({
        second: i,
        acks: sec.acks,
        deliveries: sec.deliveries,
        ackP50Ms: sec.ack.summary().p50Ms,
        ackP99Ms: sec.ack.summary().p99Ms,
        deliverP50Ms: sec.deliver.summary().p50Ms,
        deliverP99Ms: sec.deliver.summary().p99Ms,
        deliverMaxMs: sec.deliver.summary().maxMs,
      })),
    };
  }

  private grow(): void {
    const cap = this.cap * 2;
    const sentAt = new Float64Array(cap);
    sentAt.set(this.sentAt);
    this.sentAt = sentAt;
    const ack = new Uint8Array(cap);
    ack.set(this.ackState);
    this.ackState = ack;
    this.seen = this.seen.map((s) => {
      const n = new Uint8Array(cap);
      n.set(s);
      return n;
    });
    this.cap = cap;
  }
}

export interface LossReport {
  /** (acked send, member) pairs never delivered. */
  lost: number;
  messagesWithLoss: number;
  membersWithLoss: number;
  maxLostPerMember: number;
  lostByMember: number[];
  /** Sends with an error ack or none at all that some member still got. */
  deliveredButNotAcked: number;
}

export interface PhaseResult {
  name: string;
  windowSeconds: number;
  sends: number;
  skippedSends: number;
  acksOk: number;
  ackErrors: Record<string, number>;
  acksPending: number;
  duplicateAcks: number;
  acksPerSecond: number;
  /** Deliveries to the non-sending members, per second of the window. */
  deliveriesPerSecond: number;
  deliveriesPerSecondAllMembers: number;
  uniqueDeliveries: number;
  expectedDeliveries: number;
  duplicates: number;
  membersWithDuplicates: number;
  duplicatesByMember: number[];
  outOfOrder: number;
  unknownDeliveries: number;
  lateAfterDrain: number;
  loss: LossReport | null;
  ackLatency: LatencySummary;
  deliverLatency: LatencySummary;
  /** By second of send time within the window: where latency came from (warm-up, GC, a stall). */
  perSecond: {
    second: number;
    acks: number;
    deliveries: number;
    ackP50Ms: number | null;
    ackP99Ms: number | null;
    deliverP50Ms: number | null;
    deliverP99Ms: number | null;
    deliverMaxMs: number | null;
  }[];
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * What clients report deliveries to: routes each `g` to the phase that issued it and checks
 * per-member seq order (when the system has a room seq).
 */
export class DeliveryRouter {
  private readonly phases: PhaseRecorder[] = [];
  private readonly lastSeq: Float64Array;
  strayDeliveries = 0;

  constructor(members: number) {
    this.lastSeq = new Float64Array(members).fill(-1);
  }

  add(phase: PhaseRecorder): void {
    this.phases.push(phase);
  }

  deliver(member: number, g: number, seq: number): void {
    const now = performance.now();
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const p = this.phases[i];
      if (g >= p.gStart) {
        if (p.deliver(member, g, now) && seq >= 0) {
          if (seq <= this.lastSeq[member]) p.outOfOrder++;
          else this.lastSeq[member] = seq;
        }
        return;
      }
    }
    this.strayDeliveries++;
  }
}
