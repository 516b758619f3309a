// The rehearsal's forward proxy on a real rehearsal policy: CONNECT tunnels and absolute-URI requests go where the
// policy routes them (TLS end to end to the stand-in), refusals are 403s the policy records, bad requests are 400s.

import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRehearsalNetwork, type RehearsalNetwork } from '../../src/net/index.js';
import { startForwardProxy, type ForwardProxy } from '../../src/net/proxy.js';
import { createClusterPki, issueServingCertificate } from '../../src/sim/pki.js';

const portOf = (server: { address(): unknown }) => (server.address() as AddressInfo).port;
const listen = async <T extends { listen(port: number, host: string): unknown }>(server: T): Promise<T> => {
  server.listen(0, '127.0.0.1');
  await once(server as never, 'listening');
  return server;
};

let caPem: string;
let standIn: Server; // https, answers for api.example.test
let plain: Server; // http on the loopback
let echo: ReturnType<typeof createTcpServer>; // raw bytes on the loopback
const standInRequests: string[] = [];
const plainRequests: { url: string | undefined; headers: IncomingMessage['headers']; body: string }[] = [];
let hold: ((req: IncomingMessage) => void) | undefined;

beforeAll(async () => {
  const pki = await createClusterPki();
  caPem = pki.caPem;
  const serving = await issueServingCertificate(pki, ['api.example.test']);
  standIn = await listen(
    createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      standInRequests.push(`${req.method} ${req.headers.host} ${req.url}`);
      res.end('stand-in\n');
    }),
  );
  plain = await listen(
    createHttpServer(async (req, res) => {
      if (req.url === '/hold') return hold?.(req);
      let body = '';
      for await (const chunk of req) body += chunk;
      plainRequests.push({ url: req.url, headers: req.headers, body });
      res.writeHead(201, 'Made', { 'x-answer': '42', connection: 'x-upstream-hop', 'x-upstream-hop': '1' });
      res.end(`got ${body}`);
    }),
  );
  echo = await listen(createTcpServer((socket) => socket.pipe(socket)));
});
afterAll(async () => {
  for (const server of [standIn, plain, echo]) await new Promise((resolve) => server.close(resolve));
});

let policy: RehearsalNetwork;
let proxy: ForwardProxy;
beforeEach(async () => {
  standInRequests.length = 0;
  plainRequests.length = 0;
  hold = undefined;
  policy = createRehearsalNetwork({ simulation: { hosts: ['api.example.test'], port: portOf(standIn), ca: caPem } });
  proxy = await startForwardProxy({ policy });
});
afterEach(async () => {
  await proxy.close();
});

/** Sends raw bytes to the proxy and returns everything it answers until it closes the connection. */
async function exchange(text: string): Promise<string> {
  const socket = connect(proxy.port, '127.0.0.1');
  socket.end(text);
  let answer = '';
  for await (const chunk of socket) answer += chunk;
  return answer;
}

/** CONNECT through the proxy: the status line, and the socket once the proxy said 200. */
async function openTunnel(authority: string): Promise<{ status: string; socket: Socket }> {
  const socket = connect(proxy.port, '127.0.0.1');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let head = '';
  while (!head.includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    head += chunk.toString('latin1');
  }
  return { status: head.split('\r\n')[0]!, socket };
}

/** An absolute-URI request through the proxy. */
async function viaProxy(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const req = httpRequest({ host: '127.0.0.1', port: proxy.port, method: options.method ?? 'GET', path: url, headers: options.headers });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let body = '';
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode, reason: res.statusMessage, headers: res.headers, body };
}

describe('forward proxy', () => {
  it('tunnels CONNECT for an impersonated host to its stand-in; TLS is end to end, checked against the stand-in CA', async () => {
    const { status, socket } = await openTunnel('api.example.test:443');
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    const tls = tlsConnect({ socket, servername: 'api.example.test', ca: caPem });
    await once(tls, 'secureConnect');
    tls.end('GET /v2/ping HTTP/1.1\r\nHost: api.example.test\r\nConnection: close\r\n\r\n');
    let answer = '';
    for await (const chunk of tls) answer += chunk;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nstand-in\n$/);
    expect(standInRequests).toEqual(['GET api.example.test /v2/ping']);
    expect(policy.attempts()).toEqual([{ target: 'api.example.test:443', outcome: 'simulated' }]);
  });

  it('refuses CONNECT beyond the loopback with a 403 naming the host, records it, and opens nothing', async () => {
    const answer = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(head).toContain('proxy-status: opsbook; error=http_request_denied; details="not simulated: example.com (a request beyond the loopback during a rehearsal; the scenario simulates api.example.test)"');
    expect(body).toBe('opsbook rehearse: not simulated: example.com (a request beyond the loopback during a rehearsal; the scenario simulates api.example.test)\n');
    expect(policy.attempts()).toEqual([{ target: 'example.com:443', outcome: 'refused' }]);
  });

  it('tunnels CONNECT to a loopback port as it is, bytes both ways', async () => {
    const { status, socket } = await openTunnel(`127.0.0.1:${portOf(echo)}`);
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    socket.write('ping');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('ping');
    socket.destroy();
    expect(policy.attempts()).toEqual([{ target: `127.0.0.1:${portOf(echo)}`, outcome: 'loopback' }]);
  });

  it('forwards an absolute-URI http request to a loopback server: method, body, Host kept; hop-by-hop headers dropped both ways', async () => {
    const url = `http://127.0.0.1:${portOf(plain)}/things?x=1`;
    const res = await viaProxy(url, {
      method: 'POST',
      headers: { 'proxy-authorization': 'Basic c2VjcmV0', 'proxy-connection': 'keep-alive', 'x-mine': 'yes', connection: 'x-drop', 'x-drop': '1' },
      body: 'hello',
    });
    expect(res).toMatchObject({ status: 201, reason: 'Made', body: 'got hello' });
    expect(res.headers['x-answer']).toBe('42');
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    const [seen] = plainRequests;
    expect(seen?.url).toBe('/things?x=1');
    expect(seen?.headers).toMatchObject({ host: `127.0.0.1:${portOf(plain)}`, 'x-mine': 'yes' });
    expect(seen?.headers['proxy-authorization']).toBeUndefined();
    expect(seen?.headers['proxy-connection']).toBeUndefined();
    expect(seen?.headers['x-drop']).toBeUndefined();
  });

  it('forwards http:// for an impersonated host over TLS to its stand-in (it speaks only TLS), Host and TLS name kept', async () => {
    const res = await viaProxy('http://api.example.test/v2/ping');
    expect(res).toMatchObject({ status: 200, body: 'stand-in\n' });
    expect(standInRequests).toEqual(['GET api.example.test /v2/ping']);
    expect(policy.attempts()).toEqual([{ target: 'api.example.test:80', outcome: 'simulated' }]);
  });

  it('refuses an absolute-URI request beyond the loopback with a 403 body naming the host', async () => {
    const res = await viaProxy('http://example.com/index.html');
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/^opsbook rehearse: not simulated: example\.com \(/);
    expect(policy.attempts()).toEqual([{ target: 'example.com:80', outcome: 'refused' }]);
  });

  it('answers malformed requests with 400 and asks the policy nothing', async () => {
    expect(await exchange('CONNECT example.com HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*opsbook rehearse: CONNECT needs host:port \(got "example.com"\)\n$/);
    expect(await exchange('CONNECT example.com:99999 HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await exchange('CONNECT user@example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await exchange('GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*a proxy request names an absolute URL \(got "\/index.html"\)\n$/);
    expect(await exchange('HELLO THERE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(policy.attempts()).toEqual([]);
  });

  it('answers 501 for a scheme it does not proxy, once the policy allowed the host', async () => {
    const res = await viaProxy(`ftp://127.0.0.1:${portOf(plain)}/file`);
    expect(res.status).toBe(501);
    expect(res.body).toBe('opsbook rehearse: only http:// requests and CONNECT are proxied (got ftp:)\n');
  });

  it('answers 502 when an allowed loopback destination is not listening', async () => {
    const closed = await listen(createTcpServer());
    const port = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    expect(await exchange(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(new RegExp(`^HTTP/1\\.1 502 Bad Gateway\\r\\n[\\s\\S]*cannot reach 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    expect((await viaProxy(`http://127.0.0.1:${port}/`)).status).toBe(502);
  });

  it('ends the upstream request when the client hangs up before the answer', async () => {
    const arrived = new Promise<IncomingMessage>((resolve) => (hold = resolve));
    const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path: `http://127.0.0.1:${portOf(plain)}/hold` });
    req.on('error', () => {});
    req.end();
    const upstreamReq = await arrived;
    const upstreamClosed = once(upstreamReq.socket, 'close');
    req.destroy();
    await upstreamClosed;
    expect(upstreamReq.socket.destroyed).toBe(true);
  });

  it('ends the upstream side of a tunnel when the client hangs up, and close() cuts tunnels still open', async () => {
    const accepted: Socket[] = [];
    const server = await listen(createTcpServer((socket) => accepted.push(socket.on('error', () => {}))));
    try {
      const first = await openTunnel(`127.0.0.1:${portOf(server)}`);
      const firstUpstream = accepted[0]!;
      const firstClosed = once(firstUpstream, 'close');
      first.socket.destroy();
      await firstClosed;

      const second = await openTunnel(`127.0.0.1:${portOf(server)}`);
      const secondClosed = Promise.all([once(accepted[1]!, 'close'), once(second.socket, 'close')]);
      await proxy.close();
      await secondClosed;
      expect(second.socket.destroyed).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
