// The field types of a v1 Pod that mini-kubelet reads, as a table for shape.ts (the rest of a Pod passes unchecked).
import type { Shape } from './shape.js';

const f = (fields: Record<string, Shape>): Shape => ({ fields });
const list = (s: Shape): Shape => ({ list: s });
const map = (s: Shape): Shape => ({ map: s });

const keyRef = f({ name: 'string', key: 'string', optional: 'bool' });
const fieldRef = f({ apiVersion: 'string', fieldPath: 'string' });
const resourceFieldRef = f({ containerName: 'string', resource: 'string', divisor: 'quantity' });

const execAction = f({ command: list('string') });
const httpGet = f({ path: 'string', port: 'intOrString', host: 'string', scheme: 'string', httpHeaders: list(f({ name: 'string', value: 'string' })) });
const tcpSocket = f({ port: 'intOrString', host: 'string' });
const handler = f({ exec: execAction, httpGet, tcpSocket, sleep: f({ seconds: 'int' }) });
const probe = f({
  exec: execAction, httpGet, tcpSocket, grpc: f({ port: 'int', service: 'string' }),
  initialDelaySeconds: 'int', timeoutSeconds: 'int', periodSeconds: 'int',
  successThreshold: 'int', failureThreshold: 'int', terminationGracePeriodSeconds: 'int',
});

const container = f({
  name: 'string', image: 'string', command: list('string'), args: list('string'), workingDir: 'string',
  ports: list(f({ name: 'string', containerPort: 'int', hostPort: 'int', protocol: 'string', hostIP: 'string' })),
  env: list(f({
    name: 'string', value: 'string',
    valueFrom: f({ fieldRef, resourceFieldRef, configMapKeyRef: keyRef, secretKeyRef: keyRef }),
  })),
  envFrom: list('object'),
  resources: f({ limits: map('quantity'), requests: map('quantity') }),
  volumeMounts: list(f({ name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'bool' })),
  livenessProbe: probe, readinessProbe: probe, startupProbe: probe,
  lifecycle: f({ postStart: handler, preStop: handler }),
  imagePullPolicy: 'string', terminationMessagePath: 'string', terminationMessagePolicy: 'string',
  restartPolicy: 'string', securityContext: 'object', stdin: 'bool', stdinOnce: 'bool', tty: 'bool',
});

const keyToPath = list(f({ key: 'string', path: 'string', mode: 'int' }));
const volume = f({
  name: 'string',
  emptyDir: f({ medium: 'string', sizeLimit: 'quantity' }),
  hostPath: f({ path: 'string', type: 'string' }),
  configMap: f({ name: 'string', defaultMode: 'int', items: keyToPath, optional: 'bool' }),
  secret: f({ secretName: 'string', defaultMode: 'int', items: keyToPath, optional: 'bool' }),
  downwardAPI: f({ defaultMode: 'int', items: list(f({ path: 'string', fieldRef, resourceFieldRef, mode: 'int' })) }),
  projected: f({ defaultMode: 'int', sources: list('object') }),
});

export const POD_SHAPE: Shape = f({
  apiVersion: 'string',
  kind: 'string',
  metadata: f({
    name: 'string', namespace: 'string', uid: 'string', generateName: 'string',
    labels: map('string'), annotations: map('string'),
  }),
  spec: f({
    containers: list(container), initContainers: list(container), volumes: list(volume),
    restartPolicy: 'string', dnsPolicy: 'string', dnsConfig: 'object', nodeName: 'string',
    hostNetwork: 'bool', hostPID: 'bool', hostIPC: 'bool', shareProcessNamespace: 'bool',
    hostname: 'string', subdomain: 'string', schedulerName: 'string', priority: 'int',
    terminationGracePeriodSeconds: 'int', activeDeadlineSeconds: 'int', enableServiceLinks: 'bool',
    // The pod-level fields admission and the sandbox read (sysctls: admitSysctls).
    securityContext: f({
      runAsUser: 'int', runAsGroup: 'int', runAsNonRoot: 'bool', fsGroup: 'int', supplementalGroups: list('int'),
      sysctls: list(f({ name: 'string', value: 'string' })),
    }),
    tolerations: list('object'), nodeSelector: map('string'), affinity: 'object', overhead: map('quantity'),
    os: f({ name: 'string' }),
  }),
  status: 'object',
});
