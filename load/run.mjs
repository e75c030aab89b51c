#!/usr/bin/env node
/**
 * `npm run load`: one bounded artillery run of load/streamchat.yml.
 *
 * Without LOAD_TARGET it starts the local stack from dist/ (libs/devstack: api, 2 gateways,
 * messages, presence, a private redis-server, a fresh PostgreSQL database), runs the scenario
 * against it, and stops it. With LOAD_TARGET=http://host:port it loads that deployment instead
 * (the WebSocket URL comes from its /api/config).
 *
 * Writes load/results/<scenario>-<time>.json (artillery's report) and .md (the summary, also
 * printed); exits with artillery's code: non-zero when a threshold (`ensure`) failed.
 *
 *   LOAD_SCENARIO        chat (default) | soak
 *   LOAD_DURATION        seconds: chat's arrival window (default 60); soak: how long each user chats (default 80)
 *   LOAD_RATE            chat: new users per second at the steady phase (default 3); soak: users (default 20)
 *   LOAD_ACK_P99_MS      threshold on send→ack p99 (default: the script's, 250)
 *   LOAD_MAX_ERROR_RATE  threshold on failed virtual users, % of created (default: the script's, 1)
 *   LOAD_TARGET          http://host:port of a running deployment (its guest-login throttle must allow the users)
 *   LOAD_STACK_ENV       extra env for the local stack's apps, "K=V,K2=V2" (e.g. RATE_USER_SENDS=5 to see a run fail)
 *   LOAD_PG_URL          PostgreSQL admin URL for the fresh database (default TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RESULTS = join(HERE, 'results');
const ARTILLERY = join(HERE, 'node_modules', 'artillery', 'bin', 'run');
const require = createRequire(import.meta.url);

const env = process.env;
const scenario = env.LOAD_SCENARIO || 'chat';
if (!['chat', 'soak'].includes(scenario)) die(`LOAD_SCENARIO must be chat or soak, not ${scenario}`);
const duration = intSetting('LOAD_DURATION', scenario === 'chat' ? 60 : 80, 10, 3600);
const rate = intSetting('LOAD_RATE', scenario === 'chat' ? 3 : 20, 1, 1000);
const ackP99 = env.LOAD_ACK_P99_MS ? intSetting('LOAD_ACK_P99_MS', 0, 0, 600_000) : undefined;
const maxErrorRate = env.LOAD_MAX_ERROR_RATE !== undefined ? Number(env.LOAD_MAX_ERROR_RATE) : undefined;
if (maxErrorRate !== undefined && !(maxErrorRate >= 0 && maxErrorRate <= 100)) die('LOAD_MAX_ERROR_RATE: a percentage 0–100');
if (!existsSync(ARTILLERY)) {
  // load/ has its own dependencies (artillery 2.0.21, the last to run on Node 20); its browser
  // engine's download is skipped: these scenarios use the ws engine.
  console.error('load: installing artillery (npm --prefix load ci)');
  const npm = spawnSync('npm', ['--prefix', HERE, 'ci', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    env: { ...env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (npm.status !== 0 || !existsSync(ARTILLERY)) die('could not install artillery: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm --prefix load install');
}

function die(message) {
  console.error(`load: ${message}`);
  process.exit(2);
}

function intSetting(name, fallback, min, max) {
  if (env[name] === undefined || env[name] === '') return fallback;
  const n = Number(env[name]);
  if (!Number.isInteger(n) || n < min || n > max) die(`${name} must be an integer ${min}–${max}, not ${env[name]}`);
  return n;
}

/** What the run changes in streamchat.yml (artillery --overrides: arrays are replaced whole). */
function overrides() {
  const config = { variables: {} };
  const phases =
    scenario === 'chat'
      ? [
          { name: 'ramp', duration: Math.min(10, duration), arrivalRate: 1, rampTo: rate },
          ...(duration > 10 ? [{ name: 'steady', duration: duration - 10, arrivalRate: rate }] : []),
        ]
      : [{ name: 'arrive', duration: 10, arrivalCount: rate }];
  // After -e <scenario> has set the script's phases (overrides are applied last; arrays replace).
  config.phases = phases;
  if (scenario === 'soak') config.variables.soakSeconds = duration;
  if (ackP99 !== undefined || maxErrorRate !== undefined) {
    config.ensure = {};
    if (ackP99 !== undefined) config.ensure.thresholds = [{ 'chat.send_ack_ms.p99': ackP99 }, { 'chat.join_ms.p99': 1000 }];
    if (maxErrorRate !== undefined) config.ensure.maxErrorRate = maxErrorRate;
  }
  return { config };
}

/** LOAD_STACK_ENV="K=V,K2=V2" → { K: 'V', K2: 'V2' }. */
function stackEnv() {
  const out = {};
  for (const pair of (env.LOAD_STACK_ENV ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** Starts the local stack; returns its URLs and a stop function that undoes whatever started. */
async function startLocalStack() {
  const devstackPath = join(ROOT, 'dist', 'libs', 'devstack', 'src', 'index.js');
  if (!existsSync(devstackPath)) die('no build: run `npm run build` (npm run load does it first)');
  const { startRedisServer, startStack } = require(devstackPath);
  const { createTempDatabase } = require(join(ROOT, 'dist', 'bench', 'lib', 'pg-database.js'));
  const pgUrl = env.LOAD_PG_URL || env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  let redis = null;
  let db = null;
  let stack = null;
  const stop = async () => {
    await stack?.stop().catch((err) => console.error(`load: stopping the stack: ${err.message}`));
    await redis?.stop().catch(() => {});
    await db?.drop().catch((err) => console.error(`load: dropping ${db.name}: ${err.message}`));
  };
  try {
    redis = await startRedisServer();
    db = await createTempDatabase(pgUrl);
    // Rate limits stay at their defaults: a user here sends one message per 1–3 s, well inside
    // them (10/s per connection, 300/min per user). startStack already lifts the guest-login
    // throttle (20 per address per 10 min), since every user logs in from 127.0.0.1.
    stack = await startStack({ redisUrl: redis.url, databaseUrl: db.url, gateways: 2, messages: 1, presence: 1, env: stackEnv() });
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl: stack.apiUrl, wsUrls: stack.gatewayUrls, stop, describe: `local stack (api, ${stack.gatewayUrls.length} gateways, messages, presence; PostgreSQL ${db.name}, private Redis)` };
}

async function remoteTarget(target) {
  const url = new URL(target);
  if (!/^https?:$/.test(url.protocol)) die('LOAD_TARGET must be http(s)://host:port');
  const res = await fetch(new URL('/api/config', url), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) die(`GET ${target}/api/config: ${res.status}`);
  const { wsUrl } = await res.json();
  if (typeof wsUrl !== 'string') die(`GET ${target}/api/config: no wsUrl`);
  return { apiUrl: url.origin, wsUrls: [wsUrl], stop: async () => {}, describe: `${url.origin} (${wsUrl})` };
}

/** Runs artillery (bounded: killed past the run's length plus two minutes); resolves with its exit code and output. */
function runArtillery(target, reportPath) {
  const args = [ARTILLERY, 'run', '--overrides', JSON.stringify(overrides()), '-o', reportPath, '-t', target.wsUrls[0]];
  args.push('-e', scenario, '--scenario-name', scenario);
  args.push(join(HERE, 'streamchat.yml'));
  const child = spawn(process.execPath, args, {
    cwd: HERE,
    env: {
      ...env,
      LOAD_API_URL: target.apiUrl,
      LOAD_WS_URLS: target.wsUrls.join(','),
      ARTILLERY_DISABLE_TELEMETRY: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk.toString();
  });
  const limitMs = (duration + (scenario === 'soak' ? 10 : 60) + 120) * 1000;
  const timer = setTimeout(() => {
    console.error(`load: artillery still running after ${limitMs / 1000} s: killing it`);
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

const fmt = (n, digits = 1) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—');

/** The Markdown summary of artillery's JSON report and its `ensure` lines. */
function summary(report, output, meta) {
  const a = report.aggregate;
  const c = a.counters ?? {};
  const s = a.summaries ?? {};
  const lat = (name) => {
    const h = s[name];
    return h ? `${fmt(h.p50)} / ${fmt(h.p95)} / ${fmt(h.p99)} / ${fmt(h.max)} ms (${fmt(h.count, 0)})` : '—';
  };
  const seconds = ((a.lastMetricAt ?? 0) - (a.firstMetricAt ?? 0)) / 1000;
  const errors = Object.entries(c)
    .filter(([k]) => k.startsWith('errors.') || k.startsWith('chat.error_events.'))
    .sort((x, y) => y[1] - x[1]);
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const checks = [...plain.matchAll(/^(ok|fail): (.+)$/gm)].map((m) => [m[2].trim(), m[1]]);
  const lines = [
    `# Load test: ${meta.scenario}, ${meta.startedAt}`,
    '',
    `Target: ${meta.target}. Settings: ${meta.settings}. Artillery ${meta.artillery}, Node ${process.versions.node}. Exit code ${meta.code}.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| virtual users created / completed / failed | ${fmt(c['vusers.created'], 0)} / ${fmt(c['vusers.completed'] ?? 0, 0)} / ${fmt(c['vusers.failed'] ?? 0, 0)} |`,
    `| messages sent / acked | ${fmt(c['chat.messages_sent'] ?? 0, 0)} / ${fmt(c['chat.messages_acked'] ?? 0, 0)} (${fmt((c['chat.messages_acked'] ?? 0) / Math.max(1, seconds))}/s over ${fmt(seconds, 0)} s) |`,
    `| deliveries received (message.created) | ${fmt(c['chat.deliveries'] ?? 0, 0)} |`,
    `| send→ack p50 / p95 / p99 / max (count) | ${lat('chat.send_ack_ms')} |`,
    `| room.join p50 / p95 / p99 / max | ${lat('chat.join_ms')} |`,
    `| message.history p50 / p95 / p99 / max | ${lat('chat.history_ms')} |`,
    `| guest login p50 / p95 / p99 / max | ${lat('chat.login_ms')} |`,
    `| errors by code | ${errors.length ? errors.map(([k, v]) => `${k.replace(/^errors\./, '')}: ${v}`).join(', ') : 'none'} |`,
    ...(checks.length
      ? checks.map(([check, result]) => `| threshold \`${check}\` | ${result === 'ok' ? 'passed' : '**FAILED**'} |`)
      : ['| thresholds | not evaluated (see the artillery output) |']),
    '',
  ];
  return lines.join('\n');
}

async function main() {
  mkdirSync(RESULTS, { recursive: true });
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const base = join(RESULTS, `${scenario}-${startedAt.replace(/[:]/g, '-')}`);
  console.log(`load: ${scenario}, ${env.LOAD_TARGET ? `target ${env.LOAD_TARGET}` : 'starting the local stack'} …`);
  const target = env.LOAD_TARGET ? await remoteTarget(env.LOAD_TARGET) : await startLocalStack();
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    console.error('load: interrupted, stopping the stack');
    await target.stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let result;
  try {
    console.log(`load: target ${target.describe}`);
    result = await runArtillery(target, `${base}.json`);
  } finally {
    if (!stopping) await target.stop();
  }
  if (!existsSync(`${base}.json`)) {
    console.error(`load: artillery wrote no report (exit code ${result.code})`);
    process.exit(result.code || 1);
  }
  const report = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
  const settings =
    scenario === 'chat'
      ? `arrivals ramp 1→${rate}/s over 10 s, then ${rate}/s to ${duration} s; each user sends 10 messages 1–3 s apart, then reads history`
      : `${rate} users arrive over 10 s, each chats for ${duration} s (a message every 1.5–4.5 s, history after each)`;
  const md = summary(report, result.output, {
    scenario,
    startedAt,
    target: target.describe,
    settings,
    code: result.code,
    artillery: require(join(HERE, 'node_modules', 'artillery', 'package.json')).version,
  });
  writeFileSync(`${base}.md`, md);
  console.log(`\n${md}\nload: report ${relative(ROOT, `${base}.json`)}, summary ${relative(ROOT, `${base}.md`)}`);
  process.exit(result.code);
}

main().catch((err) => {
  console.error(`load: ${err.stack ?? err}`);
  process.exit(1);
});
