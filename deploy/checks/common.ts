import { EnvSchema } from '@chat/config';

/** Every variable the apps read (libs/config/src/config.schema.ts). */
export const APP_SETTINGS: ReadonlySet<string> = new Set(Object.keys(EnvSchema.shape));

/**
 * Keys in the deploy files' shared secret that no app reads, and why they are there. Any
 * other name given to an app that is not in EnvSchema is a typo or a setting nobody reads.
 */
export const NOT_APP_SETTINGS: Readonly<Record<string, string>> = {
  REDIS_PASSWORD: 'the dev Redis of k8s/redis.yaml (the apps take it inside REDIS_URL)',
  POSTGRES_PASSWORD: 'the dev PostgreSQL of k8s/postgres.yaml (the apps take it inside DATABASE_URL)',
};

/** Names whose values must never be written into a committed file. */
export const SECRET_NAME = /SECRET|PASSWORD|TOKEN|PRIVATE_KEY|ACCESS_KEY/;

/** The tag of an image reference (`${VAR:-default}` read as its default), or undefined. */
export function imageTag(image: string): string | undefined {
  const ref = image.replace(/^\$\{[A-Z0-9_]+:-(.*)\}$/, '$1');
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  const at = lastPart.indexOf(':');
  return at < 0 ? undefined : lastPart.slice(at + 1);
}

/** `latest` or no tag (which means latest): a rollout would run whatever was pushed last. */
export function floatingTag(image: string): boolean {
  const tag = imageTag(image);
  return tag === undefined || tag === 'latest';
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label selector semantics (an empty selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => l[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in l && values.includes(l[key]);
      case 'NotIn':
        return !(key in l) || !values.includes(l[key]);
      case 'Exists':
        return key in l;
      case 'DoesNotExist':
        return !(key in l);
      default:
        return false;
    }
  });
  return byLabel && byExpression;
}
