// What an expression reads from the context (inputs.x, steps.y.outputs.z, run.id), read from the CEL AST.

/** One use of the evaluation context, e.g. `steps.pending.outputs.nodes` → root steps, name pending, field outputs, key nodes. */
export interface ExprReference {
  root: 'inputs' | 'steps' | 'run';
  /** inputs.<name>, steps.<name>, run.<name>; undefined when the whole map is used. */
  name?: string;
  /** steps.<id>.<field> */
  field?: string;
  /** steps.<id>.outputs.<key> */
  key?: string;
}

/** The parts of a cel-js AST node we walk (kept structural so this file does not import the library). */
interface AstNode {
  op?: string;
  args?: unknown;
}

const ROOTS = new Set(['inputs', 'steps', 'run']);

/** Every `inputs.x`, `steps.y.outputs.z`, `run.id` the expression reads (from the AST, not the text). */
export function collectReferences(ast: unknown): ExprReference[] {
  const found: ExprReference[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const n = node as AstNode;
    if (typeof n.op !== 'string') return;
    const chain = readChain(n);
    if (chain) {
      found.push(chain.reference);
      for (const index of chain.dynamicIndexes) visit(index);
      return;
    }
    visit(n.args);
  };
  visit(ast);
  return found;
}

interface Chain {
  reference: ExprReference;
  dynamicIndexes: unknown[];
}

// Unwinds `a.b["c"].d` into [a, b, c, d] when it starts at a context root; dynamic indexes are visited separately.
function readChain(node: AstNode): Chain | undefined {
  const keys: string[] = [];
  const dynamicIndexes: unknown[] = [];
  let current: AstNode = node;
  for (;;) {
    if (current.op === 'id') {
      const root = current.args as string;
      if (!ROOTS.has(root)) return undefined;
      keys.reverse();
      const [name, field, key] = keys;
      return { reference: { root: root as ExprReference['root'], name, field, key }, dynamicIndexes };
    }
    if (current.op === '.' || current.op === '.?') {
      const [target, key] = current.args as [typeof current, string];
      keys.push(key);
      current = target;
    } else if (current.op === '[]' || current.op === '[?]') {
      const [target, index] = current.args as [typeof current, AstNode];
      if (index?.op === 'value' && typeof index.args === 'string') keys.push(index.args);
      else {
        keys.length = 0; // a computed key: only the prefix before it is known
        dynamicIndexes.push(index);
      }
      current = target;
    } else return undefined;
  }
}

