// The Dockerfile `opsbook submit` defaults to, checked statically (no docker daemon here): stages, base images, non-root
// user, entrypoint, kubectl verified by checksum, and a .dockerignore that keeps no file the build needs out.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POD_UID } from '../../src/submit/index.js';
import { repoRoot } from '../helpers/cli.js';

interface Stage {
  from: string;
  name?: string;
  instructions: { op: string; args: string }[];
}

/** Instructions per stage, continuation lines joined and comments dropped, as the Dockerfile parser reads them. */
function parseDockerfile(text: string): Stage[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`unparsable line: ${line}`);
    if (op.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!) ?? [];
      stages.push({ from: from!, ...(name ? { name } : {}), instructions: [] });
    } else {
      if (stages.length === 0 && op.toUpperCase() !== 'ARG') throw new Error(`${op} before FROM`);
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: args! });
    }
  }
  return stages;
}

/** Whether a .dockerignore line matches a repository-relative path: enough of its syntax for this file. */
function ignored(patterns: string[], file: string): boolean {
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/.*)?$`);
    return re.test(file);
  });
}

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds on node:20 and ships on node:20-slim, the packed CLI only', () => {
    expect(stages.map((s) => s.from)).toEqual(['node:20', 'debian:bookworm-slim', 'node:20-slim']);
    const build = stages[0]!;
    expect(ops(build, 'RUN').join('\n')).toMatch(/npm ci[\s\S]*npm run build/);
    expect(ops(runtime, 'COPY')).toEqual(['--from=build /tmp/opsbook.tgz /tmp/opsbook.tgz', '--from=kubectl /kubectl /usr/local/bin/kubectl']);
    expect(ops(runtime, 'RUN').join('\n')).toMatch(/npm install -g --omit=dev/);
  });

  it('runs as a numeric non-root user with opsbook as the entrypoint', () => {
    const user = ops(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    // The uid runAsNonRoot sees is the one the Job's securityContext names.
    expect(user[0]).toBe(`${POD_UID}:${POD_UID}`);
    expect(ops(runtime, 'ENTRYPOINT')).toEqual(['["opsbook"]']);
  });

  it('verifies kubectl against its published checksum', () => {
    const run = ops(stages[1]!, 'RUN').join('\n');
    expect(run).toMatch(/dl\.k8s\.io\/release\/\$\{KUBECTL_VERSION\}\/bin\/linux\/\$\{TARGETARCH\}\/kubectl\.sha256/);
    expect(run).toMatch(/sha256sum --check --strict/);
  });

  it('.dockerignore keeps out local builds and state but no source, schema or runbook the build needs', () => {
    const patterns = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const outside of ['node_modules/x/index.js', 'dist/bundle/opsbook.js', '.opsbook/runs/a', 'opsbook-0.1.0.tgz']) expect(ignored(patterns, outside), outside).toBe(true);
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'LICENSE', 'README.md', ...['src', 'schemas', 'runbooks', 'scripts'].flatMap((dir) =>
      readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name))),
    )];
    expect(needed.filter((f) => ignored(patterns, f))).toEqual([]);
  });
});
