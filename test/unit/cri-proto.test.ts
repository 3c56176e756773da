// Pins a sample of CRI v1 field numbers and types (checked against cri-api), so a typo in proto/api.proto fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { loadCriServices, criProtoPath } from '../../src/cri/proto.js';

interface FieldDescriptor { name: string; number: number; type: string; label: string; typeName?: string }
interface EnumDescriptor { value: { name: string; number: number }[] }

const { RuntimeService, ImageService } = loadCriServices();
// keepCase here so the descriptors carry the names exactly as the .proto spells them.
const packageDefinition = protoLoader.loadSync(criProtoPath(), { keepCase: true });

function field(message: string, name: string): FieldDescriptor {
  const def = packageDefinition[`runtime.v1.${message}`] as { type?: { field: FieldDescriptor[] } } | undefined;
  assert.ok(def?.type, `message ${message} is in the proto`);
  const f = def.type.field.find((x) => x.name === name);
  assert.ok(f, `${message}.${name} is in the proto`);
  return f;
}

describe('proto/api.proto', () => {
  it('is found from src/ whatever the working directory', () => {
    assert.match(criProtoPath(), /\/proto\/api\.proto$/);
  });

  // [message, field, number, protobuf type, label]; verified against kubernetes/cri-api pkg/apis/runtime/v1/api.proto.
  const cases: [string, string, number, string, string?][] = [
    ['ContainerConfig', 'log_path', 11, 'TYPE_STRING'],
    ['ContainerConfig', 'linux', 15, 'TYPE_MESSAGE'],
    ['ContainerConfig', 'envs', 6, 'TYPE_MESSAGE', 'LABEL_REPEATED'],
    ['PodSandboxConfig', 'linux', 8, 'TYPE_MESSAGE'],
    ['PodSandboxConfig', 'log_directory', 3, 'TYPE_STRING'],
    ['PodSandboxConfig', 'port_mappings', 5, 'TYPE_MESSAGE', 'LABEL_REPEATED'],
    ['ContainerStatus', 'finished_at', 6, 'TYPE_INT64'],
    ['ContainerStatus', 'exit_code', 7, 'TYPE_INT32'],
    ['ContainerStatus', 'log_path', 15, 'TYPE_STRING'],
    ['ContainerStatus', 'reason', 10, 'TYPE_STRING'],
    ['Container', 'image_ref', 5, 'TYPE_STRING'],
    ['Container', 'state', 6, 'TYPE_ENUM'],
    ['PodSandboxStatus', 'network', 5, 'TYPE_MESSAGE'],
    ['PodSandboxStatus', 'created_at', 4, 'TYPE_INT64'],
    ['Namespace', 'options', 2, 'TYPE_MESSAGE'],
    ['LinuxSandboxSecurityContext', 'run_as_group', 8, 'TYPE_MESSAGE'],
    ['LinuxSandboxSecurityContext', 'seccomp', 9, 'TYPE_MESSAGE'],
    ['LinuxContainerSecurityContext', 'run_as_group', 12, 'TYPE_MESSAGE'],
    ['LinuxContainerSecurityContext', 'no_new_privs', 11, 'TYPE_BOOL'],
    ['LinuxContainerResources', 'memory_limit_in_bytes', 4, 'TYPE_INT64'],
    ['LinuxContainerResources', 'unified', 9, 'TYPE_MESSAGE', 'LABEL_REPEATED'],
    ['StopContainerRequest', 'timeout', 2, 'TYPE_INT64'],
    ['ExecSyncRequest', 'timeout', 3, 'TYPE_INT64'],
    ['ExecSyncResponse', 'stdout', 1, 'TYPE_BYTES'],
    ['ExecRequest', 'tty', 3, 'TYPE_BOOL'],
    ['ExecRequest', 'stdin', 4, 'TYPE_BOOL'],
    ['AttachRequest', 'stdin', 2, 'TYPE_BOOL'],
    ['AttachRequest', 'tty', 3, 'TYPE_BOOL'],
    ['PortMapping', 'host_ip', 4, 'TYPE_STRING'],
    ['Mount', 'propagation', 5, 'TYPE_ENUM'],
    ['KeyValue', 'value', 2, 'TYPE_STRING'],
    ['ImageSpec', 'annotations', 2, 'TYPE_MESSAGE', 'LABEL_REPEATED'],
    ['ImageSpec', 'user_specified_image', 18, 'TYPE_STRING'],
    ['Image', 'size', 4, 'TYPE_UINT64'],
    ['PullImageRequest', 'sandbox_config', 3, 'TYPE_MESSAGE'],
    ['PullImageResponse', 'image_ref', 1, 'TYPE_STRING'],
    ['ImageStatusResponse', 'image', 1, 'TYPE_MESSAGE'],
    ['StatusResponse', 'status', 1, 'TYPE_MESSAGE'],
    ['ImageFsInfoResponse', 'container_filesystems', 2, 'TYPE_MESSAGE', 'LABEL_REPEATED'],
  ];
  for (const [message, name, number, type, label] of cases) {
    it(`${message}.${name} = ${number} (${type})`, () => {
      const f = field(message, name);
      assert.equal(f.number, number);
      assert.equal(f.type, type);
      if (label) assert.equal(f.label, label);
    });
  }

  it('numbers the state enums as CRI does', () => {
    const values = (name: string) =>
      Object.fromEntries((packageDefinition[`runtime.v1.${name}`] as { type: EnumDescriptor }).type.value.map((v) => [v.name, v.number]));
    assert.deepEqual(values('ContainerState'), { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 });
    assert.deepEqual(values('PodSandboxState'), { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 });
    assert.deepEqual(values('NamespaceMode'), { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 });
  });

  it('has every RPC mini-kubelet calls, at runtime.v1 paths', () => {
    const runtime = Object.values(RuntimeService.service).map((m) => m.path);
    const image = Object.values(ImageService.service).map((m) => m.path);
    assert.equal(runtime.length, 21);
    assert.equal(image.length, 5);
    for (const rpc of ['Version', 'Status', 'RunPodSandbox', 'ExecSync', 'ListContainerStats', 'ReopenContainerLog']) {
      assert.ok(runtime.includes(`/runtime.v1.RuntimeService/${rpc}`), rpc);
    }
    for (const rpc of ['ImageStatus', 'PullImage', 'ListImages', 'RemoveImage', 'ImageFsInfo']) {
      assert.ok(image.includes(`/runtime.v1.ImageService/${rpc}`), rpc);
    }
  });

  it('decodes with camelCase names, enum names, int64 as numbers and defaults filled', () => {
    const method = RuntimeService.service.ContainerStatus!;
    const wire = method.responseSerialize({
      status: { id: 'c1', state: 'CONTAINER_EXITED', finishedAt: 1_700_000_000_123_456_789, exitCode: 137, logPath: 'c/0.log' },
    });
    const decoded = method.responseDeserialize(wire) as { status: Record<string, unknown> };
    assert.equal(decoded.status.state, 'CONTAINER_EXITED');
    assert.equal(typeof decoded.status.finishedAt, 'number');
    assert.ok(Math.abs((decoded.status.finishedAt as number) - 1_700_000_000_123_456_789) < 1000);
    assert.equal(decoded.status.exitCode, 137);
    assert.equal(decoded.status.logPath, 'c/0.log');
    assert.equal(decoded.status.reason, '');
    assert.equal(decoded.status.startedAt, 0);
  });
});
