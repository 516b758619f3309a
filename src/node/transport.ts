// File operations built once on top of "run argv on the node", so local and ssh share every code path.

import { StepError } from '../errors.js';
import type { ExecResult } from '../proc/types.js';
import type { NodeSpec, NodeTransport, ReadResult, RunOptions } from './types.js';

/** How a transport runs argv on its machine (sudo already applied); throws only on transport failures. */
export type RawRunner = (argv: readonly string[], options: RunOptions) => Promise<ExecResult>;

// Each file is framed by a header line; base64 lines never start with '=' so the framing is unambiguous.
const READ_SCRIPT = `for f; do
  if [ ! -e "$f" ]; then echo '=== missing'
  elif [ -f "$f" ] && [ -r "$f" ]; then echo '=== ok'; base64 < "$f" || exit 3
  else echo '=== unreadable'; fi
done`;

// Temp file beside the target, so the final rename is atomic on the same file system.
const WRITE_SCRIPT = `set -e
t=$(mktemp "$1.opsbook-XXXXXX")
trap 'rm -f "$t"' EXIT
cat > "$t"
if [ -n "$2" ]; then chmod "$2" "$t"; elif [ -e "$1" ]; then chmod "$(stat -c %a "$1")" "$t"; fi
mv -f "$t" "$1"
trap - EXIT`;

/** Builds the full transport from a raw runner. */
export function createTransport(spec: NodeSpec, runRaw: RawRunner, close: () => Promise<void>): NodeTransport {
  const withSudo = (argv: readonly string[]) => (spec.sudo ? ['sudo', '-n', '--', ...argv] : [...argv]);
  const run = (argv: readonly string[], options: RunOptions = {}) => runRaw(withSudo(argv), options);
  const sh = (script: string, args: readonly string[], options: RunOptions = {}) =>
    run(['sh', '-c', script, 'sh', ...args], options);

  const runChecked = async (argv: readonly string[], options: RunOptions = {}) => {
    const result = await run(argv, options);
    if (result.exitCode !== 0) throw commandFailed(spec, argv, result);
    return result;
  };

  const readFiles = async (paths: readonly string[], signal?: AbortSignal): Promise<ReadResult[]> => {
    if (paths.length === 0) return [];
    const result = await sh(READ_SCRIPT, paths, { signal });
    if (result.exitCode !== 0) throw commandFailed(spec, ['read', ...paths], result);
    return parseReadOutput(spec, paths, result.stdout);
  };

  return {
    spec,
    run,
    runChecked,
    readFiles,
    async readFile(path, signal) {
      const [file] = await readFiles([path], signal);
      if (!file?.data) {
        throw new StepError(`${spec.name}: cannot read ${path}: ${file?.problem ?? 'missing'}`, { errorClass: 'permanent' });
      }
      return file.data;
    },
    async writeFile(path, data, options = {}) {
      const mode = options.mode === undefined ? '' : options.mode.toString(8);
      const result = await sh(WRITE_SCRIPT, [path, mode], { input: toBytes(data), signal: options.signal });
      if (result.exitCode !== 0) throw commandFailed(spec, ['write', path], result);
    },
    async exists(path, signal) {
      const result = await run(['test', '-e', path], { signal });
      return result.exitCode === 0;
    },
    async mkdir(path, signal) {
      await runChecked(['mkdir', '-p', '--', path], { signal });
    },
    async list(dir, signal) {
      const result = await runChecked(['ls', '-1A', '--', dir], { signal });
      return result.stdout.split('\n').filter((l) => l !== '').sort();
    },
    async remove(path, signal) {
      await runChecked(['rm', '-rf', '--', path], { signal });
    },
    close,
  };
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function parseReadOutput(spec: NodeSpec, paths: readonly string[], stdout: string): ReadResult[] {
  const results: ReadResult[] = [];
  let current: { status: string; lines: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    const path = paths[results.length]!;
    if (current.status === 'ok') results.push({ path, data: Buffer.from(current.lines.join(''), 'base64') });
    else results.push({ path, data: undefined, problem: current.status === 'missing' ? 'missing' : 'unreadable' });
  };
  for (const line of stdout.split('\n')) {
    if (line.startsWith('=== ')) {
      flush();
      current = { status: line.slice(4).trim(), lines: [] };
    } else if (current && line !== '') current.lines.push(line.trim());
  }
  flush();
  if (results.length !== paths.length) {
    throw new StepError(`${spec.name}: reading ${paths.length} files returned ${results.length} (output truncated?)`, {
      errorClass: 'transient',
    });
  }
  return results;
}

/** A StepError naming the node, the command and the end of its stderr. */
export function commandFailed(spec: NodeSpec, argv: readonly string[], result: ExecResult): StepError {
  const stderr = result.stderr.trim().split('\n').slice(-5).join(' | ');
  const how = result.exitCode === undefined ? `killed by ${result.signal ?? 'a signal'}` : `exit code ${result.exitCode}`;
  return new StepError(`${spec.name}: \`${argv.slice(0, 4).join(' ')}${argv.length > 4 ? ' …' : ''}\` failed (${how})${stderr ? `: ${stderr}` : ''}`, {
    errorClass: 'permanent',
    details: { node: spec.name, argv: [...argv], exitCode: result.exitCode, stderr: result.stderr },
  });
}
