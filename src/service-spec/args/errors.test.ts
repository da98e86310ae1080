import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ErrorCode, ValidationError } from '../../shared/errors.js';
import type { HostVars } from '../run-options.js';
import { parseArgs, splitWords } from './index.js';
import { durationNanos } from './values.js';

const VARS: HostVars = { PRIVATE_IP: '10.0.0.2', PUBLIC_IP: '203.0.113.7' };

/** Asserts parseArgs throws a ValidationError on `args` with this code and value (and, optionally, message text). */
function rejects(args: string, code: ErrorCode, value: string, message?: RegExp, vars: HostVars = VARS): void {
  assert.throws(
    () => parseArgs(args, vars),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.equal(err.field, 'args');
      assert.equal(err.value, value, err.message);
      if (message !== undefined) assert.match(err.message, message);
      return true;
    },
    args,
  );
}

describe('parseArgs: flag errors', () => {
  it('names an unknown flag', () => {
    rejects(
      '--frobnicate',
      'RUNDOCK_E_ARGS_UNKNOWN_FLAG',
      '--frobnicate',
      /^args: unknown flag "--frobnicate" \(got "--frobnicate"\)$/,
    );
    rejects('--frobnicate=1', 'RUNDOCK_E_ARGS_UNKNOWN_FLAG', '--frobnicate=1', /unknown flag "--frobnicate"/);
    rejects('-dX', 'RUNDOCK_E_ARGS_UNKNOWN_FLAG', '-dX', /unknown flag "-X"/);
  });

  it('reports a missing or empty value', () => {
    rejects('-e A=b -p', 'RUNDOCK_E_ARGS_INVALID', '-p', /-p needs a value/);
    rejects('--memory=', 'RUNDOCK_E_ARGS_INVALID', '--memory=', /--memory needs a non-empty value/);
  });

  it('reports malformed values', () => {
    rejects(
      '-p 70000',
      'RUNDOCK_E_ARGS_INVALID',
      '70000',
      /^args: -p expects \[ip:\]\[hostPort:\]containerPort\[\/tcp\|udp\|sctp\]: port 70000/,
    );
    rejects('-p 8000-8002:80-81', 'RUNDOCK_E_ARGS_INVALID', '8000-8002:80-81', /differ in length/);
    rejects('-p 999.1.1.1:80:80', 'RUNDOCK_E_ARGS_INVALID', '999.1.1.1:80:80', /not an IP address/);
    rejects('-p 80/icmp', 'RUNDOCK_E_ARGS_INVALID', '80/icmp', /tcp, udp or sctp/);
    rejects('-m 12x', 'RUNDOCK_E_ARGS_INVALID', '12x', /-m expects a size/);
    rejects('--cpus 1.0000000001', 'RUNDOCK_E_ARGS_INVALID', '1.0000000001', /--cpus/);
    rejects('--ulimit nofile=2048:1024', 'RUNDOCK_E_ARGS_INVALID', 'nofile=2048:1024', /soft limit/);
    rejects('--ulimit bogus=1', 'RUNDOCK_E_ARGS_INVALID', 'bogus=1', /unknown ulimit/);
    rejects('--restart always:3', 'RUNDOCK_E_ARGS_INVALID', 'always:3', /on-failure/);
    rejects('--restart sometimes', 'RUNDOCK_E_ARGS_INVALID', 'sometimes', /--restart expects/);
    rejects('--health-interval 5', 'RUNDOCK_E_ARGS_INVALID', '5', /duration/);
    rejects('--read-only=maybe', 'RUNDOCK_E_ARGS_INVALID', 'maybe', /switch/);
    rejects('--dns example.com', 'RUNDOCK_E_ARGS_INVALID', 'example.com', /IP address/);
    rejects('--add-host db', 'RUNDOCK_E_ARGS_INVALID', 'db', /HOST:IP/);
  });

  it('reports malformed volumes and mounts', () => {
    rejects('-v data', 'RUNDOCK_E_ARGS_INVALID', 'data', /absolute path/);
    rejects('-v ./data:/data', 'RUNDOCK_E_ARGS_INVALID', './data:/data', /absolute host path or a volume name/);
    rejects('-v /srv:data', 'RUNDOCK_E_ARGS_INVALID', 'data', /absolute path/);
    rejects('-v /srv:/srv:bogus', 'RUNDOCK_E_ARGS_INVALID', '/srv:/srv:bogus', /unknown volume option "bogus"/);
    rejects('--mount type=bind,target=/x', 'RUNDOCK_E_ARGS_INVALID', 'type=bind,target=/x', /needs source/);
    rejects('--mount type=nfs,target=/x', 'RUNDOCK_E_ARGS_INVALID', 'type=nfs,target=/x', /bind, volume or tmpfs/);
    rejects('--mount source=v', 'RUNDOCK_E_ARGS_INVALID', 'source=v', /target=PATH is required/);
    rejects('--mount target=/x,color=red', 'RUNDOCK_E_ARGS_INVALID', 'target=/x,color=red', /unknown option "color"/);
    rejects(
      '--mount type=bind,src=/a,dst=/b,tmpfs-size=1m',
      'RUNDOCK_E_ARGS_INVALID',
      'type=bind,src=/a,dst=/b,tmpfs-size=1m',
      /tmpfs-\* options need type=tmpfs/,
    );
    rejects('--tmpfs tmp', 'RUNDOCK_E_ARGS_INVALID', 'tmp', /absolute path/);
    rejects('--device /dev/x:/dev/y:rwx', 'RUNDOCK_E_ARGS_INVALID', '/dev/x:/dev/y:rwx', /r, w and m/);
  });

  it('refuses forbidden flags with a reason', () => {
    rejects('--rm', 'RUNDOCK_E_ARGS_INVALID', '--rm', /--rm is not allowed: rundock supervises/);
    rejects(
      '--name web',
      'RUNDOCK_E_ARGS_INVALID',
      '--name',
      /--name is not allowed: the container is named after the service/,
    );
    rejects('-it', 'RUNDOCK_E_ARGS_INVALID', '-it', /-i is not allowed/);
    rejects('--tty', 'RUNDOCK_E_ARGS_INVALID', '--tty', /--tty is not allowed/);
    rejects('-a stdout', 'RUNDOCK_E_ARGS_INVALID', '-a', /-a is not allowed/);
  });

  it('refuses conflicting or repeated single-value flags', () => {
    rejects('--no-healthcheck --health-cmd true', 'RUNDOCK_E_ARGS_INVALID', '--health-cmd', /conflicts/);
    rejects('--health-retries 2 --no-healthcheck', 'RUNDOCK_E_ARGS_INVALID', '--no-healthcheck', /conflicts/);
    rejects('-m 1g --memory 2g', 'RUNDOCK_E_ARGS_INVALID', '--memory', /more than once/);
  });

  it('refuses a stray word, pointing at --cmd', () => {
    rejects('-e A=b nginx', 'RUNDOCK_E_ARGS_INVALID', 'nginx', /unexpected word "nginx".*--cmd/);
    rejects('--', 'RUNDOCK_E_ARGS_INVALID', '--', /unexpected word/);
  });

  it('refuses reserved labels', () => {
    rejects('-l io.rundock.service=x', 'RUNDOCK_E_ARGS_INVALID', 'io.rundock.service=x', /reserved/);
  });
});

describe('parseArgs: shell syntax', () => {
  it('refuses operators, naming them', () => {
    rejects('-e A=b; rm -rf /', 'RUNDOCK_E_ARGS_SHELL', ';', /shell operator ";"/);
    rejects('-e A=b && reboot', 'RUNDOCK_E_ARGS_SHELL', '&&', /"&&"/);
    rejects('-e A=b | tee x', 'RUNDOCK_E_ARGS_SHELL', '|', /"\|"/);
    rejects('-e A=b > /etc/passwd', 'RUNDOCK_E_ARGS_SHELL', '>', /">"/);
    rejects('-e A=b < x', 'RUNDOCK_E_ARGS_SHELL', '<', /"<"/);
    rejects('(-e A=b)', 'RUNDOCK_E_ARGS_SHELL', '(', /"\("/);
    rejects('-e A=b &', 'RUNDOCK_E_ARGS_SHELL', '&', /"&"/);
  });

  it('refuses substitutions, backticks and other variables', () => {
    rejects('-e "A=$(reboot)"', 'RUNDOCK_E_ARGS_SHELL', 'A=$(reboot)', /command substitution/);
    rejects('-e A=`reboot`', 'RUNDOCK_E_ARGS_SHELL', 'A=`reboot`', /backticks/);
    rejects(
      '-e "A=$HOME"',
      'RUNDOCK_E_ARGS_SHELL',
      'A=$HOME',
      /\$HOME is not expanded: only \$PRIVATE_IP and \$PUBLIC_IP .*single quotes/,
    );
    rejects('-e A=${HOME:-x}', 'RUNDOCK_E_ARGS_SHELL', 'A=${HOME:-x}', /\$\{HOME:-x\} is not expanded/);
    rejects('-e A=$', 'RUNDOCK_E_ARGS_SHELL', 'A=$', /bare '\$'/);
    rejects('-v $HOME*:/x', 'RUNDOCK_E_ARGS_SHELL', '$HOME*:/x', /\$HOME/);
  });

  it('refuses comments, telling to quote #', () => {
    rejects('-e E=a#b', 'RUNDOCK_E_ARGS_SHELL', '#b', /quote values containing '#'/);
    assert.deepEqual(parseArgs("-e 'E=a#b'", VARS).body.Env, ['E=a#b']);
  });

  it('reports an unknown host address', () => {
    rejects('-p $PRIVATE_IP:80:80', 'RUNDOCK_E_HOST_ADDRESS', '$PRIVATE_IP:80:80', /set --private-ip/, {});
    rejects('-e "X=${PUBLIC_IP}"', 'RUNDOCK_E_HOST_ADDRESS', 'X=$PUBLIC_IP', /public address is unknown/, {
      PRIVATE_IP: '10.0.0.2',
    });
  });
});

describe('splitWords and durationNanos', () => {
  it('splits a command like a shell would, without one', () => {
    assert.deepEqual(splitWords(`sh -c 'echo $HOME; ls' --ip $PRIVATE_IP`, VARS, 'cmd'), [
      'sh',
      '-c',
      'echo $HOME; ls',
      '--ip',
      '10.0.0.2',
    ]);
    assert.throws(
      () => splitWords('a; b', VARS, 'cmd'),
      (err: unknown) => err instanceof ValidationError && err.field === 'cmd' && err.code === 'RUNDOCK_E_ARGS_SHELL',
    );
  });

  it('reads Go durations', () => {
    assert.equal(durationNanos('1m30s'), 90e9);
    assert.equal(durationNanos('1.5h'), 5400e9);
    assert.equal(durationNanos('250us'), 250e3);
    assert.equal(durationNanos('0'), 0);
    assert.throws(
      () => durationNanos('5', 'health'),
      (err: unknown) =>
        err instanceof ValidationError && err.field === 'health' && err.code === 'RUNDOCK_E_INVALID_SPEC',
    );
  });
});
