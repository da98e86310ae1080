import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayRenderOptions } from './options.js';
import { renderRouteServers } from './render-routes.js';
import { buildRouteTable } from './route-table.js';

const DOMAIN = 's.prod.example.com';
const options = gatewayRenderOptions({ domain: DOMAIN, listen: ['203.0.113.10:80'], hsts: true });
const table = buildRouteTable(
  [
    {
      service: 'shop',
      host: 'node-back-1',
      domain: DOMAIN,
      routes: [
        { hostname: 'shop.example.com', path: '/', stripPrefix: false },
        { hostname: 'shop.example.com', path: '/api', stripPrefix: true },
        { hostname: 'new.example.com', path: '/', stripPrefix: false },
      ],
    },
  ],
  options,
);
const PROXY = (upstream: string, extra: string[] = []): string =>
  [
    `        proxy_pass http://${upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Connection "";',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    ...extra,
  ].join('\n');

describe('renderRouteServers', () => {
  it('a hostname with a certificate: HTTPS with its locations, HTTP a 308 but for the challenge; one without: plain HTTP alone; default servers answer the rest', () => {
    const text = renderRouteServers(
      {
        table,
        certificates: new Map([['shop.example.com', { certFile: '/c/shop.crt', keyFile: '/c/shop.key' }]]),
        https: true,
        challengePort: 40001,
      },
      options,
    ).join('\n');
    const challenge =
      '    location ^~ /.well-known/acme-challenge/ {\n        proxy_pass http://127.0.0.1:40001;\n    }';
    assert.equal(
      text,
      `server {
    listen 203.0.113.10:80 default_server;
    server_name _;

${challenge}

    location / {
        return 404;
    }
}

server {
    listen 443 ssl default_server;
    server_name _;
    ssl_reject_handshake on;
}

server {
    listen 203.0.113.10:80;
    server_name new.example.com;

${challenge}

    location / {
${PROXY('rundock_shop')}
    }
}

server {
    listen 203.0.113.10:80;
    server_name shop.example.com;

${challenge}

    location / {
        return 308 https://$host$request_uri;
    }
}

server {
    listen 443 ssl;
    server_name shop.example.com;
    ssl_certificate /c/shop.crt;
    ssl_certificate_key /c/shop.key;
    add_header Strict-Transport-Security "max-age=31536000" always;

    location / {
${PROXY('rundock_shop')}
    }

    location /api/ {
${PROXY('rundock_shop/', ['        proxy_set_header X-Forwarded-Prefix /api;'])}
    }

    location = /api {
${PROXY('rundock_shop/', ['        proxy_set_header X-Forwarded-Prefix /api;'])}
    }
}
`,
    );
  });

  it('nothing routed: nothing rendered; no HTTPS (no ACME, no certificate brought): no 443 at all', () => {
    assert.deepEqual(
      renderRouteServers(
        { table: { hosts: [], conflicts: [], services: [] }, certificates: new Map(), https: false },
        options,
      ),
      [],
    );
    const plain = renderRouteServers({ table, certificates: new Map(), https: false }, options).join('\n');
    assert.doesNotMatch(plain, /443|ssl|acme-challenge/);
  });

  it('redirects to the HTTPS port when it is not 443', () => {
    const o = gatewayRenderOptions({ domain: DOMAIN, httpsListen: ['127.0.0.1:8443'] });
    const text = renderRouteServers(
      { table, certificates: new Map([['shop.example.com', { certFile: '/c', keyFile: '/k' }]]), https: true },
      o,
    ).join('\n');
    assert.match(text, /return 308 https:\/\/\$host:8443\$request_uri;/);
  });
});
