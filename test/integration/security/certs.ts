/**
 * Throwaway PKI for the etcd TLS tests, made with `openssl` (execFile, no shell) in a temporary directory: a CA, a
 * server certificate for 127.0.0.1, a client certificate, an expired client certificate (`openssl ca` with a
 * backdated -startdate/-enddate) and an unrelated second CA. EC P-256 keys: quick to make.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by `ca` for the client key, valid 2020-01-01 to 2020-01-02. */
  expiredCert: string;
  /** A CA that signed nothing here: trusting it instead of `ca` must fail verification. */
  otherCa: string;
}

/** Makes every certificate and key; resolves with their paths. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'rundock-pki-'));
  const p = (name: string): string => join(dir, name);
  const openssl = (args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '30',
    '-subj',
    '/CN=rundock-test-ca',
  ]);
  await openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    p('other.key'),
    '-out',
    p('other.crt'),
    '-days',
    '30',
    '-subj',
    '/CN=unrelated-ca',
  ]);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', 'etcd'],
    ['client', 'rundock'],
  ] as const) {
    await openssl(['req', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await openssl([
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-out',
      p(`${name}.crt`),
      '-days',
      '30',
      '-extfile',
      p(`${name}.ext`),
    ]);
  }
  // openssl 3.0's x509 has no start date: a minimal `openssl ca` signs the same client key with a past validity.
  await mkdir(p('ca-db'));
  await writeFile(p('ca-db/index.txt'), '');
  await writeFile(p('ca-db/serial'), '1000\n');
  await writeFile(
    p('ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `database = ${p('ca-db/index.txt')}`,
      `new_certs_dir = ${p('ca-db')}`,
      `serial = ${p('ca-db/serial')}`,
      `certificate = ${p('ca.crt')}`,
      `private_key = ${p('ca.key')}`,
      'default_md = sha256',
      'policy = any',
      'x509_extensions = client_ext',
      '[any]',
      'commonName = supplied',
      '[client_ext]',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'ca',
    '-config',
    p('ca.cnf'),
    '-batch',
    '-notext',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
    '-in',
    p('client.csr'),
    '-out',
    p('expired.crt'),
  ]);
  return {
    dir,
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    expiredCert: p('expired.crt'),
    otherCa: p('other.crt'),
  };
}
