// Broken Pods for the hostile-input tests (unit and e2e): a good pod with one field set to a value of another type, a name the API refuses, a huge or deeply nested value.
import fc from 'fast-check';
import { stringify } from 'yaml';

/** A pod that every path accepts; each case breaks one field of it. */
export const goodPod = (name = 'good') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web' }, annotations: { note: 'x' } },
  spec: {
    restartPolicy: 'Always',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: { runAsUser: 1000, sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }] },
    volumes: [{ name: 'data', emptyDir: {} }],
    containers: [{
      name: 'app',
      image: 'busybox:1.36',
      command: ['sh', '-c', 'sleep 3600'],
      env: [{ name: 'A', value: 'b' }],
      ports: [{ containerPort: 8080, hostPort: 18080, protocol: 'TCP' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      livenessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 10 },
    }],
  },
});

/** The fields a case may break, as paths into goodPod; `leaf` is what the error must name. */
const PATHS: string[][] = [
  ['kind'], ['apiVersion'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace'], ['metadata', 'labels'], ['metadata', 'annotations'],
  ['spec'], ['spec', 'restartPolicy'], ['spec', 'nodeSelector'], ['spec', 'securityContext'], ['spec', 'securityContext', 'runAsUser'],
  ['spec', 'securityContext', 'sysctls'], ['spec', 'volumes'], ['spec', 'volumes', '0', 'name'], ['spec', 'containers'],
  ['spec', 'containers', '0'], ['spec', 'containers', '0', 'name'], ['spec', 'containers', '0', 'image'], ['spec', 'containers', '0', 'command'],
  ['spec', 'containers', '0', 'env'], ['spec', 'containers', '0', 'env', '0', 'name'], ['spec', 'containers', '0', 'ports'],
  ['spec', 'containers', '0', 'ports', '0', 'containerPort'], ['spec', 'containers', '0', 'ports', '0', 'hostPort'],
  ['spec', 'containers', '0', 'resources'], ['spec', 'containers', '0', 'resources', 'requests'], ['spec', 'containers', '0', 'resources', 'requests', 'cpu'],
  ['spec', 'containers', '0', 'volumeMounts'], ['spec', 'containers', '0', 'volumeMounts', '0', 'mountPath'], ['spec', 'containers', '0', 'livenessProbe'],
  ['spec', 'containers', '0', 'livenessProbe', 'periodSeconds'],
];

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** Values of every JSON type, some huge or deeply nested; null and undefined excepted (absent is often valid). */
const deep = fc.integer({ min: 50, max: 1200 }).map((n) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
  return v;
});
// Deep values cost ~0.5 s each to write and read back: 1 case in ~80.
const hostileValue = fc.oneof(
  { arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean()), weight: 20 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 20 },
  { arbitrary: fc.string({ minLength: 300, maxLength: 5_000 }), weight: 5 },
  { arbitrary: fc.constantFrom('../../etc/passwd', 'UPPER_case!', ' ', '\u0000\u202e', '-1'), weight: 10 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }), weight: 12 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), weight: 12 },
  { arbitrary: deep, weight: 1 },
);

/** A case: one field of the good pod set to a value of another type, or (strings) to one no name allows. */
export const brokenCase = fc.record({ path: fc.constantFrom(...PATHS), value: hostileValue }).filter(({ path, value }) => {
  const original = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], goodPod());
  // A quantity may be written as a number: only a negative one is wrong.
  if (path.at(-1) === 'cpu' && typeof value === 'number') return value <= -0.001; // tinier ones round to 0
  if (typeOf(original) !== typeOf(value)) return true;
  // Same type: only strings the API server refuses there.
  if (typeof value !== 'string') return false;
  if (path.includes('env')) return value === '';
  switch (path.at(-1)) {
    // An empty namespace is unset (defaulted); an empty name is not.
    case 'namespace': case 'name':
      return (path.at(-1) === 'name' || value !== '') && (value.length > 253 || /[A-Z_!\u0000 ]|^$|^-|^\.|\.\./.test(value));
    case 'restartPolicy': return value !== original && value !== ''; // empty is unset: defaulted
    case 'apiVersion': case 'kind': return value !== original;
    case 'image': return /^\s|\s$|^$/.test(value);
    default: return false;
  }
});

export function broken({ path, value }: { path: string[]; value: unknown }): Record<string, unknown> {
  const pod = goodPod('victim') as unknown as Record<string, unknown>;
  const parent = path.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, pod);
  parent[path.at(-1)!] = value;
  return pod;
}

/** A field path as errors spell it: spec.containers[0].ports. */
export const spelled = (path: string[]) => path.reduce((s, k) => (/^\d+$/.test(k) ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** The broken pod as a manifest file holds it: YAML, or JSON (YAML too) when the yaml writer overflows on a deep value. */
export function brokenManifest(c: { path: string[]; value: unknown }): string {
  const doc = broken(c);
  try {
    return stringify(doc, { aliasDuplicateObjects: false });
  } catch {
    return JSON.stringify(doc) + '\n';
  }
}
