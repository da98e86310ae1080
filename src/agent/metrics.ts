import { Counter, Gauge, Registry } from 'prom-client';

/** The agent's Prometheus metrics, on their own registry (served at /metrics). Documented in docs/records.md. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly recordsAnnounced = new Gauge({
    name: 'rundock_agent_records_announced',
    help: 'Service records this agent has in the registry',
    registers: [this.registry],
  });
  readonly servicesSeen = new Gauge({
    name: 'rundock_agent_services',
    help: 'Service containers on this host, by announced state',
    labelNames: ['announced'],
    registers: [this.registry],
  });
  readonly eventsHandled = new Counter({
    name: 'rundock_agent_docker_events_total',
    help: 'Docker container events handled, by action',
    labelNames: ['action'],
    registers: [this.registry],
  });
  readonly resyncs = new Counter({
    name: 'rundock_agent_resyncs_total',
    help: 'Full resyncs against the Docker engine, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly eventStreamReconnects = new Counter({
    name: 'rundock_agent_event_stream_reconnects_total',
    help: 'Times the Docker event stream was reopened',
    registers: [this.registry],
  });
  readonly probeResults = new Counter({
    name: 'rundock_agent_probe_results_total',
    help: 'Agent-run health probes, by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly registrySyncs = new Counter({
    name: 'rundock_agent_registry_syncs_total',
    help: 'Registry syncs, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly registryErrors = new Counter({
    name: 'rundock_agent_registry_errors_total',
    help: 'Failed registry requests (etcd unreachable, ...)',
    registers: [this.registry],
  });
  readonly leaseReplaced = new Counter({
    name: 'rundock_agent_lease_replaced_total',
    help: 'Leases lost and replaced (every record re-put)',
    registers: [this.registry],
  });
  readonly leaseMoved = new Counter({
    name: 'rundock_agent_lease_moved_total',
    help: 'Leases whose renewals came late: records moved to a new lease before the old one expired',
    registers: [this.registry],
  });
  readonly unhealthyRestarts = new Counter({
    name: 'rundock_agent_unhealthy_restarts_total',
    help: 'Containers the agent restarted after failing their checks (restart_unhealthy), by service and outcome',
    labelNames: ['service', 'outcome'],
    registers: [this.registry],
  });
  readonly registryConnected = new Gauge({
    name: 'rundock_agent_registry_connected',
    help: '1 while the registry is reachable',
    registers: [this.registry],
  });
}
