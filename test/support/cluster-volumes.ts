// The volume manager's cluster side over FakeKube (tokens, ConfigMaps, Secrets), with TokenRequests that can be held back, for pod worker tests.
import pino from 'pino';
import { newCachingConfigMapManager } from '../../src/objects/configmaps.js';
import { newWatchingSecretManager } from '../../src/objects/secrets.js';
import { TokenManager } from '../../src/token/token-manager.js';
import type { HostVolumeManagerOptions } from '../../src/volumes/manager.js';
import { FakeKube } from './fake-kube.js';

export interface ClusterVolumes {
  /** For makeHarness's `volumes` option; makes the FakeKube with the harness's clock. */
  volumes: (clock: () => number) => HostVolumeManagerOptions;
  /** The fake API server (set once the harness is made). */
  kube: () => FakeKube;
  /** From now on TokenRequests wait (an API server that does not answer) until the returned function is called. */
  hold: () => () => void;
  /** How many TokenRequests have been made. */
  tokenRequests: () => number;
}

export function clusterVolumes(): ClusterVolumes {
  let kube: FakeKube | undefined;
  let gate: Promise<void> | undefined;
  let requests = 0;
  return {
    volumes: (clock) => {
      kube = new FakeKube(clock);
      const client = kube.client();
      const serviceAccounts = {
        createToken: async (...a: Parameters<typeof client.serviceAccounts.createToken>) => {
          requests++;
          await gate;
          return client.serviceAccounts.createToken(...a);
        },
      };
      return {
        clock,
        cluster: {
          tokens: new TokenManager({ client: serviceAccounts, clock, random: () => 0 }),
          configMaps: newCachingConfigMapManager(client.configMaps, { clock }),
          secrets: newWatchingSecretManager(client.secrets, pino({ level: 'silent' })),
        },
      };
    },
    kube: () => {
      if (!kube) throw new Error('clusterVolumes: the harness has not been made yet');
      return kube;
    },
    hold: () => {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    tokenRequests: () => requests,
  };
}
