import { APP_SETTINGS, SECRET_NAME, floatingTag } from './common';
import type { DeployFiles, Doc } from './load';

function environmentOf(service: Doc): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e: string) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
}

function scrapeTargets(prometheus: Doc): Set<string> {
  const targets = (prometheus.scrape_configs ?? []).flatMap((job: Doc) =>
    (job.static_configs ?? []).flatMap((c: Doc) => c.targets ?? []),
  );
  return new Set(targets);
}

/** What is wrong with docker-compose.yml (and the nginx and Prometheus files it mounts). */
export function composeProblems(files: DeployFiles): string[] {
  const problems: string[] = [];
  const services: Record<string, Doc> = files.compose.services ?? {};
  const appImage = files.compose['x-app']?.image;
  if (!appImage) return ['docker-compose.yml: no x-app anchor with the app image'];
  const apps = Object.entries(services).filter(([, s]) => s.image === appImage);
  const targets = scrapeTargets(files.prometheus);

  // One build of the app image; every other app service must not look for it in a registry.
  const builders = apps.filter(([, s]) => s.build);
  if (builders.length !== 1) problems.push(`compose: ${builders.length} services build the app image, want exactly 1`);
  for (const [name, s] of apps) {
    const want = s.build ? 'build' : 'never';
    if (s.pull_policy !== want) problems.push(`compose ${name}: pull_policy ${s.pull_policy}, want ${want}`);
  }

  for (const [name, s] of Object.entries(services)) {
    if (!s.image || floatingTag(s.image)) problems.push(`compose ${name}: image ${s.image} has no fixed tag`);
    const limits = s.deploy?.resources?.limits;
    if (!limits?.cpus || !limits?.memory) problems.push(`compose ${name}: no deploy.resources.limits cpus and memory`);
    const log = s.logging;
    if (log?.driver !== 'json-file' || !log.options?.['max-size'] || !log.options?.['max-file']) {
      problems.push(`compose ${name}: logs not rotated (logging: json-file with max-size and max-file)`);
    }
    for (const [key, value] of Object.entries(environmentOf(s))) {
      if (SECRET_NAME.test(key) && !String(value).startsWith('${')) {
        problems.push(`compose ${name}: ${key} is written in the file, not taken from the environment`);
      }
    }
  }

  for (const [name, s] of apps) {
    const env = environmentOf(s);
    for (const key of Object.keys(env)) {
      if (!APP_SETTINGS.has(key)) problems.push(`compose ${name}: ${key} is not in EnvSchema`);
    }
    if (!String(env.JWT_SECRET ?? '').startsWith('${JWT_SECRET:?')) {
      problems.push(`compose ${name}: JWT_SECRET must be required from the environment (\${JWT_SECRET:?...})`);
    }
    // GRPC_PORT is the gRPC door's HTTP/2 listener; its HTTP side (probes, metrics) is GRPC_HTTP_PORT.
    const ports = Object.keys(env).filter((k) => k.endsWith('_PORT') && k !== 'GRPC_PORT');
    if (ports.length !== 1) {
      problems.push(`compose ${name}: sets ${ports.length} *_PORT variables, want its own one`);
      continue;
    }
    const port = env[ports[0]];
    const test = JSON.stringify(s.healthcheck?.test ?? '');
    if (!test.includes(`127.0.0.1:${port}/healthz`)) problems.push(`compose ${name}: no healthcheck on :${port}/healthz`);
    if (!targets.has(`${name}:${port}`)) problems.push(`compose ${name}: not scraped by deploy/prometheus/prometheus.yml (${name}:${port})`);
  }

  const redis = JSON.stringify(services.redis?.command ?? []);
  if (!redis.includes('"--requirepass"') || !/"--appendonly","yes"/.test(redis)) {
    problems.push('compose redis: wants --requirepass and --appendonly yes');
  }
  if (!/location ~\* \^\/metrics \{\s*return 404;/.test(files.nginxConf)) {
    problems.push('deploy/nginx/nginx.conf: /metrics is not answered 404 at the edge');
  }
  return problems;
}
