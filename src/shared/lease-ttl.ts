/**
 * The shortest etcd lease a record may live on, seconds: the config file, the daemons' --lease-ttl and the etcd
 * registry all hold to it. The registry moves records to a new lease when renewals come later than half the TTL;
 * with 1 s, a single slow round trip would already count as late.
 */
export const MIN_LEASE_TTL_SECONDS = 2;

/** --lease-ttl's default: records outlive an agent (or a gateway's report) that died this long. */
export const DEFAULT_LEASE_TTL_SECONDS = 30;
