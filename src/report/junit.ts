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

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function renderJunit(report: Report): string {
  const suites = report.kind === 'run'
    ? [{ name: `${report.runbook.name} (run ${report.runId})`, run: report }]
    : report.clusters.flatMap((c) => (c.run ? [{ name: `${report.runbook.name} on ${c.name} (run ${c.run.runId})`, run: c.run }] : []));
  const rendered = suites.map((s) => renderSuite(s.name, s.run));
  const total = rendered.reduce<Counts & { ms: number }>(
    (sum, r) => ({ tests: sum.tests + r.counts.tests, failures: sum.failures + r.counts.failures, errors: sum.errors + r.counts.errors, skipped: 0, ms: sum.ms + r.ms }),
    { tests: 0, failures: 0, errors: 0, skipped: 0, ms: 0 },
  );
  const name = report.kind === 'run' ? `opsbook ${report.runbook.name}` : `opsbook ${report.runbook.name} on fleet ${report.fleet}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeAttr(name)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" time="${seconds(total.ms)}">`,
    ...rendered.flatMap((r) => r.lines),
    '</testsuites>',
    '',
  ].join('\n');
}

function renderSuite(name: string, run: RunReport): { lines: string[]; counts: Counts; ms: number } {
  const cases = run.steps.map((step) => renderCase(run, step));
  const counts: Counts = {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome === 'failure').length,
    errors: cases.filter((c) => c.outcome === 'error').length,
    skipped: cases.filter((c) => c.outcome === 'skipped').length,
  };
  const properties: [string, string][] = [
    ['runbook', run.runbook.name], ['runbook.path', run.runbook.path], ['runbook.sha256', run.runbook.sha256], ['run.id', run.runId],
    ['run.status', run.interrupted ? 'interrupted (no run-end in the journal)' : run.status],
    ...(run.deadline ? [['run.deadline', run.deadline.at] as [string, string], ['run.slackSeconds', seconds(run.deadline.slackMs)] as [string, string]] : []),
  ];
  const lines = [
    `  <testsuite name="${escapeAttr(name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(run.durationMs)}" timestamp="${escapeAttr(run.startedAt)}">`,
    '    <properties>',
    ...properties.map(([k, v]) => `      <property name="${escapeAttr(k)}" value="${escapeAttr(v)}"/>`),
    '    </properties>',
    ...cases.flatMap((c) => c.lines),
    ...(run.error ? [`    <system-err>${escapeXml(run.error)}</system-err>`] : []),
    '  </testsuite>',
  ];
  return { lines, counts, ms: run.durationMs };
}

/** failed → failure; cancelled or cut short by an interruption → error; skipped or never started → skipped. */
function renderCase(run: RunReport, step: ReportStep): { lines: string[]; outcome: 'pass' | 'failure' | 'error' | 'skipped' } {
  const open = `    <testcase name="${escapeAttr(`${step.name} (${step.id})`)}" classname="${escapeAttr(`opsbook.${run.runbook.name}.${step.type}`)}" time="${seconds(step.durationMs)}">`;
  const body: string[] = [];
  let outcome: 'pass' | 'failure' | 'error' | 'skipped' = 'pass';
  const failedAttempts = step.attempts.filter((a) => a.ok === false).map((a) => `attempt ${a.attempt}/${a.maxAttempts}${a.errorClass ? ` (${a.errorClass})` : ''}: ${a.error ?? 'failed'}`);
  if (step.status === 'failed') {
    outcome = 'failure';
    const message = step.reason ?? step.attempts.findLast((a) => a.error)?.error ?? 'failed';
    body.push(`      <failure message="${escapeAttr(message)}" type="${escapeAttr(step.errorClass ?? 'failed')}">${escapeXml(failedAttempts.join('\n'))}</failure>`);
  } else if (step.status === 'cancelled' || step.status === 'running') {
    outcome = 'error';
    const message = step.status === 'running' ? 'interrupted: the journal ends while this step ran' : (step.reason ?? 'cancelled');
    body.push(`      <error message="${escapeAttr(message)}" type="${step.status === 'running' ? 'interrupted' : 'cancelled'}">${escapeXml(failedAttempts.join('\n'))}</error>`);
  } else if (step.status === 'skipped' || step.status === 'not run') {
    outcome = 'skipped';
    body.push(`      <skipped message="${escapeAttr(step.reason ?? (step.status === 'not run' ? 'never started' : 'skipped'))}"/>`);
  }
  const out = [...step.details, ...step.logs.filter((l) => l.stream === 'stdout').map((l) => l.line)];
  const err = step.logs.filter((l) => l.stream === 'stderr').map((l) => l.line);
  if (out.length > 0) body.push(`      <system-out>${escapeXml(out.join('\n'))}</system-out>`);
  if (err.length > 0) body.push(`      <system-err>${escapeXml(err.join('\n'))}</system-err>`);
  return { lines: body.length === 0 ? [open.replace(/>$/, '/>')] : [open, ...body, '    </testcase>'], outcome };
}
