// Context globs (`prod-*`, `eu-?-blue`): `*` any run of characters, `?` one, everything else literal.

/** Compiles a glob to an anchored regular expression. */
export function compileGlob(glob: string): RegExp {
  const source = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's');
}
