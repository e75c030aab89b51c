import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

/**
 * The terminal chat (apps/cli) as a user's script drives it: a child process from the build,
 * stdin and stdout piped. Tests write lines and await the lines it prints.
 */
export class CliProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private partial = '';
  private stderr = '';
  private waiters: { pred: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.onLine(line);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    const killOnExit = () => this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void this.exited.then(() => process.removeListener('exit', killOnExit));
  }

  say(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** The first line printed from index `from` on that matches (waiting for it when needed). */
  line(pattern: RegExp, { from = 0, timeoutMs = 20_000 }: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const found = this.lines.slice(from).find((l) => pattern.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; printed:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const waiter = { pred: (l: string) => pattern.test(l), resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
      this.waiters.push(waiter);
    });
  }

  /** Says `line`, then waits for a line matching `pattern` printed after it. */
  async ask(line: string, pattern: RegExp, timeoutMs?: number): Promise<string> {
    const from = this.lines.length;
    const answer = this.line(pattern, { from, timeoutMs });
    this.say(line);
    return answer;
  }

  /** Message lines (`[seq] HH:MM author: text`) printed so far, as seq and text. */
  messages(): { seq: number; author: string; text: string }[] {
    return this.lines.flatMap((l) => {
      const m = /^\[(\d+)\] \d\d:\d\d (\S+)(?: ↪ \[[\d?]+\])?: (.*)$/.exec(l);
      return m ? [{ seq: Number(m[1]), author: m[2], text: m[3] }] : [];
    });
  }

  end(): Promise<number | null> {
    this.child.stdin!.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (w.pred(line)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(line);
      }
    }
  }
}
