/** Host-level flags: network, capabilities, DNS and hosts, logging, security and namespaces. */
import { isIP } from 'node:net';
import type Docker from 'dockerode';
import { invalid } from './fail.js';
import { boolFlag, type FlagDef, listFlag, valueFlag } from './flag-types.js';
import { appended, splitKeyValue } from './values.js';

/** LogConfig as sent: Config only when `--log-opt` is given (dockerode types Config as required). */
interface LogConfig {
  Type: string;
  Config?: Record<string, string>;
}

/** A capability as `docker run` sends it: upper case with a `CAP_` prefix, except `ALL`. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** `--add-host host:ip` (or `host=ip`, IPv6 optionally in brackets) as the API's `host:ip`; `host-gateway` is kept. */
export function parseExtraHost(value: string, flag: string): string {
  const eq = value.indexOf('=');
  const at = eq >= 0 ? eq : value.indexOf(':');
  const name = at < 0 ? '' : value.slice(0, at);
  let ip = at < 0 ? '' : value.slice(at + 1);
  if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (name === '' || (ip !== 'host-gateway' && isIP(ip) === 0))
    throw invalid(value, `${flag} expects HOST:IP (or HOST:host-gateway)`);
  return `${name}:${ip}`;
}

/** Checks a `--security-opt`; seccomp profile files are refused because rundock does not read them. */
export function parseSecurityOpt(value: string, flag: string): string {
  if (value === 'no-new-privileges') return value;
  const sep = /[=:]/.exec(value);
  const key = sep === null ? value : value.slice(0, sep.index);
  const val = sep === null ? '' : value.slice(sep.index + 1);
  if (key === '' || val === '') throw invalid(value, `${flag} expects KEY=VALUE (or no-new-privileges)`);
  if (key === 'seccomp' && val !== 'unconfined' && val !== 'builtin') {
    throw invalid(value, `${flag}: seccomp profile files are not supported; use seccomp=unconfined or seccomp=builtin`);
  }
  return value;
}

function securityOpt(host: Docker.HostConfig, value: string, flag: string): void {
  if (value === 'systempaths=unconfined') {
    host.MaskedPaths = [];
    host.ReadonlyPaths = [];
  } else {
    host.SecurityOpt = appended(host.SecurityOpt, parseSecurityOpt(value, flag));
  }
}

function capabilities(current: unknown, value: string): string[] {
  return [...new Set(appended<string>(current, normalizeCapability(value)))].sort();
}

function logConfig(host: Docker.HostConfig, change: (log: LogConfig) => LogConfig): void {
  const current = (host.LogConfig as LogConfig | undefined) ?? { Type: '' };
  host.LogConfig = change(current) as Docker.HostConfig['LogConfig'];
}

function dns(value: string, flag: string): string {
  if (isIP(value) === 0) throw invalid(value, `${flag} expects an IP address`);
  return value;
}

/** Flags setting HostConfig network, capability, DNS, logging, security and namespace fields. */
export const HOST_FLAGS: readonly FlagDef[] = [
  valueFlag(['--network', '--net'], (s, v) => void (s.body.HostConfig.NetworkMode = v)),
  listFlag(['--cap-add'], (s, v) => void (s.body.HostConfig.CapAdd = capabilities(s.body.HostConfig.CapAdd, v))),
  listFlag(['--cap-drop'], (s, v) => void (s.body.HostConfig.CapDrop = capabilities(s.body.HostConfig.CapDrop, v))),
  listFlag(
    ['--add-host'],
    (s, v, f) => void (s.body.HostConfig.ExtraHosts = appended(s.body.HostConfig.ExtraHosts, parseExtraHost(v, f))),
  ),
  listFlag(['--dns'], (s, v, f) => void (s.body.HostConfig.Dns = appended(s.body.HostConfig.Dns, dns(v, f)))),
  listFlag(['--dns-search'], (s, v) => void (s.body.HostConfig.DnsSearch = appended(s.body.HostConfig.DnsSearch, v))),
  listFlag(
    ['--dns-option', '--dns-opt'],
    (s, v) => void (s.body.HostConfig.DnsOptions = appended(s.body.HostConfig.DnsOptions, v)),
  ),
  valueFlag(['--log-driver'], (s, v) => logConfig(s.body.HostConfig, (log) => ({ ...log, Type: v }))),
  listFlag(['--log-opt'], (s, v, f) => {
    const [key, val] = splitKeyValue(v, f);
    logConfig(s.body.HostConfig, (log) => ({ ...log, Config: { ...log.Config, [key]: val } }));
  }),
  listFlag(['--security-opt'], (s, v, f) => securityOpt(s.body.HostConfig, v, f)),
  listFlag(['--sysctl'], (s, v, f) => {
    const [key, val] = splitKeyValue(v, f);
    s.body.HostConfig.Sysctls = { ...s.body.HostConfig.Sysctls, [key]: val };
  }),
  listFlag(['--group-add'], (s, v) => void (s.body.HostConfig.GroupAdd = appended(s.body.HostConfig.GroupAdd, v))),
  valueFlag(['--pid'], (s, v) => void (s.body.HostConfig.PidMode = v)),
  valueFlag(['--ipc'], (s, v) => void (s.body.HostConfig.IpcMode = v)),
  boolFlag(['--read-only'], (s, on) => void (s.body.HostConfig.ReadonlyRootfs = on)),
  boolFlag(['--privileged'], (s, on) => void (s.body.HostConfig.Privileged = on)),
  boolFlag(['--init'], (s, on) => void (s.body.HostConfig.Init = on)),
];
