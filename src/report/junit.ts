// The JUnit XML report: a testsuite per run (per cluster for a fleet), a testcase per step, as CI test reporters read it.

import type { Report, ReportStep, RunReport } from './model.js';

/** XML text and attribute values: markup escaped, and characters XML 1.0 cannot hold at all removed. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udfff]/g, (c, i: number, s: string) => (isPaired(s, i) ? c : ''))
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** An attribute value: like text, and line breaks and tabs as character references, which attribute parsing would turn into spaces. */
function escapeAttr(text: string): string {
  return escapeXml(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function isPaired(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  if (code <= 0xdbff) return i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
  return i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
}

const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

/** Ant's schema wants a timestamp without zone or fraction: the run's UTC start, to the second (the zone is in a property). */
const antTimestamp = (iso: string): string => new Date(iso).toISOString().slice(0, 19);

type Outcome = 'pass' | 'failure' | 'error' | 'skipped';

/**
 * One document that both published JUnit schemas accept (Jenkins' junit-4 XSD, Apache Ant's JUnit XSD): a bare
 * `testsuites` root; each `testsuite` with Ant's required id, package, hostname and zone-less timestamp; `properties`
 * first, the testcases, then `system-out` and `system-err` always present. A step's own output goes into its failure
 * or error text (what GitLab shows for a failed test) and, for every step, into the suite's output prefixed by its id,
 * since Ant allows no output inside a testcase. A skipped step is `<skipped/>` as GitLab, Jenkins and GitHub count it
 * with its reason as text, Jenkins' schema allowing no attribute on it (Ant's 2011 schema predates skipped tests
 * and has no way to say it; see test/report/junit-schemas.test.ts).
 */
export function renderJunit(report: Report): string {
  const suites = report.kind === 'run'
    ? [{ name: `${report.runbook.name} (run ${report.runId})`, pkg: `opsbook.${report.runbook.name}`, run: report }]
    : report.clusters.flatMap((c) => (c.run ? [{ name: `${report.runbook.name} on ${c.name} (run ${c.run.runId})`, pkg: `opsbook.${report.runbook.name}.${c.name}`, run: c.run }] : []));
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>', ...suites.flatMap((s, id) => renderSuite(s.name, s.pkg, id, s.run)), '</testsuites>', ''].join('\n');
}

function renderSuite(name: string, pkg: string, id: number, run: RunReport): string[] {
  const cases = run.steps.map((step) => renderCase(run, step));
  const count = (outcome: Outcome) => cases.filter((c) => c.outcome === outcome).length;
  const skipped = count('skipped');
  const properties: [string, string][] = [
    ['runbook', run.runbook.name], ['runbook.path', run.runbook.path], ['runbook.sha256', run.runbook.sha256], ['run.id', run.runId],
    ['run.started', run.startedAt],
    ['run.status', run.interrupted ? 'interrupted (no run-end in the journal)' : run.status],
    ...(run.deadline ? [['run.deadline', run.deadline.at] as [string, string], ['run.slackSeconds', seconds(run.deadline.slackMs)] as [string, string]] : []),
  ];
  const tagged = (stream: 'stdout' | 'stderr') =>
    run.steps.flatMap((s) => [...(stream === 'stdout' ? s.details : []), ...s.logs.filter((l) => l.stream === stream).map((l) => l.line)].map((line) => `[${s.id}] ${line}`));
  const out = tagged('stdout');
  const err = [...tagged('stderr'), ...(run.error ? [`run: ${run.error}`] : [])];
  const attributes = [
    `name="${escapeAttr(name)}"`, `package="${escapeAttr(pkg)}"`, `id="${id}"`,
    // The machine that ended the run; a journal from before hosts were recorded does not say, and Ant's schema asks for localhost then.
    `hostname="${escapeAttr(run.hosts.at(-1) ?? 'localhost')}"`, `timestamp="${antTimestamp(run.startedAt)}"`,
    `tests="${cases.length}"`, `failures="${count('failure')}"`, `errors="${count('error')}"`,
    // Only when there are some: Ant's schema has no such attribute, Jenkins' and the CI readers take it.
    ...(skipped > 0 ? [`skipped="${skipped}"`] : []),
    `time="${seconds(run.durationMs)}"`,
  ];
  return [
    `  <testsuite ${attributes.join(' ')}>`,
    '    <properties>',
    ...properties.map(([k, v]) => `      <property name="${escapeAttr(k)}" value="${escapeAttr(v)}"/>`),
    '    </properties>',
    ...cases.flatMap((c) => c.lines),
    out.length > 0 ? `    <system-out>${escapeXml(out.join('\n'))}</system-out>` : '    <system-out/>',
    err.length > 0 ? `    <system-err>${escapeXml(err.join('\n'))}</system-err>` : '    <system-err/>',
    '  </testsuite>',
  ];
}

/** failed → failure; cancelled or cut short by an interruption → error; skipped or never started → skipped. */
function renderCase(run: RunReport, step: ReportStep): { lines: string[]; outcome: Outcome } {
  const open = `    <testcase name="${escapeAttr(`${step.name} (${step.id})`)}" classname="${escapeAttr(`opsbook.${run.runbook.name}.${step.type}`)}" time="${seconds(step.durationMs)}">`;
  const failedAttempts = step.attempts.filter((a) => a.ok === false).map((a) => `attempt ${a.attempt}/${a.maxAttempts}${a.errorClass ? ` (${a.errorClass})` : ''}: ${a.error ?? 'failed'}`);
  // What the step printed, after its attempts: GitLab shows a failure's text as the test's output.
  const output = [...step.details, ...step.logs.map((l) => (l.stream === 'stderr' ? `stderr: ${l.line}` : l.line))];
  const text = escapeXml([...failedAttempts, ...(output.length > 0 && failedAttempts.length > 0 ? [''] : []), ...output].join('\n'));
  if (step.status === 'failed') {
    const message = step.reason ?? step.attempts.findLast((a) => a.error)?.error ?? 'failed';
    return { outcome: 'failure', lines: [open, `      <failure message="${escapeAttr(message)}" type="${escapeAttr(step.errorClass ?? 'failed')}">${text}</failure>`, '    </testcase>'] };
  }
  if (step.status === 'cancelled' || step.status === 'running') {
    const message = step.status === 'running' ? 'interrupted: the journal ends while this step ran' : (step.reason ?? 'cancelled');
    return { outcome: 'error', lines: [open, `      <error message="${escapeAttr(message)}" type="${step.status === 'running' ? 'interrupted' : 'cancelled'}">${text}</error>`, '    </testcase>'] };
  }
  if (step.status === 'skipped' || step.status === 'not run') {
    return { outcome: 'skipped', lines: [open, `      <skipped>${escapeXml(step.reason ?? (step.status === 'not run' ? 'never started' : 'skipped'))}</skipped>`, '    </testcase>'] };
  }
  return { outcome: 'pass', lines: [open.replace(/>$/, '/>')] };
}
