// opsbook's JUnit output against the schemas CI systems publish (Jenkins' junit-4, Apache Ant's), read from node_modules.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRunReport, renderReport } from '../../src/report/index.js';
import { journal, step } from './journal.js';
import { junitViolations, type JunitSchema } from './junit-schemas.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'opsbook-junit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = "<script>alert('x')</script> | pipe\nsecond line & more\u0007";

/** check → apply (retried, logs on both streams) → verify; `end` decides how the run ends. */
function run(end: 'succeeded' | 'failed' | 'interrupted' | 'skipped') {
  const j = journal([step('check', [], 'shell', 'Check'), step('apply', ['check'], 'k8s-apply', HOSTILE), step('verify', ['apply'])], { deadlineMs: 60_000 });
  j.stepStart('check').attemptStart('check', 1, 1).log('check', 'cluster ok').at(1000).attemptEnd('check', 1, true).stepEnd('check', 'succeeded', { durationMs: 1000 });
  j.stepStart('apply').attemptStart('apply', 1).log('apply', HOSTILE, 'stderr').at(2000).attemptEnd('apply', 1, false, { errorClass: 'transient', error: HOSTILE, retryInMs: 500 });
  j.at(2500).attemptStart('apply', 2).progress('apply', 'applied 3 objects');
  if (end === 'interrupted') return j.at(4000).events;
  if (end === 'failed') {
    j.at(3000).attemptEnd('apply', 2, false, { errorClass: 'permanent', error: 'forbidden' }).stepEnd('apply', 'failed', { reason: 'forbidden', errorClass: 'permanent' });
    return j.stepStart('verify').stepEnd('verify', 'cancelled', { reason: 'apply failed' }).runEnd('failed', 3000, { error: 'step apply failed' }).events;
  }
  j.at(3000).attemptEnd('apply', 2, true).stepEnd('apply', 'succeeded');
  if (end === 'skipped') return j.stepEnd('verify', 'skipped', { reason: 'when: false is false', skip: 'when' }).runEnd('succeeded', 3000).events;
  return j.stepStart('verify').attemptStart('verify', 1, 1).at(3500).attemptEnd('verify', 1, true).stepEnd('verify', 'succeeded').runEnd('succeeded', 3500).events;
}

const junit = (end: Parameters<typeof run>[0]) => renderReport(buildRunReport(run(end)), 'junit');
const SCHEMAS: JunitSchema[] = ['jenkins', 'ant'];

describe('JUnit output against the published schemas', () => {
  for (const end of ['succeeded', 'failed'] as const) {
    it(`a ${end} run validates against Jenkins' and Ant's schemas`, () => {
      const xml = junit(end);
      for (const schema of SCHEMAS) expect(junitViolations(xml, schema, tmp, `${end}-${schema}.xml`), `${schema}:\n${xml}`).toEqual([]);
    });
  }

  // A step that never started is skipped, which Ant's 2011 schema cannot say: it objects to that and nothing else.
  for (const end of ['skipped', 'interrupted'] as const) {
    it(`a run with ${end === 'skipped' ? 'a skipped step' : 'an interruption (its running step an error, the next never started)'} validates against Jenkins' schema; Ant's objects only to <skipped>`, () => {
      const xml = junit(end);
      expect(junitViolations(xml, 'jenkins', tmp, `${end}-jenkins.xml`), xml).toEqual([]);
      const ant = junitViolations(xml, 'ant', tmp, `${end}-ant.xml`);
      expect(ant.length).toBeGreaterThan(0);
      for (const line of ant) expect(line).toMatch(/'skipped'/);
    });
  }

  it('keeps what the CI readers show: the failure with its message, the attempts and the step output in its text, the run\'s output in the suite', () => {
    const xml = junit('failed');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites>\n {2}<testsuite name="tour \(run 20260101-000000-000-abcdef\)" package="opsbook.tour" id="0" hostname="localhost" timestamp="2026-01-01T00:00:00" tests="3" failures="1" errors="1" time="3.000">/);
    expect(xml).toContain('<failure message="forbidden" type="permanent">attempt 1/3 (transient): &lt;script&gt;');
    expect(xml).toContain('attempt 2/3 (permanent): forbidden\n\napplied 3 objects\nstderr: &lt;script&gt;');
    expect(xml).toContain('<error message="apply failed" type="cancelled"></error>');
    expect(xml).toContain('<system-out>[check] cluster ok\n[apply] applied 3 objects</system-out>');
    expect(xml).toMatch(/<system-err>\[apply\] &lt;script&gt;[^<]*\nrun: step apply failed<\/system-err>/);
    // A control character XML 1.0 cannot hold is dropped, not written (xmllint would reject the file).
    expect(xml).not.toContain('\u0007');
  });

  it('says skipped as the CI readers count it: <skipped> with the reason as text, the suite\'s skipped count', () => {
    const xml = junit('skipped');
    expect(xml).toContain('<skipped>when: false is false</skipped>');
    expect(xml).toMatch(/<testsuite [^>]* skipped="1" time="3.000">/);
    expect(junit('interrupted')).toContain('<error message="interrupted: the journal ends while this step ran" type="interrupted">');
  });

  it('each schema does reject a broken report (a testcase without its name)', () => {
    const broken = junit('succeeded').replace('<testcase name="Check (check)" ', '<testcase ');
    for (const schema of SCHEMAS) expect(junitViolations(broken, schema, tmp, `broken-${schema}.xml`).join('\n')).toMatch(/'name' is required/);
  });
});
