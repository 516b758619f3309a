// Keeps the README honest mechanically: its opsbook command lines, dependency table, links and repository paths.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { repoRoot } from '../helpers/cli.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** Words after `opsbook`; `bare` when prose left the program name out (then only a known command counts). */
interface Invocation {
  line: number;
  words: string[];
  bare?: boolean;
}

/** Every `opsbook …` invocation in the README: shell lines of code blocks (continuations joined) and inline code spans. */
function invocations(text: string): Invocation[] {
  const found: Invocation[] = [];
  const lines = text.split('\n');
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.startsWith('```')) {
      fence = !fence;
      continue;
    }
    if (fence) {
      let joined = raw;
      const start = i;
      while (joined.endsWith('\\') && i + 1 < lines.length) joined = joined.slice(0, -1) + ' ' + (lines[++i] ?? '');
      // A shell comment starts at ` #`; what follows it is prose.
      const command = joined.replace(/\s#\s.*$/, '');
      // Only what is typed: a line's command (`$ ` prompt or none) or one after a shell operator, not program output.
      for (const match of command.matchAll(/(?:^(?:\$\s+)?|[;&|(]\s*)opsbook\s+([^;&|)]*)/g)) {
        found.push({ line: start + 1, words: (match[1] ?? '').trim().split(/\s+/) });
      }
    } else {
      for (const span of raw.matchAll(/`([^`]*)`/g)) {
        const code = span[1] ?? '';
        const match = /^(?:\$ )?opsbook\s+(.*)$/.exec(code);
        if (match) found.push({ line: i + 1, words: (match[1] ?? '').trim().split(/\s+/) });
        // Prose often drops the program name: `resume --force`, `rehearse --as alice`.
        else if (/^[a-z][a-z-]*\s(.*\s)?--?[a-z]/.test(code)) found.push({ line: i + 1, words: code.split(/\s+/), bare: true });
      }
    }
  }
  return found;
}

/** The command the words name (descending into subcommands), and the rest of the words. */
function resolve(program: Command, words: string[]): { command: Command; rest: string[] } | undefined {
  let command = program;
  let rest = words;
  for (;;) {
    const name = rest[0];
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name ?? ''));
    if (!sub) return command === program ? undefined : { command, rest };
    command = sub;
    rest = rest.slice(1);
  }
}

/** Flags that every command accepts through commander itself. */
const builtIn = new Set(['--help', '-h']);

function accepts(command: Command, flag: string): boolean {
  if (builtIn.has(flag)) return true;
  for (let c: Command | null = command; c; c = c.parent) {
    if (c.options.some((o) => o.long === flag || o.short === flag || (o.negate && o.long === flag))) return true;
  }
  return false;
}

describe('README', () => {
  const program = createProgram();
  const shown = invocations(readme);

  it('shows opsbook command lines (the extraction finds them)', () => {
    expect(shown.length).toBeGreaterThan(50);
  });

  it('names only commands the CLI has', () => {
    const unknown = shown
      .filter(({ words, bare }) => !bare && /^[a-z][a-z-]*$/.test(words[0] ?? '') && !resolve(program, words))
      .map(({ line, words }) => `README.md:${line}: opsbook ${words.join(' ')}`);
    expect(unknown).toEqual([]);
  });

  it("uses only flags the command's parser accepts", () => {
    const wrong: string[] = [];
    for (const { line, words } of shown) {
      const resolved = resolve(program, words);
      if (!resolved) continue;
      for (const word of resolved.rest) {
        const flag = /^(--[a-z][a-z0-9-]*|-[a-zA-Z])(?:=|$)/.exec(word)?.[1];
        if (flag && !accepts(resolved.command, flag)) wrong.push(`README.md:${line}: ${resolved.command.name()} ${flag}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives a reason for every dependency and dev dependency of package.json, and none it does not declare', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const declared = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].sort();
    const section = readme.slice(readme.indexOf('## Dependencies, and why'), readme.indexOf('\n## ', readme.indexOf('## Dependencies, and why') + 1));
    // A row names its packages in backticks in its first cell: `ajv` (+ `ajv-formats`).
    const listed = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((row) => [...(row[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')).sort();
    expect(listed).toEqual(declared);
  });

  it('links only to headings and files that exist', () => {
    // GitHub's anchors: the heading lower-cased, punctuation but hyphens and underscores dropped, spaces as hyphens.
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((h) => (h[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')),
    );
    const broken = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] ?? '')
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target) => (target.startsWith('#') ? !anchors.has(target.slice(1)) : !existsSync(path.join(repoRoot, target.split('#')[0] ?? ''))));
    expect(broken).toEqual([]);
    expect(anchors.has('a-fleet-run-kept-in-the-management-cluster')).toBe(true);
  });

  it("names only repository paths that exist (src/, test/, bench/, runbooks/, schemas/, deploy/, scripts/, .ci/)", () => {
    // Placeholders (`<area>`, `*`, `…`) name a kind of path, not one path.
    const named = [...readme.matchAll(/`((?:src|test|bench|runbooks|schemas|deploy|scripts|\.ci)\/[^`\s]+)`/g)].map((m) => m[1] ?? '');
    const missing = [...new Set(named)].filter((p) => !/[<>*…]/.test(p) && !existsSync(path.join(repoRoot, p)));
    expect(named.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('is caught by the check when a flag does not exist', () => {
    const [bogus] = invocations('`opsbook run x.yaml --no-such-flag`');
    const resolved = resolve(program, bogus?.words ?? []);
    expect(resolved?.command.name()).toBe('run');
    expect(accepts(resolved!.command, '--no-such-flag')).toBe(false);
    expect(accepts(resolved!.command, '--set')).toBe(true);
  });
});
