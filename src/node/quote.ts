// POSIX shell quoting: the remote side of ssh always re-parses the command line through a shell.

/** Quotes one word so any POSIX shell reads it back verbatim. */
export function quoteShellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes an argv into one command line. */
export function quoteShellCommand(argv: readonly string[]): string {
  return argv.map(quoteShellWord).join(' ');
}
