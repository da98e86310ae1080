#!/usr/bin/python
# -*- coding: utf-8 -*-
# rundock Ansible module: puts one service into a state on the managed host by running the installed rundock.
# MIT License (see the rundock repository).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: rundock
short_description: Run a Docker container as a supervised, discoverable service with rundock
version_added: "1.0.0"
description:
  - Puts service I(name) into one of four states on the managed host - C(enabled) (running, supervised by Docker's
    restart policy, announced by the rundock agent), C(present) (created, not running), C(disabled) (stopped, kept)
    or C(absent) (removed; volumes and data containers kept).
  - A drop-in replacement for the original runit-based module. The parameters C(state), C(name), C(image), C(args),
    C(announce), C(announce_as) and C(port) keep their names and meaning, so playbooks and ad-hoc commands work unchanged.
  - The module never builds a shell command. It runs C(rundock apply - --json) (with C(--dry-run) in check mode) as an
    argument list and passes the service spec as JSON on standard input, so each parameter maps 1:1 onto a key of the
    rundock service spec. C($PRIVATE_IP) and C($PUBLIC_IP) in I(args) and I(cmd) are expanded by rundock, never by a shell.
  - Reports C(changed) truthfully. A second run with the same parameters changes nothing and says so.
  - Bad input fails before anything runs, first by Ansible's own checks (types, choices, required parameters), then by
    rundock's validation, whose message names the parameter and the value.
requirements:
  - rundock installed on the managed host (C(rundock) on C(PATH), or set I(rundock_cmd))
  - a running Docker engine on the managed host
author:
  - rundock maintainers (@rundock)
options:
  state:
    description:
      - C(enabled) creates or updates the container, starts it and returns once it runs (and, with a health check,
        is healthy).
      - C(present) creates or updates the container and leaves it stopped.
      - C(disabled) stops the container and keeps it; with I(image) it is also created or updated.
      - C(absent) removes the container; named volumes, anonymous volumes and data containers are kept.
    type: str
    choices: [present, enabled, disabled, absent]
    default: enabled
  name:
    description:
      - The service name, a DNS label (a-z, 0-9 and inner hyphens, at most 63 characters). It names the container,
        the DNS record and the service.
    type: str
    required: true
  image:
    description:
      - Docker image reference, pulled according to I(pull).
      - Required when I(state) is C(present) or C(enabled).
    type: str
  args:
    description:
      - Extra C(docker run) options as one string, for example C(--volumes-from data.influxdb -p $PRIVATE_IP:8083:8083 -e A=b).
      - Split into words like a POSIX shell would, without a shell. C($PRIVATE_IP) and C($PUBLIC_IP) are expanded by
        rundock from the host's addresses. Any other shell syntax, and any flag rundock does not support, is an error
        that names it. See rundock's docs/cli.md for the supported flags.
    type: str
  cmd:
    description:
      - The container's command. A string is split into words like a shell would, without one; a list is used as is.
    type: raw
  announce:
    description:
      - The host port to publish (on the address chosen by I(announce_as)) and to announce in DNS.
      - C(auto) lets Docker pick a free port (I(port) is then required); the agent announces the port actually bound,
        so the DNS record, the SRV answer and the gateways' nginx upstreams carry it and nothing types it. A redeploy
        of an C(auto) service starts the new container beside the old one and withdraws the old one only once every
        gateway serves the new one (no request dropped); a fixed port is withdrawn and drained first, then swapped,
        so roll it over several hosts one at a time (a play C(serial) of 1).
    type: raw
  port:
    description:
      - The container port behind I(announce). Defaults to I(announce) (required with C(announce=auto)).
    type: int
  drain:
    description:
      - On a redeploy, how long the old container keeps finishing requests in flight once every gateway has dropped
        it, before it is stopped (a duration such as C(5s), or a number of seconds). rundock's default is C(5s).
    type: raw
  announce_as:
    description:
      - Which address the service is published on and announced with. C(private) and C(public) are the host's
        addresses; C(container) publishes nothing and announces the container's own address and I(port).
    type: str
    choices: [public, private, container]
    default: private
  pull:
    description:
      - When to pull I(image). rundock's default is C(missing).
    type: str
    choices: [always, missing, never]
  restart:
    description:
      - Docker restart policy that supervises the container - C(no), C(always), C(unless-stopped) or C(on-failure[:N]).
        rundock's default is C(unless-stopped).
    type: str
  health:
    description:
      - A Docker health check, run by dockerd inside the container. The service is announced only while healthy.
    type: dict
    suboptions:
      cmd:
        description:
          - The check. A string runs in the container's shell (C(CMD-SHELL)); a list is executed directly.
        type: raw
        required: true
      interval:
        description: Time between checks, a duration such as C(5s), C(500ms), C(1m30s), or a number of seconds.
        type: raw
      timeout:
        description: Time a check may take (a duration or a number of seconds).
        type: raw
      retries:
        description: Consecutive failures before the container is unhealthy.
        type: int
      start_period:
        description: Grace period after start during which failures do not count (a duration or a number of seconds).
        type: raw
  probe:
    description:
      - A check run by the rundock agent against the announced address when the image has no health check.
    type: dict
    suboptions:
      check:
        description: C(tcp) (connect) or C(http:/path) (GET, expecting I(status)).
        type: str
        required: true
      status:
        description: The HTTP status an C(http:) probe expects. rundock's default is 200.
        type: int
      interval:
        description: Time between probes (a duration or a number of seconds). rundock's default is C(5s).
        type: raw
      timeout:
        description: Time a probe may take (a duration or a number of seconds). rundock's default is C(2s).
        type: raw
      healthy_threshold:
        description: Successes before the service is announced. rundock's default is 1.
        type: int
      unhealthy_threshold:
        description: Failures before the service is withdrawn. rundock's default is 3.
        type: int
  restart_unhealthy:
    description:
      - After this many failed checks in a row (the Docker health check, else the agent's I(probe)), the rundock agent
        restarts the container, with the container's stop timeout. Docker never restarts a container for failing its
        health check; its restart policy only sees the process exit.
      - Restarts are spaced by an exponential backoff (at once, then 10 s, 20 s, ... up to 5 min; reset once the
        container has stayed healthy for 5 min). The restarted container is announced again once healthy if it had
        stayed up for the agent's C(--stable-after) before it failed; one that fails again soon is a crash loop and
        stays withdrawn, not flapping in DNS.
      - Without it the agent withdraws an unhealthy container and leaves it running.
    type: int
  route:
    description:
      - Public routes of the service, C(HOST) or C(HOST/PATH) (a string or a list), e.g. C(shop.example.com) or
        C(shop.example.com/api). Every rundock gateway serves them from this service, over HTTPS once it has a
        certificate (automatic with the gateway's C(acme_email)); plain HTTP then redirects. C(*.example.com) is
        allowed (served with a certificate brought to the gateways).
      - Needs I(announce) (gateways proxy to the announced address). Kept in the container's labels and, while the
        service is announced, in the registry; withdrawn with it.
      - A route another service serves is refused (the message names it; nothing changes). Changing the routes
        replaces the container, as any spec change does, without dropping a request.
    type: raw
  strip_prefix:
    description:
      - Gateways remove the route's path before proxying (C(shop.example.com/api/x) reaches the service as C(/x)).
    type: bool
  env_file:
    description:
      - One or more env files in C(docker run --env-file) format, read on the managed host by rundock. Use absolute
        paths (a leading C(~) and environment variables are expanded, as for Ansible's C(path) type).
      - This is where secrets belong. The values go into the container's environment and nowhere else - not into the
        module's result, diff or check-mode plan, nor into container labels, the registry or logs. A change of a
        file's content is still detected (through a keyed digest in the spec hash) and redeploys the container.
      - The parameter holds paths, not secrets, so it is not C(no_log); values given inline in I(args) as C(-e KEY=VALUE)
        are part of I(args) and are shown wherever I(args) is (results, C(-v) output, logs).
    type: raw
  env:
    description:
      - Environment variables as C(KEY=VALUE), after those of I(env_file) and I(args), as C(docker run -e) adds
        them. A bare C(KEY) takes its value from rundock's environment on the managed host and is then treated as a
        secret, like an env file's values.
      - Values given as C(KEY=VALUE) are shown wherever the task's parameters are (results, C(-v) output, logs), so
        never put a secret there; use I(env_file).
    type: list
    elements: str
  rundock_cmd:
    description:
      - How to run rundock on the managed host, as a list of words (the program and any leading arguments), for
        example C([/usr/bin/node, /opt/rundock/bin/rundock.js]). A string is one program. A program without a C(/) is
        looked up on C(PATH).
    type: list
    elements: str
    default: [rundock]
  private_ip:
    description:
      - This host's private address, for C($PRIVATE_IP) and for I(announce_as=private); passed as C(--private-ip).
      - Without it rundock takes C(RUNDOCK_PRIVATE_IP), then C(/etc/rundock/config.yml), then the host's interfaces.
    type: str
  public_ip:
    description:
      - This host's public address, for C($PUBLIC_IP) and for I(announce_as=public); passed as C(--public-ip).
      - Without it rundock takes C(RUNDOCK_PUBLIC_IP), then C(/etc/rundock/config.yml), then the host's interfaces.
    type: str
notes:
  - Supports check mode (runs C(rundock apply --dry-run), changes nothing, reports what would change) and diff mode
    (before and after summaries of the container, and the fields that differ with their values before and after;
    in check mode the planned actions). A secret value never appears, only a changed digest of the secret values.
  - Works with the original module's C(key=value) ad-hoc syntax, for example
    C(ansible node-back-1 -m rundock -a 'name=influxdb image=influxdb:1.8 args="-p $PRIVATE_IP:8083:8083" announce=8086').
seealso:
  - name: rundock CLI reference
    description: Every command, flag, exit status and C(--json) shape.
    link: https://github.com/rundock/rundock/blob/main/docs/cli.md
'''

EXAMPLES = r'''
- name: influxdb on the backend, data in a data container, UI on the private address
  rundock:
    state: enabled
    name: influxdb
    image: influxdb:1.8
    args: --volumes-from data.influxdb -p $PRIVATE_IP:8083:8083
    announce: 8086
    port: 8086

- name: grafana, container port 80 announced as 8087, with a health check
  rundock:
    name: grafana
    image: grafana/grafana:10.4.2
    args: -e GF_SERVER_HTTP_PORT=80 -e INFLUXDB_HOST=influxdb.s.prod.example.com -e INFLUXDB_PORT=8086
    announce: 8087
    port: 80
    health:
      cmd: wget -q -O /dev/null http://127.0.0.1/api/health
      interval: 5s
    env_file: /etc/rundock/grafana.env

- name: publish shop on https://shop.example.com from every frontend (the gateways order its certificate)
  rundock:
    name: shop
    image: registry.example.com/shop:42
    announce: auto
    port: 8080
    route: shop.example.com

- name: its API on the same hostname, under /api (reaching the service as /)
  rundock:
    name: shop-api
    image: registry.example.com/shop-api:7
    announce: auto
    port: 9000
    route: [shop.example.com/api]
    strip_prefix: true

- name: stop a service and keep its container
  rundock:
    name: grafana
    state: disabled

- name: remove a service (volumes and data containers are kept)
  rundock:
    name: old-dashboard
    state: absent

- name: rundock from a checkout instead of PATH
  rundock:
    name: web
    image: 127.0.0.1:5000/web:latest
    announce: 8080
    rundock_cmd: [/usr/bin/node, /opt/rundock/bin/rundock.js]
    private_ip: 10.0.0.3
'''

RETURN = r'''
changed:
  description: Whether the run changed (or, in check mode, would change) the container. From rundock's result.
  returned: always
  type: bool
name:
  description: The service name.
  returned: success
  type: str
  sample: influxdb
state:
  description: The state the service was put into.
  returned: success
  type: str
  sample: enabled
container_id:
  description: ID of the service's container after the run (before it, in check mode); null when there is none.
  returned: success
  type: str
  sample: 3f2a9c0d1e4b...
image_id:
  description: ID of the image the container runs; null when there is no container.
  returned: success
  type: str
  sample: sha256:e86cd604cf90...
published:
  description: Host address and port of I(announce) as C(ip:port) (with C(announce=auto), the port Docker bound;
    C(ip:auto) in check mode); null when nothing is published.
  returned: success
  type: str
  sample: 10.0.0.3:8086
announced:
  description: Which address kind and port the agent announces; null unless enabled with something to announce.
  returned: success
  type: dict
  sample: {"as": "private", "port": 8086}
address:
  description: The address (C(ip:port)) the host's agent announced the service at before the module returned; null
    when no agent runs on the host (rundock then waits for Docker's readiness only) or nothing is announced.
  returned: success
  type: str
  sample: 10.0.0.3:32768
handover:
  description: How a running container was replaced - C(overlap) or C(withdraw-first); null when none was.
  returned: success
  type: str
  sample: overlap
health:
  description: Docker's health status when the container has a health check, else null.
  returned: success
  type: str
  sample: healthy
actions:
  description: What rundock did (or, in check mode, would do), in order; empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample: ["create influxdb from influxdb:1.8", "start the new container", "wait until the new container is ready"]
changes:
  description: The spec fields that differ from the container there (also in check mode), each with its value before
    and after, empty unless the container is (or would be) replaced. Secret values never appear, only their digest.
  returned: success
  type: list
  elements: dict
  sample: [{"field": "image", "before": "influxdb:1.8", "after": "influxdb:1.8.10"}]
rundock:
  description: rundock's full JSON result for the service (see docs/cli.md, "JSON result").
  returned: success
  type: dict
error:
  description: rundock's error (C(code), C(message), and for bad input C(field) and C(value)); see docs/errors.md.
  returned: when rundock fails
  type: dict
  sample: {"code": "RUNDOCK_E_ARGS_UNKNOWN_FLAG", "message": "args: unknown flag \"--frobnicate\"", "field": "args"}
rc:
  description: rundock's exit status (2 bad input, nothing changed; 1 failure while acting).
  returned: when rundock fails
  type: int
diff:
  description: Before and after summaries of the container (C(status), C(container_id), C(image), C(image_id),
    C(spec_hash)) and, under C(fields), every spec field that differs with its value before and after (C(image),
    C(image_id), C(env.KEY), C(env (secret values)) as a digest, C(published), C(health), C(announce), ...); in check
    mode, after holds the target C(state) and the C(planned_actions).
  returned: in diff mode
  type: dict
'''

import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.validation import check_type_path
from ansible.module_utils.six import string_types

# The parameters that are keys of rundock's service spec, passed on unchanged; the others drive the module.
SPEC_KEYS = ('name', 'state', 'image', 'args', 'cmd', 'announce', 'port', 'announce_as', 'pull', 'restart',
             'health', 'probe', 'env_file', 'env', 'drain', 'restart_unhealthy', 'route', 'strip_prefix')
DURATION_KEYS = ('interval', 'timeout', 'start_period')
NUMBER = re.compile(r'^\d+(\.\d+)?$')

ARGUMENT_SPEC = dict(
    state=dict(type='str', default='enabled', choices=['present', 'enabled', 'disabled', 'absent']),
    name=dict(type='str', required=True),
    image=dict(type='str'),
    args=dict(type='str'),
    cmd=dict(type='raw'),
    announce=dict(type='raw'),
    port=dict(type='int'),
    announce_as=dict(type='str', default='private', choices=['public', 'private', 'container']),
    pull=dict(type='str', choices=['always', 'missing', 'never']),
    restart=dict(type='str'),
    health=dict(type='dict', options=dict(
        cmd=dict(type='raw', required=True),
        interval=dict(type='raw'),
        timeout=dict(type='raw'),
        retries=dict(type='int'),
        start_period=dict(type='raw'),
    )),
    probe=dict(type='dict', options=dict(
        check=dict(type='str', required=True),
        status=dict(type='int'),
        interval=dict(type='raw'),
        timeout=dict(type='raw'),
        healthy_threshold=dict(type='int'),
        unhealthy_threshold=dict(type='int'),
    )),
    # Paths, not secrets: the values stay on the managed host, read by rundock and passed to the container only.
    # Explicitly not no_log, so a wrong path is visible in the result.
    env_file=dict(type='raw', no_log=False),
    env=dict(type='list', elements='str', no_log=False),
    drain=dict(type='raw'),
    restart_unhealthy=dict(type='int'),
    route=dict(type='raw'),
    strip_prefix=dict(type='bool'),
    rundock_cmd=dict(type='list', elements='str', default=['rundock']),
    private_ip=dict(type='str'),
    public_ip=dict(type='str'),
)


def string_or_list(module, key, value):
    """A parameter that is a string or a list of strings (cmd, env_file, health.cmd), else a failure naming it."""
    if value is None or isinstance(value, string_types):
        return value
    if isinstance(value, list) and all(isinstance(v, string_types) for v in value):
        return list(value)
    module.fail_json(msg='{0}: must be a string or a list of strings (got {1!r})'.format(key, value))


def announce_port(module, value):
    """A port number (also as the string of key=value syntax) or auto, else a failure naming the parameter."""
    if isinstance(value, bool):
        module.fail_json(msg='announce: must be a port number or auto (got {0!r})'.format(value))
    if isinstance(value, int) or value == 'auto':
        return value
    if isinstance(value, string_types) and re.match(r'^\d+$', value):
        return int(value)
    module.fail_json(msg='announce: must be a port number or auto (got {0!r})'.format(value))


def durations(section):
    """Durations given as plain numbers (also the strings of key=value syntax) become seconds, as rundock takes them."""
    for key in DURATION_KEYS:
        value = section.get(key)
        if isinstance(value, string_types) and NUMBER.match(value):
            section[key] = float(value) if '.' in value else int(value)
    return section


def build_spec(module):
    """The rundock service spec: the spec parameters that were given, under the same keys."""
    params = module.params
    spec = dict((k, params[k]) for k in SPEC_KEYS if params.get(k) is not None)
    if 'announce' in spec:
        spec['announce'] = announce_port(module, spec['announce'])
    if 'drain' in spec and isinstance(spec['drain'], string_types) and NUMBER.match(spec['drain']):
        spec['drain'] = float(spec['drain']) if '.' in spec['drain'] else int(spec['drain'])
    if 'cmd' in spec:
        spec['cmd'] = string_or_list(module, 'cmd', spec['cmd'])
    if 'route' in spec:
        spec['route'] = string_or_list(module, 'route', spec['route'])
    if 'env_file' in spec:
        files = string_or_list(module, 'env_file', spec['env_file'])
        # Expanded as Ansible's `path` type does (the parameter is a string or a list, which that type cannot be).
        spec['env_file'] = check_type_path(files) if isinstance(files, string_types) else [check_type_path(f) for f in files]
    for section in ('health', 'probe'):
        if section in spec:
            spec[section] = durations(dict((k, v) for k, v in spec[section].items() if v is not None))
    if 'health' in spec:
        spec['health']['cmd'] = string_or_list(module, 'health.cmd', spec['health']['cmd'])
    return spec


def rundock_argv(module):
    """The rundock command as an argument list: no shell is involved anywhere."""
    words = [w for w in module.params['rundock_cmd'] if w]
    if not words:
        module.fail_json(msg='rundock_cmd: must name the rundock program')
    if '/' not in words[0]:
        words[0] = module.get_bin_path(words[0], required=True)
    argv = words + ['apply', '-', '--json']
    if module.check_mode:
        argv.append('--dry-run')
    for key in ('private_ip', 'public_ip'):
        if module.params[key] is not None:
            argv += ['--' + key.replace('_', '-'), module.params[key]]
    return argv


def strip_entry_prefix(text):
    """rundock reads a services file: `services.NAME.` (or `services[0].`) names the one entry; without it the text
    names the parameter."""
    return re.sub(r'services(\[\d+\]|\.[^.\s]+)\.', '', text) if isinstance(text, string_types) else text


def error_message(error):
    """rundock's message, naming the parameter and the value, with its stable error code."""
    message = strip_entry_prefix(error.get('message')) or 'rundock failed'
    code = error.get('code')
    return '{0} [{1}]'.format(message, code) if code else message


def container_view(summary, state=None):
    """A container summary for diff mode."""
    if not summary:
        view = dict(status='absent (no container)')
    else:
        view = dict(status=summary.get('status'), container_id=summary.get('id'), image=summary.get('image'),
                    image_id=summary.get('image_id'), spec_hash=summary.get('spec_hash'))
    if state is not None:
        view['state'] = state
    return view


def make_diff(service):
    diff = plain_diff(service)
    # The spec fields that differ, by name, each with its value before and after (rundock never puts a secret value
    # there: a changed secret shows as its keyed digest).
    changes = service.get('changes') or []
    if changes:
        diff['before']['fields'] = dict((c['field'], c['before']) for c in changes)
        diff['after']['fields'] = dict((c['field'], c['after']) for c in changes)
    return diff


def plain_diff(service):
    before = container_view(service.get('before'))
    if not service.get('dry_run'):
        return dict(before=before, after=container_view(service.get('after')))
    if not service.get('changed'):
        return dict(before=before, after=dict(before))
    # Nothing ran: after is the target state and the planned actions, beside what is there now (less its status).
    after = container_view(service.get('before'), service.get('state'))
    after.pop('status', None)
    after['planned_actions'] = service.get('actions') or []
    return dict(before=before, after=after)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[('state', 'present', ['image']), ('state', 'enabled', ['image'])],
        supports_check_mode=True,
    )
    spec = build_spec(module)
    argv = rundock_argv(module)
    document = json.dumps({'services': [spec]})
    rc, stdout, stderr = module.run_command(argv, data=document, check_rc=False, expand_user_and_vars=False)

    try:
        output = json.loads(stdout)
    except ValueError:
        module.fail_json(msg='rundock printed no JSON result (exit status {0}): {1}'.format(rc, (stderr or stdout).strip()),
                         rc=rc, stdout=stdout, stderr=stderr, cmd=argv)

    if rc != 0 or output.get('failed'):
        error = dict(output.get('error') or {})
        for key in ('field', 'message'):
            if key in error:
                error[key] = strip_entry_prefix(error[key])
        kind = 'bad input, nothing was changed' if rc == 2 else 'failed while acting'
        module.fail_json(msg='rundock: {0} ({1})'.format(error_message(error), kind),
                         changed=bool(output.get('changed')), error=error, rc=rc, stderr=stderr)

    service = (output.get('services') or [{}])[0]
    # In check mode nothing ran: the container is the one found before.
    container = service.get('before') if module.check_mode else service.get('after')
    published = service.get('published')
    result = dict(
        changed=bool(service.get('changed')),
        name=service.get('name'),
        state=service.get('state'),
        container_id=container.get('id') if container else None,
        image_id=container.get('image_id') if container else None,
        published='{0}:{1}'.format(published['ip'], published['port']) if published else None,
        announced=service.get('announced'),
        address=service.get('address'),
        handover=service.get('handover'),
        health=service.get('health'),
        actions=service.get('actions') or [],
        changes=service.get('changes') or [],
        rundock=service,
    )
    if module._diff:
        result['diff'] = make_diff(service)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
