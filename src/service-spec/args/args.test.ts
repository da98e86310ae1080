import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CreateBody } from '../run-options.js';
import { parseArgs } from './index.js';

const VARS = { PRIVATE_IP: '10.0.0.2', PUBLIC_IP: '203.0.113.7' };

function body(args: string): CreateBody {
  return parseArgs(args, VARS).body;
}

describe('parseArgs: basics', () => {
  it('gives a minimal result for empty or blank args', () => {
    assert.deepEqual(parseArgs('', VARS), { body: { HostConfig: {} }, envFiles: [] });
    assert.deepEqual(parseArgs('  \t\n ', {}), { body: { HostConfig: {} }, envFiles: [] });
  });

  it('parses the reference example', () => {
    assert.deepEqual(parseArgs('--volumes-from data.influxdb -p $PRIVATE_IP:8083:8083', { PRIVATE_IP: '10.0.0.2' }), {
      body: {
        ExposedPorts: { '8083/tcp': {} },
        HostConfig: {
          VolumesFrom: ['data.influxdb'],
          PortBindings: { '8083/tcp': [{ HostIp: '10.0.0.2', HostPort: '8083' }] },
        },
      },
      envFiles: [],
    });
  });

  it('accepts every flag spelling: --f v, --f=v, -x v, -xV, -x=V and short clusters', () => {
    const expected = { HostConfig: { Memory: 536870912 } };
    for (const args of [
      '--memory 512m',
      '--memory=512m',
      '-m 512m',
      '-m512m',
      '-m=512m',
      '-d -m 512m',
      '-dm 512m',
      '-dm512m',
    ]) {
      assert.deepEqual(body(args), expected, args);
    }
  });

  it('takes booleans alone or with =true/=false, and ignores -d/--detach', () => {
    assert.deepEqual(body('--read-only --privileged=true --init=false -d --detach=true'), {
      HostConfig: { ReadonlyRootfs: true, Privileged: true, Init: false },
    });
  });

  it('expands $PRIVATE_IP and ${PUBLIC_IP} and keeps quoted text whole', () => {
    assert.deepEqual(body(`-e "A=$PRIVATE_IP:80" -e B=\${PUBLIC_IP} -e 'C=$x y' -e D=\\$HOME -e "E=a b"`), {
      Env: ['A=10.0.0.2:80', 'B=203.0.113.7', 'C=$x y', 'D=$HOME', 'E=a b'],
      HostConfig: {},
    });
  });

  it('joins lines continued with a backslash, except inside single quotes', () => {
    assert.deepEqual(body('-e A=b \\\n  -e "C=d\\\ne" -e \'F=\\\n\''), {
      Env: ['A=b', 'C=de', 'F=\\\n'],
      HostConfig: {},
    });
  });

  it('takes glob characters literally', () => {
    assert.deepEqual(body('-e A=*.txt -l b=x?y'), { Env: ['A=*.txt'], Labels: { b: 'x?y' }, HostConfig: {} });
  });
});

describe('parseArgs: container config', () => {
  it('maps env, env files and labels', () => {
    process.env.RUNDOCK_ARGS_TEST_SET = 'inherited';
    delete process.env.RUNDOCK_ARGS_TEST_UNSET;
    const run = parseArgs(
      '-e A=b --env C= -e RUNDOCK_ARGS_TEST_SET -e RUNDOCK_ARGS_TEST_UNSET --env-file /a.env --env-file=b.env -l x=1 --label y',
      VARS,
    );
    assert.deepEqual(run, {
      body: { Env: ['A=b', 'C=', 'RUNDOCK_ARGS_TEST_SET=inherited'], Labels: { x: '1', y: '' }, HostConfig: {} },
      envFiles: ['/a.env', 'b.env'],
      // Its value is not in args: secret, like an env file's (kept out of the spec hash).
      inheritedEnv: ['RUNDOCK_ARGS_TEST_SET=inherited'],
    });
  });

  it('maps hostname, user, workdir, entrypoint, stop signal and timeout', () => {
    assert.deepEqual(body('-h box -u 1000:1000 -w /app --entrypoint /bin/run --stop-signal SIGINT --stop-timeout 30'), {
      Hostname: 'box',
      User: '1000:1000',
      WorkingDir: '/app',
      Entrypoint: ['/bin/run'],
      StopSignal: 'SIGINT',
      StopTimeout: 30,
      HostConfig: {},
    });
    assert.deepEqual(body('--entrypoint ""'), { Entrypoint: [''], HostConfig: {} });
  });

  it('maps -p in all its forms', () => {
    assert.deepEqual(body('-p 80 -p 8080:80 -p 127.0.0.1:53:53/udp -p [::1]:9000:9000/SCTP -p 10.0.0.1::81'), {
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/sctp': {}, '81/tcp': {} },
      HostConfig: {
        PortBindings: {
          '80/tcp': [
            { HostIp: '', HostPort: '' },
            { HostIp: '', HostPort: '8080' },
          ],
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }],
          '9000/sctp': [{ HostIp: '::1', HostPort: '9000' }],
          '81/tcp': [{ HostIp: '10.0.0.1', HostPort: '' }],
        },
      },
    });
  });

  it('maps -p ranges, and a host range for one container port', () => {
    assert.deepEqual(body('-p 8000-8001:9000-9001 -p 7000-7010:80'), {
      ExposedPorts: { '9000/tcp': {}, '9001/tcp': {}, '80/tcp': {} },
      HostConfig: {
        PortBindings: {
          '9000/tcp': [{ HostIp: '', HostPort: '8000' }],
          '9001/tcp': [{ HostIp: '', HostPort: '8001' }],
          '80/tcp': [{ HostIp: '', HostPort: '7000-7010' }],
        },
      },
    });
  });

  it('maps --expose', () => {
    assert.deepEqual(body('--expose 80 --expose 53/udp --expose 7000-7001'), {
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '7000/tcp': {}, '7001/tcp': {} },
      HostConfig: {},
    });
  });
});

describe('parseArgs: storage', () => {
  it('maps -v binds, named volumes and anonymous volumes, and --volumes-from', () => {
    assert.deepEqual(
      body('-v /srv/data:/data -v logs:/var/log:ro,z --volume /cache --volumes-from a --volumes-from b:ro'),
      {
        Volumes: { '/cache': {} },
        HostConfig: { Binds: ['/srv/data:/data', 'logs:/var/log:ro,z'], VolumesFrom: ['a', 'b:ro'] },
      },
    );
  });

  it('maps --mount of each type', () => {
    const args = [
      '--mount type=bind,source=/srv,target=/srv,readonly,bind-propagation=rshared',
      '--mount src=vol,dst=/d,ro=false,volume-nocopy',
      '--mount type=tmpfs,destination=/tmp,tmpfs-size=64m,tmpfs-mode=1777',
    ].join(' ');
    assert.deepEqual(body(args), {
      HostConfig: {
        Mounts: [
          { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true, BindOptions: { Propagation: 'rshared' } },
          { Type: 'volume', Source: 'vol', Target: '/d', VolumeOptions: { NoCopy: true } },
          { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 67108864, Mode: 0o1777 } },
        ],
      },
    });
  });

  it('maps --tmpfs and --device', () => {
    assert.deepEqual(
      body(
        '--tmpfs /run --tmpfs /tmp:rw,size=64m --device /dev/fuse --device /dev/sda:/dev/xvda:r --device /dev/kvm:rw',
      ),
      {
        HostConfig: {
          Tmpfs: { '/run': '', '/tmp': 'rw,size=64m' },
          Devices: [
            { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
            { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
            { PathOnHost: '/dev/kvm', PathInContainer: '/dev/kvm', CgroupPermissions: 'rw' },
          ],
        },
      },
    );
  });
});

describe('parseArgs: resources and restart', () => {
  it('maps memory sizes in every unit form', () => {
    assert.deepEqual(body('-m 512mb --memory-reservation 1G --memory-swap -1 --shm-size 64k'), {
      HostConfig: { Memory: 536870912, MemoryReservation: 1073741824, MemorySwap: -1, ShmSize: 65536 },
    });
    assert.deepEqual(body('-m 1048576 --memory-swap 1.5g'), {
      HostConfig: { Memory: 1048576, MemorySwap: 1610612736 },
    });
    assert.deepEqual(body('-m 100b'), { HostConfig: { Memory: 100 } });
  });

  it('maps CPU and PID limits', () => {
    assert.deepEqual(body('--cpus 1.5 --cpu-shares 512 --cpuset-cpus 0-2,4 --pids-limit 100'), {
      HostConfig: { NanoCpus: 1500000000, CpuShares: 512, CpusetCpus: '0-2,4', PidsLimit: 100 },
    });
    assert.deepEqual(body('--cpus 0.000000001'), { HostConfig: { NanoCpus: 1 } });
  });

  it('maps --ulimit, a later one replacing the same name', () => {
    assert.deepEqual(body('--ulimit nofile=1024:2048 --ulimit nproc=64 --ulimit nofile=4096'), {
      HostConfig: {
        Ulimits: [
          { Name: 'nofile', Soft: 4096, Hard: 4096 },
          { Name: 'nproc', Soft: 64, Hard: 64 },
        ],
      },
    });
  });

  it('maps --restart policies', () => {
    assert.deepEqual(body('--restart always'), { HostConfig: { RestartPolicy: { Name: 'always' } } });
    assert.deepEqual(body('--restart no'), { HostConfig: { RestartPolicy: { Name: 'no' } } });
    assert.deepEqual(body('--restart on-failure:5'), {
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } },
    });
  });
});

describe('parseArgs: host config', () => {
  it('maps network, capabilities, hosts and DNS', () => {
    const args =
      '--net host --cap-add net_admin --cap-add CAP_SYS_TIME --cap-drop ALL --add-host db:10.0.0.9 --add-host v6=[::1] ' +
      '--add-host gw:host-gateway --dns 1.1.1.1 --dns-search example.com --dns-option ndots:2';
    assert.deepEqual(body(args), {
      HostConfig: {
        NetworkMode: 'host',
        CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'],
        CapDrop: ['ALL'],
        ExtraHosts: ['db:10.0.0.9', 'v6:::1', 'gw:host-gateway'],
        Dns: ['1.1.1.1'],
        DnsSearch: ['example.com'],
        DnsOptions: ['ndots:2'],
      },
    });
  });

  it('maps logging', () => {
    assert.deepEqual(body('--log-driver json-file --log-opt max-size=10m --log-opt max-file=3'), {
      HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } },
    });
    assert.deepEqual(body('--log-driver syslog'), { HostConfig: { LogConfig: { Type: 'syslog' } } });
  });

  it('maps security options, sysctls, groups and namespaces', () => {
    const args =
      '--security-opt no-new-privileges --security-opt apparmor=unconfined --security-opt systempaths=unconfined ' +
      '--sysctl net.core.somaxconn=1024 --group-add audio --pid host --ipc shareable';
    assert.deepEqual(body(args), {
      HostConfig: {
        SecurityOpt: ['no-new-privileges', 'apparmor=unconfined'],
        MaskedPaths: [],
        ReadonlyPaths: [],
        Sysctls: { 'net.core.somaxconn': '1024' },
        GroupAdd: ['audio'],
        PidMode: 'host',
        IpcMode: 'shareable',
      },
    });
  });
});

describe('parseArgs: health', () => {
  it('maps the health flags to nanoseconds', () => {
    assert.deepEqual(
      body(
        '--health-cmd "curl -f http://localhost/ || exit 1" --health-interval 1m30s --health-timeout 500ms --health-start-period 1.5s --health-retries 3',
      ),
      {
        Healthcheck: {
          Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
          Interval: 90e9,
          Timeout: 500e6,
          StartPeriod: 1.5e9,
          Retries: 3,
        },
        HostConfig: {},
      },
    );
  });

  it('maps --no-healthcheck', () => {
    assert.deepEqual(body('--no-healthcheck'), { Healthcheck: { Test: ['NONE'] }, HostConfig: {} });
  });
});
