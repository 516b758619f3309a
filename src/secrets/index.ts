// Secrets as a type, not a string: everything that prints, journals or encodes a secret asks this area how to mask it.

export { MIN_SECRET_LENGTH, listSecretForms } from './forms.js';
export { MASK, createMasker, mapStrings, type Masker } from './masker.js';
