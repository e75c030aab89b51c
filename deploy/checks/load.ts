import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// js-yaml 3 arrives with jest (@istanbuljs/load-nyc-config needs it) and has no types here:
// this is the one function used. Its default schema resolves anchors and `<<` merge keys.
const yaml = require('js-yaml') as { safeLoadAll(text: string, onDoc: (doc: unknown) => void): void };

/** Parsed YAML: the checks read it loosely, field by field. */
export type Doc = Record<string, any>;

export interface DeployFiles {
  compose: Doc;
  /** k8s/*.yaml but the kustomization, by file name: every document of each. */
  manifests: Map<string, Doc[]>;
  kustomization: Doc;
  /** k8s/secrets.env.example: KEY → value as written. */
  secretsExample: Map<string, string>;
  prometheus: Doc;
  nginxConf: string;
  gitignore: string[];
}

export function parseYaml(text: string): Doc[] {
  const docs: Doc[] = [];
  yaml.safeLoadAll(text, (doc) => {
    if (doc !== null && doc !== undefined) docs.push(doc as Doc);
  });
  return docs;
}

export function parseEnvFile(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) entries.set(m[1], m[2]);
  }
  return entries;
}

export function loadDeployFiles(root: string): DeployFiles {
  const read = (...path: string[]) => readFileSync(join(root, ...path), 'utf8');
  const manifests = new Map<string, Doc[]>();
  for (const name of readdirSync(join(root, 'k8s')).sort()) {
    if (name.endsWith('.yaml') && name !== 'kustomization.yaml') manifests.set(name, parseYaml(read('k8s', name)));
  }
  return {
    compose: parseYaml(read('docker-compose.yml'))[0],
    manifests,
    kustomization: parseYaml(read('k8s', 'kustomization.yaml'))[0],
    secretsExample: parseEnvFile(read('k8s', 'secrets.env.example')),
    prometheus: parseYaml(read('deploy', 'prometheus', 'prometheus.yml'))[0],
    nginxConf: read('deploy', 'nginx', 'nginx.conf'),
    gitignore: read('.gitignore').split('\n').map((l) => l.trim()),
  };
}
