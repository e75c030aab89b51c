import { APP_SETTINGS, NOT_APP_SETTINGS, SECRET_NAME, floatingTag, selects } from './common';
import type { DeployFiles, Doc } from './load';

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

/** A workload's pods: their labels and containers, for the checks across manifests. */
interface Pods {
  name: string;
  labels: Record<string, string>;
  containers: Doc[];
  /** Runs the app image (kustomization `images`), so it reads EnvSchema. */
  app: boolean;
}

interface Reach {
  pods: Pods;
  port: number;
}

const portsOf = (pods: Pods): Doc[] => pods.containers.flatMap((c) => c.ports ?? []);

/** Whether a NetworkPolicy port list lets `port` (a container port of `pods`) through. */
function portAllowed(rulePorts: Doc[] | undefined, pods: Pods, port: number): boolean {
  if (!rulePorts) return true;
  return rulePorts.some((p) =>
    typeof p.port === 'number' ? p.port === port : portsOf(pods).some((cp) => cp.name === p.port && cp.containerPort === port),
  );
}

/** Whether some policy lets `from` (pods of this namespace, or namespace `fromNamespace`) reach `to` on `port`. */
function ingressAllowed(policies: Doc[], to: Pods, port: number, from: { pods: Pods } | { namespace: string }): boolean {
  return policies
    .filter((p) => selects(p.spec?.podSelector, to.labels))
    .flatMap((p) => p.spec?.ingress ?? [])
    .some(
      (rule: Doc) =>
        portAllowed(rule.ports, to, port) &&
        (rule.from ?? []).some((peer: Doc) =>
          'pods' in from
            ? peer.podSelector && !peer.namespaceSelector && selects(peer.podSelector, from.pods.labels)
            : peer.namespaceSelector &&
              !peer.podSelector &&
              selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': from.namespace }),
        ),
    );
}

function probeProblems(where: string, c: Doc): string[] {
  const problems: string[] = [];
  const names = new Set((c.ports ?? []).map((p: Doc) => p.name));
  for (const kind of ['readinessProbe', 'livenessProbe']) {
    const probe = c[kind];
    if (!probe) {
      problems.push(`${where}: no ${kind}`);
      continue;
    }
    const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
    if (typeof port === 'string' && !names.has(port)) problems.push(`${where}: ${kind} names port ${port}, which it does not declare`);
  }
  return problems;
}

/** What is wrong with k8s/ (the manifests, kustomization.yaml and secrets.env.example). */
export function k8sProblems(files: DeployFiles, gatewayConnectionsMetric: string): string[] {
  const problems: string[] = [];
  const docs = [...files.manifests.values()].flat();
  const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const k = files.kustomization;

  // kustomization.yaml: every manifest, once; app image by version.
  const listed = new Set<string>((k.resources ?? []).map(String));
  for (const name of files.manifests.keys()) if (!listed.has(name)) problems.push(`kustomization.yaml: ${name} is not in resources`);
  for (const name of listed) if (!files.manifests.has(name)) problems.push(`kustomization.yaml: resource ${name} does not exist`);
  const appImages = new Set<string>();
  for (const image of k.images ?? []) {
    appImages.add(image.name);
    if (!image.newTag || image.newTag === 'latest') problems.push(`kustomization.yaml: image ${image.name} has tag ${image.newTag}, want a version`);
  }

  // The Secret's keys: names the apps read (or listed exceptions), and no values.
  const generated = new Set<string>((k.secretGenerator ?? []).map((g: Doc) => g.name));
  for (const [key, value] of files.secretsExample) {
    if (!APP_SETTINGS.has(key) && !(key in NOT_APP_SETTINGS)) problems.push(`secrets.env.example: ${key} is not in EnvSchema`);
    if (value !== '' && !/<[a-z-]+>/.test(value)) problems.push(`secrets.env.example: ${key} has a value; leave it empty or a <placeholder>`);
  }
  if (!files.gitignore.includes('k8s/secrets.env')) problems.push('.gitignore: k8s/secrets.env is not ignored');
  if (ofKind('Secret').length > 0) problems.push('k8s: a Secret is committed; it belongs in secrets.env (secretGenerator)');

  const configMaps = new Map<string, Doc>(ofKind('ConfigMap').map((d) => [d.metadata.name, d]));
  for (const [name, cm] of configMaps) {
    for (const key of Object.keys(cm.data ?? {})) {
      if (!APP_SETTINGS.has(key)) problems.push(`ConfigMap ${name}: ${key} is not in EnvSchema`);
      if (SECRET_NAME.test(key)) problems.push(`ConfigMap ${name}: ${key} is a secret; put it in secrets.env`);
    }
  }

  const accounts = new Map<string, Doc>(ofKind('ServiceAccount').map((d) => [d.metadata.name, d]));
  const pods: Pods[] = [];
  // Who must be let through the NetworkPolicies: Prometheus to these, the ingress controller to those.
  const scraped: Reach[] = [];
  const edge: Reach[] = [];
  for (const w of docs.filter((d) => WORKLOADS.has(d.kind))) {
    const where = `${w.kind} ${w.metadata.name}`;
    const spec = w.spec.template?.spec ?? {};
    const labels = w.spec.template?.metadata?.labels ?? {};
    const containers: Doc[] = spec.containers ?? [];
    const app = containers.some((c) => appImages.has(c.image));
    pods.push({ name: w.metadata.name, labels, containers, app });

    if (!w.spec.selector?.matchLabels || !selects(w.spec.selector, labels)) problems.push(`${where}: selector does not match its pod labels`);
    const account = accounts.get(spec.serviceAccountName);
    if (!account) problems.push(`${where}: serviceAccountName ${spec.serviceAccountName} is not a ServiceAccount here`);
    if (spec.automountServiceAccountToken !== false || (account && account.automountServiceAccountToken !== false)) {
      problems.push(`${where}: mounts a service account token`);
    }
    if (app) {
      const a = w.spec.template.metadata.annotations ?? {};
      const scrape = Number(a['prometheus.io/port']);
      if (a['prometheus.io/scrape'] !== 'true' || a['prometheus.io/path'] !== '/metrics') problems.push(`${where}: no Prometheus scrape annotations`);
      else if (!portsOf(pods[pods.length - 1]).some((p) => p.containerPort === scrape)) problems.push(`${where}: scrapes port ${scrape}, which it does not declare`);
      else scraped.push({ pods: pods[pods.length - 1], port: scrape });
    }
    for (const c of containers) {
      const cw = `${where} container ${c.name}`;
      problems.push(...probeProblems(cw, c));
      if (!c.resources?.limits?.cpu || !c.resources?.limits?.memory) problems.push(`${cw}: no cpu and memory limits`);
      if (!appImages.has(c.image) && floatingTag(c.image)) problems.push(`${cw}: image ${c.image} has no fixed tag`);
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problems.push(`${cw}: ConfigMap ${from.configMapRef.name} does not exist`);
      }
      for (const e of c.env ?? []) {
        if (app && !APP_SETTINGS.has(e.name)) problems.push(`${cw}: ${e.name} is not in EnvSchema`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && (!generated.has(ref.name) || !files.secretsExample.has(ref.key))) {
          problems.push(`${cw}: secret ${ref.name}/${ref.key} is not in secretGenerator and secrets.env.example`);
        }
      }
    }
  }

  const deployments = new Set(ofKind('Deployment').map((d) => d.metadata.name));
  const services = new Map<string, Doc>(ofKind('Service').map((d) => [d.metadata.name, d]));
  for (const [name, s] of services) {
    const backends = pods.filter((p) => selects({ matchLabels: s.spec.selector }, p.labels));
    if (!s.spec.selector || backends.length === 0) {
      problems.push(`Service ${name}: its selector matches no workload's pods`);
      continue;
    }
    for (const port of s.spec.ports ?? []) {
      const target = port.targetPort;
      if (typeof target === 'string' && !backends.every((p) => portsOf(p).some((cp) => cp.name === target))) {
        problems.push(`Service ${name}: targetPort ${target} is not a port of its pods`);
      }
    }
  }
  for (const pdb of ofKind('PodDisruptionBudget')) {
    if (!pods.some((p) => selects(pdb.spec.selector, p.labels))) problems.push(`PodDisruptionBudget ${pdb.metadata.name}: selects no pods`);
  }
  for (const hpa of ofKind('HorizontalPodAutoscaler')) {
    const target = hpa.spec.scaleTargetRef;
    if (target?.kind !== 'Deployment' || !deployments.has(target.name)) problems.push(`HPA ${hpa.metadata.name}: no Deployment ${target?.name}`);
    if ((hpa.spec.metrics ?? []).some((m: Doc) => m.resource?.name === 'memory')) problems.push(`HPA ${hpa.metadata.name}: scales on memory`);
  }
  const gatewayHpa = ofKind('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef?.name === 'gateway');
  const metrics: Doc[] = gatewayHpa?.spec.metrics ?? [];
  if (!metrics.some((m) => m.type === 'Pods' && m.pods?.metric?.name === gatewayConnectionsMetric)) {
    problems.push(`HPA gateway: no Pods metric ${gatewayConnectionsMetric}`);
  }
  if (!metrics.some((m) => m.resource?.name === 'cpu')) problems.push('HPA gateway: no CPU fallback');

  for (const ing of ofKind('Ingress')) {
    for (const rule of ing.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const svc = services.get(backend?.name);
        const port = svc?.spec.ports.find((p: Doc) => p.name === backend.port?.name);
        if (!port) problems.push(`Ingress ${ing.metadata.name}: ${path.path} → no Service port ${backend?.name}:${backend?.port?.name}`);
        for (const p of pods.filter((p) => port && selects({ matchLabels: svc!.spec.selector }, p.labels))) {
          const cp = portsOf(p).find((c) => c.name === port.targetPort || c.containerPort === port.targetPort);
          if (cp) edge.push({ pods: p, port: cp.containerPort });
        }
        if (/metrics|healthz|readyz/.test(path.path)) problems.push(`Ingress ${ing.metadata.name}: routes ${path.path} to the outside`);
      }
    }
  }

  problems.push(...networkProblems(ofKind('NetworkPolicy'), pods, scraped, edge));
  return problems;
}

/**
 * Default deny, and the traffic the pods need let through (see k8s/networkpolicy.yaml): apps
 * to Redis (and PostgreSQL when given DATABASE_URL), namespace `monitoring` to every scraped
 * port, namespace `ingress-nginx` to every port the Ingress routes to.
 */
function networkProblems(policies: Doc[], pods: Pods[], scraped: Reach[], edge: Reach[]): string[] {
  const problems: string[] = [];
  const denyAll = policies.some(
    (p) => Object.keys(p.spec?.podSelector ?? { x: 1 }).length === 0 && (p.spec.policyTypes ?? []).includes('Ingress') && !p.spec.ingress,
  );
  if (!denyAll) problems.push('NetworkPolicy: no default deny of ingress');
  const byName = new Map(pods.map((p) => [p.name, p]));
  for (const app of pods.filter((p) => p.app)) {
    const env = new Set(app.containers.flatMap((c) => (c.env ?? []).map((e: Doc) => e.name)));
    const needs = ['redis', ...(env.has('DATABASE_URL') ? ['postgres'] : [])];
    for (const store of needs) {
      const target = byName.get(store);
      // Absent when the deployment uses a managed Redis/PostgreSQL instead (README).
      if (target && !ingressAllowed(policies, target, portsOf(target)[0]?.containerPort, { pods: app })) {
        problems.push(`NetworkPolicy: ${app.name} cannot reach ${store}`);
      }
    }
  }
  for (const { pods: to, port } of scraped) {
    if (!ingressAllowed(policies, to, port, { namespace: 'monitoring' })) problems.push(`NetworkPolicy: Prometheus (monitoring) cannot scrape ${to.name}:${port}`);
  }
  for (const { pods: to, port } of edge) {
    if (!ingressAllowed(policies, to, port, { namespace: 'ingress-nginx' })) problems.push(`NetworkPolicy: the ingress controller cannot reach ${to.name}:${port}`);
  }
  return problems;
}
