import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { planOn, rehearse, rehearseInterrupted } from './rehearse.js';

const RUNBOOK = 'runbooks/approve-csrs.yaml';
const scenario = (name: string) => `runbooks/scenarios/${name}.yaml`;

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

type Refused = { csr: string; check: string; reason: string };

function refusedIn(outputs: Record<string, unknown> | undefined): Refused[] {
  return (outputs?.refused as Refused[] | undefined) ?? [];
}

function approvedConditions(s: Simulation): Map<string, number> {
  const counts = new Map<string, number>();
  for (const csr of s.access.list('certificatesigningrequests') as unknown as { metadata: { name: string }; status?: { conditions?: { type: string }[] } }[]) {
    counts.set(csr.metadata.name, (csr.status?.conditions ?? []).filter((c) => c.type === 'Approved').length);
  }
  return counts;
}

describe('runbooks/approve-csrs.yaml rehearsed on the bundled scenarios', () => {
  it('two-workers: both workers Ready, their four CSRs approved by this run', async () => {
    const r = await rehearse(RUNBOOK, scenario('two-workers'));
    sim = r.sim;
    expect(r.result.error).toBeUndefined();
    expect(r.result.status).toBe('succeeded');
    const workers = r.summary.nodes.filter((n) => n.name.startsWith('worker-'));
    expect(workers.map((n) => [n.name, n.status])).toEqual([
      ['worker-0', 'Ready'],
      ['worker-1', 'Ready'],
    ]);
    const approved = r.summary.csrs.items.filter((c) => c.state === 'approved');
    expect(approved).toHaveLength(4);
    expect(r.result.steps['approve-client']!.outputs.approved).toHaveLength(2);
    expect(r.result.steps['approve-server']!.outputs.approved).toHaveLength(2);
    const progress = r.events.filter((e) => e.type === 'step-progress' && e.stepId === 'nodes-ready').map((e) => (e as { detail: string }).detail);
    expect(progress.at(-1)).toBe('2/2 Ready');
  });

  it('late-approval: every valid duplicate is approved, nodes Ready', async () => {
    const r = await rehearse(RUNBOOK, scenario('late-approval'));
    sim = r.sim;
    expect(r.result.error).toBeUndefined();
    const kubeletCsrs = r.summary.csrs.items.filter((c) => c.node && !c.rogue);
    const perNode = new Map<string, number>();
    for (const c of kubeletCsrs) if (c.signerName.endsWith('client-kubelet')) perNode.set(c.node!, (perNode.get(c.node!) ?? 0) + 1);
    expect([...perNode.values()].some((n) => n >= 2)).toBe(true); // the scenario really rotated
    const refused = refusedIn(r.result.steps['approve-client']!.outputs);
    for (const c of kubeletCsrs) {
      // Approved, unless refused for being older than the rotation window (never silently left).
      if (c.state !== 'approved') expect(refused.find((x) => x.csr === c.name)?.check).toBe('max-age');
    }
    expect(r.summary.nodes.filter((n) => n.status !== 'Ready')).toEqual([]);
  });

  it('late-approval with supersede: deny: the newest duplicate approved, the older ones denied', async () => {
    const r = await rehearse(RUNBOOK, scenario('late-approval'), { supersede: 'deny' });
    sim = r.sim;
    expect(r.result.error).toBeUndefined();
    const superseded = r.result.steps['approve-client']!.outputs.superseded as string[];
    expect(superseded.length).toBeGreaterThan(0);
    const states = new Map(r.summary.csrs.items.map((c) => [c.name, c.state]));
    for (const name of superseded) expect(states.get(name)).toBe('denied');
    const clientByNode = new Map<string, string[]>();
    for (const c of r.summary.csrs.items) {
      if (c.node && !c.rogue && c.signerName.endsWith('client-kubelet')) clientByNode.set(c.node, [...(clientByNode.get(c.node) ?? []), c.state]);
    }
    for (const [, list] of clientByNode) expect(list.filter((s) => s === 'pending')).toEqual([]);
    expect(r.summary.nodes.filter((n) => n.status !== 'Ready')).toEqual([]);
  });

  it('rogue-csrs: no rogue CSR approved, each listed with its reason', async () => {
    const r = await rehearse(RUNBOOK, scenario('rogue-csrs'));
    sim = r.sim;
    expect(r.result.error).toBeUndefined();
    const rogues = r.summary.csrs.items.filter((c) => c.rogue);
    expect(rogues.length).toBeGreaterThanOrEqual(6);
    expect(rogues.filter((c) => c.state === 'approved')).toEqual([]);
    const refused = [
      ...refusedIn(r.result.steps['approve-client']!.outputs),
      ...refusedIn(r.result.steps['approve-server']!.outputs),
    ];
    const expectedCheck: Record<string, RegExp> = {
      'wrong-requestor': /^requestor$/,
      'unknown-machine': /^inventory$/,
      'foreign-san': /^(dns|ip)-identity$/,
      'client-with-sans': /^sans$/,
      'wrong-signer': /^signer$/,
      'cn-mismatch': /^common-name$/,
    };
    expect(new Set(rogues.map((c) => c.rogue))).toEqual(new Set(Object.keys(expectedCheck)));
    for (const rogue of rogues) {
      const entry = refused.find((x) => x.csr === rogue.name);
      expect(entry, `${rogue.name} (${rogue.rogue}) is reported`).toBeDefined();
      expect(entry!.check).toMatch(expectedCheck[rogue.rogue!]!);
      expect(entry!.reason.length).toBeGreaterThan(10);
    }
    const reports = r.events.filter((e) => e.type === 'step-report');
    const reportedRows = reports.flatMap((e) => (e as { table: { rows: string[][] } }).table.rows.map((row) => row[0]));
    for (const rogue of rogues) expect(reportedRows).toContain(rogue.name);
    expect(r.summary.nodes.filter((n) => n.status !== 'Ready')).toEqual([]);
  });

  it('flaky-api: completes, and nothing is approved twice', async () => {
    const r = await rehearse(RUNBOOK, scenario('flaky-api'));
    sim = r.sim;
    expect(r.result.error).toBeUndefined();
    expect(r.result.status).toBe('succeeded');
    expect(Object.values(r.summary.requests.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect([...approvedConditions(r.sim).values()].every((n) => n <= 1)).toBe(true);
    expect(r.summary.csrs.items.filter((c) => !c.rogue && c.state !== 'approved')).toEqual([]);
    expect(r.summary.nodes.filter((n) => n.status !== 'Ready')).toEqual([]);
  });

  it('an interrupted run resumes: approved steps are not redone, nothing is approved twice, nodes end Ready', async () => {
    const r = await rehearseInterrupted(RUNBOOK, scenario('two-workers'), (e) => e.type === 'step-start' && e.stepId === 'server-pending');
    sim = r.sim;
    expect(r.first.status).toBe('interrupted');
    expect(r.result.status).toBe('succeeded');
    const reused = r.events.filter((e) => e.type === 'step-end' && (e as { reused?: boolean }).reused).map((e) => (e as { stepId: string }).stepId);
    expect(reused).toEqual(expect.arrayContaining(['client-pending', 'approve-client']));
    expect([...approvedConditions(r.sim).values()].every((n) => n <= 1)).toBe(true);
    expect(r.summary.nodes.filter((n) => n.status !== 'Ready')).toEqual([]);
  });

  it('plan on rogue-csrs lists the approvals and refusals and changes nothing', async () => {
    const { plan, sim: s, before } = await planOn(RUNBOOK, scenario('rogue-csrs'), async (simulation) => {
      // Let the kubelets and rogues post their client CSRs.
      const clientCsrs = () => simulation.summary().csrs.items.length;
      while (clientCsrs() < 3) await simulation.clock.sleep(5_000);
      await simulation.clock.sleep(60_000);
    });
    sim = s;
    const step = plan.steps.find((x) => x.id === 'approve-client')!;
    expect(step.preview?.summary).toMatch(/^would approve 2 client CSR\(s\), refuse [1-9]/);
    const rows = step.preview!.tables![0]!.rows;
    expect(rows.filter((row) => row[3] === 'approve').map((row) => row[1]).sort()).toEqual(['worker-0', 'worker-1']);
    for (const row of rows.filter((x) => x[3] !== 'approve')) expect(row[4]).toMatch(/^[a-z-]+: /);
    expect(JSON.stringify(s.access.list('certificatesigningrequests'))).toBe(before.csrs);
    const writes = Object.entries(s.counters()).filter(([key, n]) => !/^(get|list|watch) /.test(key) && n !== (before.counters[key] ?? 0));
    expect(writes).toEqual([]);
  });
});

describe('npm start: opsbook rehearse runbooks/approve-csrs.yaml --scenario two-workers', () => {
  it('succeeds with no --set (the default inventory is the scenario\'s) and shows both workers Ready', async () => {
    const { runCli } = await import('../helpers/cli.js');
    // --time-scale 60 (not the scenario's 360): see TEST_TIME_SCALE in ./rehearse.ts.
    const result = await runCli(['rehearse', RUNBOOK, '--scenario', scenario('two-workers'), '--output', 'json', '--time-scale', '60'], {
      timeout: 120_000,
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const out = JSON.parse(result.stdout) as { outcome: { status: string }; cluster: { nodes: { name: string; status: string }[]; csrs: { approved: number } } };
    expect(out.outcome.status).toBe('succeeded');
    expect(out.cluster.nodes.filter((n) => n.name.startsWith('worker-')).map((n) => n.status)).toEqual(['Ready', 'Ready']);
    expect(out.cluster.csrs.approved).toBe(4);
  });
});
