// Objects as they travel over the simulated API: the store keeps unstructured JSON, so actors read fields freely.

export type Json = Record<string, any>;
