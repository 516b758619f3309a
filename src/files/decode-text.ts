// Turns a user file's bytes into text, refusing what is not UTF-8: a UTF-16 file or a binary one would otherwise
// reach the parser (and then the terminal) as NUL bytes and replacement characters.

/** The text, or why these bytes are not UTF-8 text (a few words, for "PATH: …"). */
export type DecodedText = { text: string } | { problem: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 with or without a BOM (the BOM is dropped); UTF-16/32 and bytes with NULs are refused by name. */
export function decodeUserText(bytes: Uint8Array): DecodedText {
  const encoding = detectUnicodeBom(bytes) ?? guessUtf16(bytes);
  if (encoding) return { problem: `file is ${encoding} encoded; save it as UTF-8` };
  if (bytes.includes(0)) return { problem: 'file looks binary (it contains NUL bytes); expected UTF-8 text' };
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { problem: 'file is not valid UTF-8 text; save it as UTF-8' };
  }
}

function detectUnicodeBom(bytes: Uint8Array): string | undefined {
  const [a, b, c, d] = bytes;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32';
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) return 'UTF-16';
  return undefined;
}

/** UTF-16 without a BOM: ASCII text with a NUL in every other byte (checked on the first 64 bytes). */
function guessUtf16(bytes: Uint8Array): string | undefined {
  const sample = bytes.subarray(0, 64 - (Math.min(bytes.length, 64) % 2));
  if (sample.length < 2) return undefined;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 === 0 ? evenNuls++ : oddNuls++;
  const pairs = sample.length / 2;
  return (evenNuls === pairs && oddNuls === 0) || (oddNuls === pairs && evenNuls === 0) ? 'UTF-16' : undefined;
}
