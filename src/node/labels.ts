// The Node's labels as the kubelet sets them: which kubernetes.io labels --node-labels may carry, the initial set, and the default labels reconciled on an existing Node.
import { defaultNodeLabels } from '../admission/node-affinity.js';
import { isQualifiedName, isValidLabelValue } from '../config/names.js';

/** k8s.io/kubelet/pkg/apis KubeletLabels: the kubernetes.io labels a kubelet may set on its own Node. */
export const KUBELET_LABELS: readonly string[] = [
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'kubernetes.io/arch',
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
];

/** KubeletLabelNamespaces: any label under these (or a subdomain of them) is the kubelet's to set. */
export const KUBELET_LABEL_NAMESPACES: readonly string[] = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');

/** IsKubeletLabel. */
export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.includes(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((allowed) => ns === allowed || ns.endsWith(`.${allowed}`));
}

/** options.go isKubernetesLabel: a key in the kubernetes.io or k8s.io namespaces (or their subdomains). */
function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return ['kubernetes.io', 'k8s.io'].some((d) => ns === d || ns.endsWith(`.${d}`));
}

/**
 * ValidateKubeletFlags' --node-labels part: a kubernetes.io or k8s.io label must be one the
 * kubelet may set (NodeRestriction would refuse the others), and every key and value must be a
 * valid label. Returns the kubelet's error message, or undefined when the labels are fine.
 */
export function validateNodeLabels(labels: Readonly<Record<string, string>>): string | undefined {
  const unknown = Object.keys(labels).filter((k) => isKubernetesLabel(k) && !isKubeletLabel(k)).sort();
  if (unknown.length > 0) {
    return `unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${unknown.join(' ')}]; ` +
      `--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (${KUBELET_LABEL_NAMESPACES.join(', ')}) ` +
      `or be in the specifically allowed set (${KUBELET_LABELS.join(', ')})`;
  }
  const invalid: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const keyErrs = isQualifiedName(k);
    if (keyErrs.length) invalid.push(`'${k}' - ${keyErrs.join(', ')}`);
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length) invalid.push(`'${v}' - ${valueErrs.join(', ')}`);
  }
  return invalid.length ? `invalid node labels: ${invalid.join('; ')}` : undefined;
}

/** initialNode's labels: the kubelet's own (hostname, os, arch, and their beta twins), then --node-labels over them. */
export function initialNodeLabels(nodeName: string, nodeLabels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...defaultNodeLabels(nodeName), ...nodeLabels };
}

/** updateDefaultLabels' list: the labels the kubelet keeps in line on a Node that already exists. */
const DEFAULT_LABELS: readonly string[] = [
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'node.kubernetes.io/windows-build',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
];

/**
 * updateDefaultLabels: each default label the initial Node has is copied onto the existing one
 * (an empty value removes it). Other labels, --node-labels included, are left as they are: the
 * kubelet applies --node-labels only when it creates the Node. Mutates `existing`; true when it changed.
 */
export function updateDefaultLabels(initial: Readonly<Record<string, string>>, existing: Record<string, string>): boolean {
  let changed = false;
  for (const key of DEFAULT_LABELS) {
    if (!(key in initial)) continue;
    if (existing[key] !== initial[key]) {
      existing[key] = initial[key]!;
      changed = true;
    }
    if (existing[key] === '') delete existing[key];
  }
  return changed;
}
