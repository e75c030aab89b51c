/** Starts a compiled bench script as a child Node process and waits for its "READY <port>" line. */
import { spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '@chat/devstack';
import { trackChild } from './cleanup';
import { sleep } from './net-util';

export interface NodeChild {
  name: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function spawnNodeScript(
  name: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<NodeChild> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  trackChild(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no READY line within ${timeoutMs} ms`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('READY')) {
        clearTimeout(timer);
        resolve();
      } else {
        process.stdout.write(`[${name}] ${line}\n`);
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before READY`));
    });
  });
  return {
    name,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Starts bench/<file> (compiled, next to lib/) on a free port, PORT=<port> plus `env`. */
export async function spawnBenchServer(name: string, file: string, env: Record<string, string> = {}): Promise<{ child: NodeChild; port: number }> {
  const port = await freePort();
  const child = await spawnNodeScript(name, join(__dirname, '..', file), { PORT: String(port), ...env });
  return { child, port };
}
