import os from 'node:os';
import { ValidationError } from '../shared/errors.js';

/** What decides this host's addresses; explicit addresses win over interfaces, interfaces over detection. */
export interface AddressSettings {
  publicIp?: string | undefined;
  privateIp?: string | undefined;
  publicIface?: string | undefined;
  privateIface?: string | undefined;
}

export interface HostAddresses {
  public?: string | undefined;
  private?: string | undefined;
}

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** Interfaces made by container runtimes and bridges, never a host's own public or private address. */
const VIRTUAL_INTERFACE = /^(docker\d*|br-|veth|virbr|cni|flannel|cali|vxlan|tun|tap|lo$)/;

/**
 * The host's public and private IPv4 addresses, chosen as the original setup did: with two non-loopback interfaces
 * the first is public and the second private; with one, both are that one. Settings override either.
 */
export function selectAddresses(
  settings: AddressSettings,
  interfaces: Interfaces = os.networkInterfaces(),
): HostAddresses {
  const detected = physicalAddresses(interfaces);
  const fallbackPublic = detected[0];
  const fallbackPrivate = detected[1] ?? detected[0];
  return {
    public: settings.publicIp ?? fromInterface('public_iface', settings.publicIface, interfaces) ?? fallbackPublic,
    private: settings.privateIp ?? fromInterface('private_iface', settings.privateIface, interfaces) ?? fallbackPrivate,
  };
}

/** This host's short name: the configured one or the system hostname up to the first dot, lowercased. */
export function hostName(configured?: string): string {
  return (configured ?? os.hostname().split('.')[0] ?? 'localhost').toLowerCase();
}

function physicalAddresses(interfaces: Interfaces): string[] {
  const addresses: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    const v4 = (infos ?? []).find((info) => info.family === 'IPv4' && !info.internal);
    if (v4) addresses.push(v4.address);
  }
  return addresses;
}

function fromInterface(field: string, name: string | undefined, interfaces: Interfaces): string | undefined {
  if (name === undefined) return undefined;
  const v4 = interfaces[name]?.find((info) => info.family === 'IPv4');
  if (!v4)
    throw new ValidationError(
      field,
      name,
      'names no interface with an IPv4 address on this host',
      'RUNDOCK_E_HOST_ADDRESS',
    );
  return v4.address;
}
