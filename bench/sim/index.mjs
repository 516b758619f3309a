// bench/sim: requests per second the simulated API server sustains on loopback with keep-alive connections,
// for small GETs and for CSR approvals, against the target of 2,000 req/s (2 cores).
// The server runs on the main thread; the load generator runs in a worker thread (its own core).

import https from 'node:https';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const TARGET = 2000;
const CONCURRENCY = 32;

if (isMainThread) await main();
else await load(workerData);

async function main() {
  const { startSimulation } = await import('../../dist/sim/index.js');
  const { generateCsr, encodeCsrForApi } = await import('../../dist/pki/csr.js');
  const sim = await startSimulation({
    scenario: { name: 'bench-sim', flavour: 'kubernetes', nodes: [{ name: 'master-0' }, { name: 'master-1' }, { name: 'master-2' }] },
  });
  try {
    const get = await runWorker({ mode: 'get', url: sim.url, token: sim.adminToken, ca: sim.caPem, durationMs: 4000, path: '/api/v1/nodes/master-0' });
    report('small GETs (GET /api/v1/nodes/master-0)', get);

    // Pending CSRs to approve, created in-process (not measured). A signer nobody handles: the measure is the
    // approval request itself, not certificate signing (which the simulation does off the request path).
    const count = 6000;
    const { pem } = await generateCsr({ commonName: 'system:node:bench', organizations: ['system:nodes'] });
    const request = encodeCsrForApi(pem);
    const bodies = [];
    for (let i = 0; i < count; i++) {
      const csr = await sim.access.create('certificatesigningrequests', {
        metadata: { name: `bench-${i}` },
        spec: { request, signerName: 'example.com/bench', usages: ['digital signature', 'client auth'] },
      });
      bodies.push(JSON.stringify({ ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Bench', message: 'bench' }] } }));
    }
    const approve = await runWorker({ mode: 'approve', url: sim.url, token: sim.adminToken, ca: sim.caPem, bodies });
    report(`CSR approvals (PUT …/certificatesigningrequests/NAME/approval, ${count} CSRs)`, approve);
    const approved = sim.summary().csrs.approved;
    console.log(`  check: ${approved}/${count} CSRs approved on the server`);
    console.log(`server counters: ${JSON.stringify(sim.counters())}`);
  } finally {
    await sim.stop();
  }
}

function report(label, { ok, errors, ms }) {
  const rate = ok / (ms / 1000);
  console.log(`${label}: ${ok} requests in ${(ms / 1000).toFixed(2)} s, ${errors} errors → ${Math.round(rate)} req/s; target ${TARGET} req/s → ratio ${(rate / TARGET).toFixed(2)}× ${rate >= TARGET ? '(met)' : '(NOT met)'}`);
}

function runWorker(data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function load({ mode, url, token, ca, durationMs, path, bodies }) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const send = (method, target, body) =>
    new Promise((resolve) => {
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' };
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
      const req = https.request(`${url}${target}`, { method, agent, ca, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  let ok = 0;
  let errors = 0;
  const record = (status) => (status >= 200 && status < 300 ? ok++ : errors++);
  // Warm the connections (TLS handshakes are not what is measured).
  await Promise.all(Array.from({ length: CONCURRENCY }, () => send('GET', '/version')));
  const start = performance.now();
  if (mode === 'get') {
    const end = start + durationMs;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) record(await send('GET', path));
    }));
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const body = bodies[i];
        const name = `bench-${i}`;
        record(await send('PUT', `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}/approval`, body));
      }
    }));
  }
  const ms = performance.now() - start;
  agent.destroy();
  parentPort.postMessage({ ok, errors, ms });
}
