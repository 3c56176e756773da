// The projected volume the API server's ServiceAccount admission adds to every pod (kube-api-access-<suffix>), for unit and e2e tests.
import type { V1Volume } from '@kubernetes/client-node';

/** Token (3607 s by default, as admission writes it), ca.crt from kube-root-ca.crt, and the namespace; defaultMode 0644. */
export function kubeApiAccess(expirationSeconds = 3607, name = 'kube-api-access-abcde'): V1Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** Where admission mounts it. */
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
