import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeProblems } from './checks/compose-checks';
import { k8sProblems } from './checks/k8s-checks';
import { DeployFiles, loadDeployFiles, parseEnvFile } from './checks/load';

// The deploy files against each other and against the code: the env names the apps read,
// probes, selectors, tags, limits, network policies. `docker-compose config` and
// `kubectl kustomize` (.ci/run) check the syntax; this checks the meaning.
const root = join(__dirname, '..');
const files = loadDeployFiles(root);
/** The gauge each gateway exports, which the gateway HPA scales on (through prometheus-adapter). */
const connectionsMetric = /connections = new Gauge\(\{ name: '([a-z_]+)'/.exec(
  readFileSync(join(root, 'libs/gateway-core/src/gateway.metrics.ts'), 'utf8'),
)?.[1];

describe('deploy files', () => {
  it('finds the gateway connections gauge', () => {
    expect(connectionsMetric).toBe('gateway_connections');
  });

  it('docker-compose.yml is consistent', () => {
    expect(Object.keys(files.compose.services).length).toBeGreaterThan(10);
    expect(composeProblems(files)).toEqual([]);
  });

  it('k8s/ is consistent', () => {
    expect(files.manifests.size).toBeGreaterThan(10);
    expect(k8sProblems(files, connectionsMetric!)).toEqual([]);
  });
});

/** A broken copy of the files: each case breaks one thing, which the checks must name. */
function broken(change: (f: DeployFiles) => void): DeployFiles {
  const copy = structuredClone(files);
  change(copy);
  return copy;
}
const manifest = (f: DeployFiles, file: string, kind: string) => f.manifests.get(file)!.find((d) => d.kind === kind)!;
const container = (f: DeployFiles, file: string) => manifest(f, file, 'Deployment').spec.template.spec.containers[0];

describe('deploy file checks catch', () => {
  it.each<[string, (f: DeployFiles) => void, RegExp]>([
    ['an app service without healthcheck', (f) => delete f.compose.services['search-1'].healthcheck, /search-1: no healthcheck/],
    ['a misspelt env name in compose', (f) => (f.compose.services['push-2'].environment = { ...f.compose.services['push-2'].environment, PUSH_PROT: '3004' }), /push-2: PUSH_PROT is not in EnvSchema/],
    ['an app service that would pull the local image', (f) => delete f.compose.services['messages-2'].pull_policy, /messages-2: pull_policy undefined, want never/],
    ['a second build of the app image', (f) => (f.compose.services['gateway-a'].build = { context: '.' }), /2 services build the app image/],
    ['a service without limits', (f) => delete f.compose.services.postgres.deploy, /postgres: no deploy.resources.limits/],
    ['a service without log rotation', (f) => delete f.compose.services.lb.logging, /lb: logs not rotated/],
    ['a password written into compose', (f) => (f.compose.services.postgres.environment.POSTGRES_PASSWORD = 'hunter2'), /POSTGRES_PASSWORD is written in the file/],
    ['an untagged image', (f) => (f.compose.services.minio.image = 'minio/minio'), /minio: image minio\/minio has no fixed tag/],
    ['an app missing from Prometheus', (f) => (f.prometheus.scrape_configs = []), /push-1: not scraped/],
    ['/metrics reachable through nginx', (f) => (f.nginxConf = f.nginxConf.replace('location ~* ^/metrics', 'location ~* ^/metricz')), /metrics is not answered 404/],
    ['a selector that misses its pods', (f) => (manifest(f, 'search.yaml', 'Deployment').spec.selector.matchLabels = { 'app.kubernetes.io/name': 'serach' }), /Deployment search: selector does not match/],
    ['a Service selecting nothing', (f) => (manifest(f, 'push.yaml', 'Service').spec.selector = { 'app.kubernetes.io/name': 'pusher' }), /Service push: its selector matches no/],
    ['a container without liveness probe', (f) => delete container(f, 'presence.yaml').livenessProbe, /presence container presence: no livenessProbe/],
    ['a misspelt env name in k8s', (f) => container(f, 'gateway.yaml').env.push({ name: 'GATEWAY_DRAIN', value: '1' }), /GATEWAY_DRAIN is not in EnvSchema/],
    ['a ConfigMap key nobody reads', (f) => (manifest(f, 'configmap.yaml', 'ConfigMap').data.REDIS_HOST = 'redis'), /REDIS_HOST is not in EnvSchema/],
    ['the latest tag', (f) => (f.kustomization.images[0].newTag = 'latest'), /has tag latest/],
    ['a manifest left out of kustomization', (f) => (f.kustomization.resources = f.kustomization.resources.filter((r: string) => r !== 'pdb.yaml')), /pdb.yaml is not in resources/],
    ['a committed secret value', (f) => (f.secretsExample = parseEnvFile('JWT_SECRET=abc\n')), /JWT_SECRET has a value/],
    ['a mounted service account token', (f) => delete manifest(f, 'api.yaml', 'Deployment').spec.template.spec.automountServiceAccountToken, /Deployment api: mounts a service account token/],
    ['a pod without scrape annotations', (f) => delete manifest(f, 'messages.yaml', 'Deployment').spec.template.metadata.annotations, /Deployment messages: no Prometheus scrape/],
    ['the gateway HPA on memory', (f) => (manifest(f, 'hpa.yaml', 'HorizontalPodAutoscaler').spec.metrics = [{ type: 'Resource', resource: { name: 'memory' } }]), /HPA gateway: scales on memory/],
    ['an app cut off from PostgreSQL', (f) => (f.manifests.get('networkpolicy.yaml')!.find((d) => d.metadata.name === 'postgres-from-apps')!.spec.ingress[0].from[0].podSelector.matchExpressions[0].values = ['api']), /search cannot reach postgres/],
    ['no default deny', (f) => f.manifests.set('networkpolicy.yaml', f.manifests.get('networkpolicy.yaml')!.filter((d) => d.metadata.name !== 'default-deny-ingress')), /no default deny/],
    ['the ingress controller shut out', (f) => f.manifests.set('networkpolicy.yaml', f.manifests.get('networkpolicy.yaml')!.filter((d) => d.metadata.name !== 'edge-from-ingress-controller')), /ingress controller cannot reach api:3000/],
    ['a secret key the generator lacks', (f) => container(f, 'api.yaml').env.push({ name: 'ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'chat-secrets', key: 'ADMIN_TOKEN' } } }), /secret chat-secrets\/ADMIN_TOKEN is not in/],
    ['Prometheus shut out', (f) => f.manifests.set('networkpolicy.yaml', f.manifests.get('networkpolicy.yaml')!.filter((d) => d.metadata.name !== 'metrics-from-monitoring')), /cannot scrape gateway:8080/],
  ])('%s', (_, change, problem) => {
    const f = broken(change);
    const problems = [...composeProblems(f), ...k8sProblems(f, connectionsMetric!)];
    expect(problems).toContainEqual(expect.stringMatching(problem));
  });
});
