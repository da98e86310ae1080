/**
 * A minimal, logic-less template language for users' own nginx text: a strict subset of Mustache.
 * `{{name}}` inserts a value, `{{#name}}...{{/name}}` repeats for each item of a list (or shows once for a true,
 * non-empty value), `{{^name}}...{{/name}}` shows when the value is false, empty or an empty list, `{{.}}` is the
 * current item, `{{! ... }}` is a comment. No partials, no delimiter changes, no escaping (the output is nginx text,
 * and every value is a checked address, port or name), no code. Unlike Mustache, an unknown name is an error, so a
 * typo fails the render (and the previous config stays) instead of silently rendering nothing.
 */

/** A value a template can use. */
export type TemplateValue =
  string | number | boolean | readonly TemplateValue[] | { readonly [name: string]: TemplateValue };

/** A template that cannot be parsed, or that uses a name or value it cannot; `line` is 1-based. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`template line ${line}: ${message}`);
    this.name = 'TemplateError';
  }
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string; line: number }
  | { kind: 'section'; name: string; inverted: boolean; line: number; children: Node[] };

/** A parsed template: render it with a context as often as needed. */
export interface Template {
  render(context: { readonly [name: string]: TemplateValue }): string;
}

const TAG = /\{\{(.*?)\}\}/gs;
const NAME = /^(?:\.|[A-Za-z_][A-Za-z0-9_]*)$/;

/** Parses `source`; throws a TemplateError for an unbalanced section, an unknown tag kind or a bad name. */
export function compileTemplate(source: string): Template {
  const nodes = parse(source);
  return { render: (context) => renderNodes(nodes, [context]) };
}

function parse(source: string): Node[] {
  const root: Node[] = [];
  const open: { name: string; line: number; children: Node[] }[] = [];
  const target = (): Node[] => open.at(-1)?.children ?? root;
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    const at = match.index;
    if (at > last) target().push({ kind: 'text', text: source.slice(last, at) });
    last = at + match[0].length;
    const line = lineOf(source, at);
    const tag = (match[1] ?? '').trim();
    const sigil = tag.charAt(0);
    if (sigil === '!') continue;
    const name = '#^/'.includes(sigil) && sigil !== '' ? tag.slice(1).trim() : tag;
    if (!NAME.test(name))
      throw new TemplateError(
        `{{${tag}}} is not a name, a section ({{#name}}, {{^name}}, {{/name}}) or a comment ({{! }})`,
        line,
      );
    if (sigil === '#' || sigil === '^') {
      const section: Node = { kind: 'section', name, inverted: sigil === '^', line, children: [] };
      target().push(section);
      open.push(section);
    } else if (sigil === '/') {
      const closing = open.pop();
      if (closing?.name !== name)
        throw new TemplateError(
          `{{/${name}}} closes ${closing ? `{{#${closing.name}}} (line ${closing.line})` : 'no open section'}`,
          line,
        );
    } else {
      target().push({ kind: 'value', name, line });
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new TemplateError(`{{#${unclosed.name}}} is never closed`, unclosed.line);
  if (source.indexOf('{{', last) !== -1)
    throw new TemplateError('{{ without }}', lineOf(source, source.indexOf('{{', last)));
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return root;
}

function renderNodes(nodes: readonly Node[], stack: readonly TemplateValue[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') out += scalar(lookup(stack, node.name, node.line), node.name, node.line);
    else out += renderSection(node, stack);
  }
  return out;
}

function renderSection(node: Extract<Node, { kind: 'section' }>, stack: readonly TemplateValue[]): string {
  const value = lookup(stack, node.name, node.line);
  const items: readonly TemplateValue[] = Array.isArray(value) ? value : truthy(value) ? [value] : [];
  if (node.inverted) return items.length === 0 ? renderNodes(node.children, stack) : '';
  return items.map((item) => renderNodes(node.children, [...stack, item])).join('');
}

/** The innermost frame that has `name` (`.` is the current item). */
function lookup(stack: readonly TemplateValue[], name: string, line: number): TemplateValue {
  if (name === '.') return stack.at(-1) ?? '';
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i];
    if (typeof frame === 'object' && !Array.isArray(frame) && frame !== null && Object.hasOwn(frame, name)) {
      const value = (frame as { readonly [name: string]: TemplateValue })[name];
      if (value !== undefined) return value;
    }
  }
  throw new TemplateError(`unknown name "${name}"`, line);
}

function scalar(value: TemplateValue, name: string, line: number): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new TemplateError(
    `"${name}" is a ${Array.isArray(value) ? 'list' : 'group'}: use {{#${name}}}...{{/${name}}}`,
    line,
  );
}

function truthy(value: TemplateValue): boolean {
  return value !== false && value !== '' && value !== 0;
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}
