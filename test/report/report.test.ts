// The report model built from a journal, and its Markdown and JUnit renderings (JUnit checked against Jenkins' published XSD by xmllint).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRunReport, renderReport, reportFormatOf, type RunReport } from '../../src/report/index.js';
import { escapeCell } from '../../src/report/markdown.js';
import { journal, step } from './journal.js';
import { junitViolations } from './junit-schemas.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'opsbook-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = "<script>alert('x')</script> | pipe\nsecond line & more";

/** a → {b (CSR), gate, skip}; c needs b and gate. a retries once; the gate waits 10 s for alice; c fails. */
function tour({ interrupted = false } = {}) {
  const j = journal([step('a', [], 'shell', 'Prepare'), step('b', ['a'], 'approve-client-csrs'), step('gate', ['a'], 'pause'), step('skip', ['a']), step('c', ['b', 'gate'], 'shell', HOSTILE)], { deadlineMs: 60_000, inputs: { nodes: ['w-0'] } });
  j.stepStart('a').at(100).attemptStart('a', 1).at(1100).attemptEnd('a', 1, false, { errorClass: 'transient', error: 'connection refused', retryInMs: 500 })
    .at(1600).attemptStart('a', 2).at(2600).attemptEnd('a', 2, true).stepEnd('a', 'succeeded', { outputs: { dir: '/tmp/x' }, durationMs: 2600 })
    .stepStart('b').attemptStart('b', 1, 5).log('b', 'refused client CSR csr-2').progress('b', 'approved 1/1').progress('b', 'approved 1/1')
    .table('b', { title: 'Refused client CSRs', columns: ['CSR', 'node', 'requestor', 'reason'], rows: [['csr-2', 'evil-0', 'sa:intruder', 'inventory: node evil-0 is not in the inventory']] })
    .stepStart('gate').attemptStart('gate', 1, 1).stepEnd('skip', 'skipped', { reason: 'when: false is false', skip: 'when' })
    .at(5600).attemptEnd('b', 1, true).stepEnd('b', 'succeeded', {
      outputs: { approved: ['csr-1'], nodes: { 'w-0': ['csr-1'] }, refused: [{ csr: 'csr-2', node: 'evil-0', requestor: 'sa:intruder', check: 'inventory', reason: 'node evil-0 is not in the inventory' }] },
    })
    .at(12600).approval('gate', true, 'alice').at(12700).attemptEnd('gate', 1, true).stepEnd('gate', 'succeeded')
    .stepStart('c').attemptStart('c', 1, 1).log('c', HOSTILE, 'stderr');
  if (!interrupted) j.at(20000).attemptEnd('c', 1, false, { errorClass: 'permanent', error: HOSTILE }).stepEnd('c', 'failed', { reason: HOSTILE, errorClass: 'permanent' }).runEnd('failed', 20000, { error: 'step c failed' });
  else j.at(15000).progress('c', 'still going');
  return j.events;
}

const stepOf = (report: RunReport, id: string) => report.steps.find((s) => s.id === id)!;

describe('report model', () => {
  it('splits a step into attempts with the backoff between them, and the gate wait with who approved', () => {
    const report = buildRunReport(tour());
    const a = stepOf(report, 'a');
    expect(a.attempts.map((x) => [x.attempt, x.startMs, x.endMs, x.ok, x.errorClass])).toEqual([[1, 100, 1100, false, 'transient'], [2, 1600, 2600, true, undefined]]);
    expect(a.gaps).toEqual([
      { kind: 'wait', startMs: 0, endMs: 100, label: 'waiting to start' },
      { kind: 'backoff', startMs: 1100, endMs: 1600, label: 'backoff before attempt 2' },
    ]);
    expect(stepOf(report, 'gate').gaps).toEqual([{ kind: 'gate', startMs: 2600, endMs: 12600, label: 'gate approved by alice' }]);
    expect(report.approvals).toEqual([{ stepId: 'gate', approved: true, by: 'alice', time: '2026-01-01T00:00:12.600Z' }]);
    expect(stepOf(report, 'b').details).toEqual(['approved 1/1']);
  });

  it('finds the critical path by elapsed time, the deadline slack, the waves and the run status', () => {
    const report = buildRunReport(tour());
    expect(report.criticalPath).toEqual(['a', 'gate', 'c']);
    expect(report.steps.filter((s) => s.critical).map((s) => s.id)).toEqual(['a', 'gate', 'c']);
    expect(report.deadline).toEqual({ at: '2026-01-01T00:01:00.000Z', offsetMs: 60_000, slackMs: 40_000 });
    expect(report.waves).toEqual([['a'], ['b', 'gate', 'skip'], ['c']]);
    expect([report.status, report.interrupted, report.durationMs, report.error]).toEqual(['failed', false, 20_000, 'step c failed']);
  });

  it('reads the approved and refused CSRs (with each reason) of a CSR step', () => {
    expect(stepOf(buildRunReport(tour()), 'b').csr).toEqual({
      approved: [{ csr: 'csr-1', node: 'w-0' }],
      refused: [{ csr: 'csr-2', node: 'evil-0', requestor: 'sa:intruder', reason: 'inventory: node evil-0 is not in the inventory' }],
    });
  });

  it('reads each certificate\'s expiry before and after from renew-certs outputs', () => {
    const j = journal([step('renew', [], 'renew-certs')]);
    j.stepStart('renew').attemptStart('renew', 1).at(5000).attemptEnd('renew', 1, true).stepEnd('renew', 'succeeded', {
      outputs: { renewed: 1, nodes: [{ node: 'master-0', renewed: [{ name: 'apiserver', previousExpiry: '2026-01-02T00:00:00Z', newExpiry: '2027-01-01T00:00:00Z', ca: 'ca' }] }] },
    }).runEnd('succeeded', 5000);
    expect(stepOf(buildRunReport(j.events), 'renew').certs).toEqual([{ node: 'master-0', certificate: 'apiserver', before: '2026-01-02T00:00:00Z', after: '2027-01-01T00:00:00Z', ca: 'ca' }]);
  });

  it('marks a journal without run-end interrupted, the step it was running cut at the last event, and the rest not run', () => {
    const report = buildRunReport(tour({ interrupted: true }));
    expect([report.status, report.interrupted, report.durationMs]).toEqual(['interrupted', true, 15_000]);
    const c = stepOf(report, 'c');
    expect([c.status, c.endMs, c.attempts[0]!.endMs]).toEqual(['running', 15_000, undefined]);
    for (const format of ['markdown', 'junit', 'html'] as const) expect(renderReport(report, format)).toMatch(/interrupted/);
  });

  it('shows secret inputs by name with a masked value', () => {
    const report = buildRunReport(tour(), { secretInputs: ['token'] });
    expect(report.inputs).toEqual({ nodes: ['w-0'], token: '***' });
  });
});

describe('the host that ran the run', () => {
  const hosted = () => {
    const j = journal([step('a')], { host: 'ops-1.example.net' });
    j.stepStart('a').attemptStart('a', 1, 1).at(1000);
    return j.resume('runner-pod-x7"<b>').stepStart('a').attemptStart('a', 1, 1).at(2000).attemptEnd('a', 1, true).stepEnd('a', 'succeeded').runEnd('succeeded', 2000).events;
  };

  it('names each start\'s host once, in order: in the HTML inputs, the Markdown summary, and the last as the JUnit suite\'s hostname', () => {
    const report = buildRunReport(hosted());
    expect(report.hosts).toEqual(['ops-1.example.net', 'runner-pod-x7"<b>']);
    expect(renderReport(report, 'html')).toContain('<section id="inputs"><h2>Inputs</h2><p class="hosts">Ran on <code>ops-1.example.net</code>, then <code>runner-pod-x7&quot;&lt;b&gt;</code></p>');
    expect(renderReport(report, 'markdown')).toContain('**Host:** `ops-1.example.net`, then `runner-pod-x7"<b>`  \n');
    const xml = renderReport(report, 'junit');
    expect(xml).toMatch(/<testsuite [^>]* hostname="runner-pod-x7&quot;&lt;b&gt;" /);
    for (const schema of ['jenkins', 'ant'] as const) expect(junitViolations(xml, schema, tmp, `hosted-${schema}.xml`)).toEqual([]);
  });

  it('a journal from before hosts were recorded still loads: no host shown, JUnit\'s hostname localhost', () => {
    const report = buildRunReport(tour());
    expect(report.hosts).toEqual([]);
    expect(renderReport(report, 'html')).not.toContain('class="hosts"');
    expect(renderReport(report, 'markdown')).not.toContain('**Host:**');
    expect(renderReport(report, 'junit')).toMatch(/<testsuite [^>]* hostname="localhost" /);
  });
});

describe('report of a resumed run', () => {
  it('keeps the attempts from before the resume, cut short where the first process stopped, the wait until the resume, and the step\'s first start', () => {
    const j = journal([step('a'), step('b', ['a'])]);
    j.stepStart('a').attemptStart('a', 1, 1).at(1000).attemptEnd('a', 1, true).stepEnd('a', 'succeeded');
    // The first process dies during b's first attempt (no run-end); a resume an hour later runs b again.
    j.stepStart('b').at(1500).attemptStart('b', 1, 2).at(2000).log('b', 'working');
    j.at(3_600_000).resume().stepEnd('a', 'succeeded', { reused: true }).stepStart('b').at(3_600_500).attemptStart('b', 1, 2).at(3_601_000).attemptEnd('b', 1, true).stepEnd('b', 'succeeded');
    j.runEnd('succeeded', 3_601_000);
    const report = buildRunReport(j.events);
    expect([report.resumes, report.status, report.durationMs]).toEqual([1, 'succeeded', 3_601_000]);
    const b = stepOf(report, 'b');
    expect(b.attempts.map((x) => [x.attempt, x.startMs, x.endMs, x.ok])).toEqual([[1, 1500, 2000, undefined], [1, 3_600_500, 3_601_000, true]]);
    expect(b.gaps).toEqual([
      { kind: 'wait', startMs: 1000, endMs: 1500, label: 'waiting to start' },
      { kind: 'wait', startMs: 2000, endMs: 3_600_000, label: 'stopped until the run was resumed' },
      { kind: 'wait', startMs: 3_600_000, endMs: 3_600_500, label: 'waiting to start' },
    ]);
    expect([b.startMs, b.endMs, b.status]).toEqual([1000, 3_601_000, 'succeeded']);
    expect(renderReport(report, 'markdown')).toMatch(/\*\*Resumed:\*\* 1 time \(started 2026-01-01T00:00:00.000Z\)/);
    // Three bars: a's attempt, b's attempt cut short by the first process's end, and b's attempt after the resume.
    const html = renderReport(report, 'html');
    expect(html.match(/<rect class="bar-attempt attempt-(?:ok|open)"/g)).toEqual(['<rect class="bar-attempt attempt-ok"', '<rect class="bar-attempt attempt-open"', '<rect class="bar-attempt attempt-ok"']);
  });
});

describe('markdown report', () => {
  const md = renderReport(buildRunReport(tour()), 'markdown');

  it('has a step table with a row per step and its cells escaped (| and newlines), failures and a gantt block', () => {
    const table = md.split('\n').filter((l) => l.startsWith('|'));
    expect(table).toHaveLength(2 + 5);
    // Every row has as many unescaped cell separators as the header: an escaped `|` does not add a column.
    const columns = (row: string) => row.replace(/\\\|/g, '').split('|').length;
    expect(new Set(table.map(columns))).toEqual(new Set([columns(table[0]!)]));
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;');
    expect(md).toMatch(/## Failures\n\n- run: step c failed\n- a attempt 1\/3 \(transient\): connection refused\n/);
    const gantt = md.match(/```mermaid\n(gantt\n[\s\S]*?)```/)?.[1];
    expect(gantt).toBeDefined();
    expect(gantt!.split('\n').filter((l) => /^ {2}attempt \d/.test(l))).toHaveLength(5);
    expect(gantt).toMatch(/deadline :milestone/);
    expect(md).toMatch(/\*\*Duration:\*\* 20s of a 1m deadline \(40s to spare\)/);
  });

  it('escapes a table cell: pipes, newlines and markup', () => {
    expect(escapeCell('a|b\nc<d>')).toBe('a\\|b<br>c&lt;d&gt;');
  });
});

describe('junit report', () => {
  // The tour skips a step, which only Jenkins' schema can say (see junit-schemas.test.ts for Ant's).
  const validate = (xml: string, name: string): void => {
    const violations = junitViolations(xml, 'jenkins', tmp, name);
    if (violations.length > 0) throw new Error(`${name} does not validate: ${violations.join('\n')}`);
  };

  it('validates against the JUnit schema: a testcase per step, the failure with its message, skipped as skipped', () => {
    const xml = renderReport(buildRunReport(tour()), 'junit');
    validate(xml, 'tour.xml');
    expect(xml).toMatch(/<testsuite name="tour \(run 20260101-000000-000-abcdef\)" [^>]*tests="5" failures="1" errors="0" skipped="1" time="20.000"/);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('<skipped>when: false is false</skipped>');
    expect(xml).toContain('<failure message="&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; | pipe&#10;second line &amp; more" type="permanent">');
    expect(xml).toMatch(/<testcase name="Prepare \(a\)" classname="opsbook.tour.shell" time="2.600"\/>/);
  });

  it('validates for an interrupted run too (the running step as an error), and the schema does reject a broken report', () => {
    validate(renderReport(buildRunReport(tour({ interrupted: true })), 'junit'), 'interrupted.xml');
    const broken = renderReport(buildRunReport(tour()), 'junit').replace('<testcase name="Prepare (a)" ', '<testcase ');
    expect(() => validate(broken, 'broken.xml')).toThrow(/does not validate/);
  });
});

describe('html report', () => {
  it('escapes journal text: a <script> in a step name, error or log line stays text', () => {
    const html = renderReport(buildRunReport(tour()), 'html');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//);
  });
});

describe('html report of a chatty step', () => {
  it('keeps the last 1000 output lines and says how many earlier ones the journal has', () => {
    const j = journal([step('loud')]);
    j.stepStart('loud').attemptStart('loud', 1, 1);
    for (let i = 1; i <= 1200; i++) j.log('loud', `line ${i}`);
    j.at(1000).attemptEnd('loud', 1, true).stepEnd('loud', 'succeeded').runEnd('succeeded', 1000);
    const html = renderReport(buildRunReport(j.events), 'html');
    expect(html).toContain('200 earlier lines not shown: the journal has them');
    expect(html).toContain('>line 1200<');
    expect(html).toContain('>line 201<');
    expect(html).not.toContain('>line 200<');
  });
});

describe('report format from a file name', () => {
  it('maps .html, .md and .xml, and refuses an extension it cannot tell', () => {
    expect(['r.html', 'r.md', 'out/r.xml'].map(reportFormatOf)).toEqual(['html', 'markdown', 'junit']);
    expect(() => reportFormatOf('report.txt')).toThrow(/--report-format/);
  });
});
