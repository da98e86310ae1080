/** The page's sections: hosts with their services, the event list, gateways, and records nothing else shows. */
import type { CertificateRow, GatewayCard, HostCard, OtherRecord, ServiceRow, UiEvent } from '../model.js';
import { clock, count, dateTime, html } from './html.js';

export function HostSection({ hosts, filtered }: { hosts: HostCard[]; filtered: boolean }) {
  return html`
    <section class="hosts" aria-labelledby="hosts-title">
      <h2 id="hosts-title">Hosts</h2>
      ${hosts.length === 0 && html`<p class="empty">No host records: no agent is announcing into this registry.</p>`}
      ${hosts.map((host) => html`<${Host} key=${host.host} host=${host} filtered=${filtered} />`)}
    </section>
  `;
}

function Host({ host, filtered }: { host: HostCard; filtered: boolean }) {
  const { public: pub, private: priv } = host.addresses;
  return html`
    <article class="host" data-host=${host.host} aria-labelledby=${`host-${host.host}`}>
      <h3 id=${`host-${host.host}`}>${host.host}</h3>
      <p class="meta">
        ${priv !== null && html`<span>private ${priv}</span>`} ${pub !== null && html`<span>public ${pub}</span>`}
        <span>rundock ${host.version}</span>
        <span>agent up since <time datetime=${host.startedAt}>${dateTime(host.startedAt)}</time></span>
      </p>
      ${
        host.services.length === 0 &&
        html`<p class="empty">${filtered ? 'No service matches the filter.' : 'No service containers.'}</p>`
      }
      <ul class="services">
        ${host.services.map((s) => html`<${Service} key=${s.container} host=${host.host} s=${s} />`)}
      </ul>
    </article>
  `;
}

function Service({ host, s }: { host: string; s: ServiceRow }) {
  const health = s.health ?? 'no check';
  return html`
    <li
      class=${`service ${s.announced ? 'is-announced' : 'is-withdrawn'}`}
      data-service=${s.service}
      data-container=${s.container}
      data-host=${host}
      data-announced=${String(s.announced)}
      data-health=${health}
    >
      <div class="service-head">
        <h4>${s.service}</h4>
        ${s.successor && html`<span class="badge new">new container (redeploy)</span>`}
        <span class=${`badge ${s.announced ? 'ok' : 'bad'}`}>${s.announced ? 'announced' : 'not announced'}</span>
      </div>
      <dl class="facts">
        <dt>State</dt>
        <dd class="state">${s.state}</dd>
        <dt>Health</dt>
        <dd class=${`health health-${health.replace(/\W/g, '-')}`}>${health}</dd>
        <dt>Reason</dt>
        <dd class="reason">${s.reason}</dd>
        <dt>Address</dt>
        <dd class="address">${s.address ?? '—'}</dd>
        <dt>Image</dt>
        <dd class="image">${s.image}</dd>
        <dt>Restarts</dt>
        <dd class="restarts">${s.restarts}</dd>
        <dt>Container</dt>
        <dd class="container"><code>${s.container}</code></dd>
        <dt>DNS</dt>
        <dd class="dns">
          ${s.dnsNames.length === 0 ? 'no record' : s.dnsNames.map((n) => html`<code key=${n}>${n}</code> `)}
        </dd>
        <dt>Gateways</dt>
        <dd class="gateways">${s.gateways.length === 0 ? 'none' : s.gateways.join(', ')}</dd>
        ${
          s.routes.length > 0 &&
          html`<dt>Routes</dt>
            <dd class="routes">${s.routes.map((r) => html`<code key=${r}>${r}</code> `)}</dd>`
        }
      </dl>
    </li>
  `;
}

export function EventList({ events }: { events: UiEvent[] }) {
  return html`
    <section class="events" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      ${events.length === 0 && html`<p class="empty">No change seen since this page's server started.</p>`}
      <ol class="event-list">
        ${events.map(
          (e, i) => html`
            <li key=${`${events.length - i}`} data-kind=${e.kind} data-service=${e.service} data-host=${e.host}>
              <time datetime=${e.at}>${clock(e.at)}</time>
              <span class=${`kind kind-${e.kind}`}>${e.kind}</span>
              <span><strong>${e.service}</strong> on ${e.host}</span>
              <span class="detail">${e.detail}</span>
            </li>
          `,
        )}
      </ol>
    </section>
  `;
}

export function GatewayList({ gateways }: { gateways: GatewayCard[] }) {
  return html`
    <section class="gateways-list" aria-labelledby="gateways-title">
      <h2 id="gateways-title">Gateways</h2>
      ${
        gateways.length === 0
          ? html`<p class="empty">No gateway reports.</p>`
          : html`<ul>
              ${gateways.map(
                (g) => html`
                  <li key=${g.host} data-gateway=${g.host}>
                    <strong>${g.host}</strong
                    >${`: ${count(g.services, 'service')}, ${count(g.servers, 'server')}, reloaded `}
                    <time datetime=${g.appliedAt}>${dateTime(g.appliedAt)}</time>${` (revision ${g.revision})`}
                    ${
                      g.certificates.length > 0 &&
                      html`<ul class="certificates">
                        ${g.certificates.map(certificate)}
                      </ul>`
                    }
                  </li>
                `,
              )}
            </ul>`
      }
    </section>
  `;
}

/** One hostname's certificate on a gateway: where it comes from and when it expires. */
function certificate(c: CertificateRow) {
  const expires =
    c.notAfter === null
      ? 'no certificate: plain HTTP'
      : html`expires <time datetime=${c.notAfter}>${dateTime(c.notAfter)}</time>`;
  return html`
    <li key=${c.hostname} data-hostname=${c.hostname} data-state=${c.state}>
      <code>${c.hostname}</code>${`: ${c.source}, ${c.state}, `}${expires}
    </li>
  `;
}

export function OtherRecords({ records, skipped }: { records: OtherRecord[]; skipped: string[] }) {
  if (records.length === 0 && skipped.length === 0) return null;
  return html`
    <section class="other" aria-labelledby="other-title">
      <h2 id="other-title">Other records</h2>
      ${
        records.length > 0 &&
        html`<p>DNS records no host record lists as a service (<code>--announce-self</code>, written by others):</p>
          <ul>
            ${records.map((r) => html`<li key=${r.name + r.host}><code>${r.name}</code> from ${r.host}: ${r.target}</li>`)}
          </ul>`
      }
      ${
        skipped.length > 0 &&
        html`<p>Records that could not be read:</p>
          <ul>
            ${skipped.map((key) => html`<li key=${key}><code>${key}</code></li>`)}
          </ul>`
      }
    </section>
  `;
}
