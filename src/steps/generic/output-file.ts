// Reads the file a process wrote to $OPSBOOK_OUTPUT: one JSON object, or `key=value` lines (`key<<EOF` for multi-line).

import { StepError } from '../../errors.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses the output file's text into step outputs; a malformed file is a permanent StepError naming the line. */
export function parseOutputFile(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) return parseJsonOutputs(trimmed);
  const outputs: Record<string, unknown> = {};
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = /^([^=<]+)<<(\S+)$/.exec(line);
    if (heredoc) {
      const key = checkKey(heredoc[1]!, i);
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end === -1) throw malformed(i, `${key}<<${heredoc[2]} is never closed by a line ${heredoc[2]}`);
      outputs[key] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw malformed(i, 'expected key=value, key<<DELIMITER, or one JSON object');
    outputs[checkKey(line.slice(0, eq), i)] = line.slice(eq + 1);
  }
  return outputs;
}

function parseJsonOutputs(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StepError(`$OPSBOOK_OUTPUT: not valid JSON (${(error as Error).message})`, { errorClass: 'permanent' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StepError('$OPSBOOK_OUTPUT: JSON must be one object of outputs', { errorClass: 'permanent' });
  }
  return value as Record<string, unknown>;
}

function checkKey(raw: string, index: number): string {
  const key = raw.trim();
  if (!KEY.test(key)) throw malformed(index, `output name ${JSON.stringify(key)} must match ${KEY.source}`);
  return key;
}

function malformed(index: number, message: string): StepError {
  return new StepError(`$OPSBOOK_OUTPUT line ${index + 1}: ${message}`, { errorClass: 'permanent' });
}
