// The bundle builds etcd3's gRPC package definition from a descriptor parsed at build time (build/plugins.mjs,
// etcd3ProtoDescriptor) instead of etcd3's .proto files at run time. It must be the very definition etcd3 loads itself.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import { fromJSON, loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

const root = new URL('../../', import.meta.url).pathname;
const rpcProto = createRequire(`${root}package.json`).resolve('etcd3/proto/rpc.proto');
/** The options etcd3's connection-pool.js loads its definitions with. */
const OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const { etcd3Descriptor } = (await import(`${root}build/plugins.mjs`)) as {
  etcd3Descriptor: (file: string) => Parameters<typeof fromJSON>[0];
};

/** The definition without its functions and file descriptors (which only gRPC's server reflection reads). */
function shape(definition: PackageDefinition): string {
  return JSON.stringify(definition, (key, value: unknown) =>
    typeof value === 'function' || key === 'fileDescriptorProtos' ? undefined : value,
  );
}

it("etcd3's package definition from the build-time descriptor equals the one its .proto files give", () => {
  const fromFiles = loadSync(rpcProto, OPTIONS);
  const fromDescriptor = fromJSON(etcd3Descriptor(rpcProto), OPTIONS);
  assert.deepEqual(Object.keys(fromDescriptor).sort(), Object.keys(fromFiles).sort());
  assert.ok(Object.keys(fromFiles).includes('etcdserverpb.Lease'), 'the services etcd3 uses');
  assert.equal(shape(fromDescriptor), shape(fromFiles));
  type Method = { requestSerialize(m: object): Buffer; responseDeserialize(b: Buffer): object };
  const put = (d: PackageDefinition): Method => (d['etcdserverpb.KV'] as unknown as Record<string, Method>).Put!;
  const request = { key: Buffer.from('/skydns/x'), value: Buffer.from('{}'), lease: '7', prev_kv: true };
  assert.deepEqual(put(fromDescriptor).requestSerialize(request), put(fromFiles).requestSerialize(request));
});
