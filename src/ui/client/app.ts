/**
 * The whole page: one EventSource on /events (the server pushes the complete state on connect and after every
 * change; the browser never polls) and a filter. Preact re-renders from the state; keys keep rows in place.
 */
import { useEffect, useState } from 'preact/hooks';
import type { HostCard, ServiceRow, UiState } from '../model.js';
import { count, html } from './html.js';
import { EventList, GatewayList, HostSection, OtherRecords } from './views.js';

type Connection = 'connecting' | 'live' | 'reconnecting';

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

/** Something an operator should look at: not announced, unhealthy, or not running. */
export function isProblem(s: ServiceRow): boolean {
  return !s.announced || s.health === 'unhealthy' || s.state !== 'running';
}

function matches(host: HostCard, s: ServiceRow, filter: string): boolean {
  if (filter === '') return true;
  return [s.service, host.host, s.image, s.address ?? ''].some((text) => text.toLowerCase().includes(filter));
}

function summary(hosts: number, services: number, announced: number, gateways: number): string {
  const parts = [count(hosts, 'host'), count(services, 'service'), `${announced} announced`];
  return [...parts, `${services - announced} not announced`, count(gateways, 'gateway')].join(' · ');
}

export function App() {
  const [state, setState] = useState<UiState | undefined>(undefined);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [filter, setFilter] = useState('');
  const [problemsOnly, setProblemsOnly] = useState(false);
  useEffect(() => {
    const source = new EventSource('/events');
    source.addEventListener('state', (event: MessageEvent<string>) => {
      setState(JSON.parse(event.data) as UiState);
      setConnection('live');
    });
    // EventSource reconnects by itself (the server asks for 1 s); the page keeps the last state meanwhile.
    source.addEventListener('error', () => setConnection('reconnecting'));
    return () => source.close();
  }, []);
  const model = state?.model;
  const needle = filter.trim().toLowerCase();
  const hosts = (model?.hosts ?? []).map((host) => ({
    ...host,
    services: host.services.filter((s) => matches(host, s, needle) && (!problemsOnly || isProblem(s))),
  }));
  const all = (model?.hosts ?? []).flatMap((h) => h.services);
  const announced = all.filter((s) => s.announced).length;
  return html`
    <header class="top">
      <h1>rundock <span class="domain">${model?.domain ?? ''}</span></h1>
      <p class=${`connection ${connection}`} role="status" aria-live="polite">${CONNECTION_TEXT[connection]}</p>
    </header>
    ${
      state?.feed === 'disconnected' &&
      html`<p class="banner" role="alert">The registry cannot be reached: this is the last view it gave.</p>`
    }
    ${state?.feed === 'loading' && html`<p class="banner">Loading the registry…</p>`}
    <p class="summary">${summary(model?.hosts.length ?? 0, all.length, announced, model?.gateways.length ?? 0)}</p>
    <form class="tools" role="search" onSubmit=${(e: Event) => e.preventDefault()}>
      <label for="filter">Filter</label>
      <input
        id="filter"
        type="search"
        placeholder="service, host, image or address"
        value=${filter}
        onInput=${(e: Event) => setFilter((e.currentTarget as HTMLInputElement).value)}
      />
      <label class="check">
        <input
          type="checkbox"
          checked=${problemsOnly}
          onChange=${(e: Event) => setProblemsOnly((e.currentTarget as HTMLInputElement).checked)}
        />
        Only problems
      </label>
    </form>
    <div class="layout">
      <${HostSection} hosts=${hosts} filtered=${needle !== '' || problemsOnly} />
      <div class="side">
        <${EventList} events=${state?.events ?? []} />
        <${GatewayList} gateways=${model?.gateways ?? []} />
        <${OtherRecords} records=${model?.otherRecords ?? []} skipped=${model?.skipped ?? []} />
      </div>
    </div>
  `;
}
