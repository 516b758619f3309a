// Text from runbooks, scenarios, run ids and step output reaches the operator's terminal; its control characters are
// shown as visible escapes (`\x1b`) so a file cannot move the cursor, retitle the window or hide what was printed.

// C0 controls but tab and newline, DEL, C1 controls (U+0080–U+009F: 8-bit CSI and OSC to some terminals).
const CONTROL_KEEPING_NEWLINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// What JSON.stringify leaves raw: DEL and C1 (it escapes C0 already).
const JSON_RAW_CONTROL = /[\u007f-\u009f]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r' };

const visible = (char: string): string => {
  const code = char.charCodeAt(0);
  if (code === 0x1b) return '\\x1b';
  return NAMED[char] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
};

/**
 * `text` with control characters made visible: `\x1b`, `\r`, `\x07`, `\u009b`. Tabs stay; newlines stay only with
 * `newlines: true` (multi-line messages), else they print as `\n` (one record per line).
 */
export function escapeControl(text: string, options: { newlines?: boolean } = {}): string {
  return text.replace(options.newlines ? CONTROL_KEEPING_NEWLINES : CONTROL, visible);
}

/** JSON text with DEL and C1 controls as `\u00XX` escapes: the same JSON value, safe on a terminal. */
export function escapeJsonControl(json: string): string {
  return json.replace(JSON_RAW_CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A copy of `value` with every string (keys too) escaped, for renderers that take whole events. */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value, { newlines: true }) as T;
  if (Array.isArray(value)) return value.map(escapeStrings) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeControl(k, { newlines: true }), escapeStrings(v)])) as T;
  }
  return value;
}
