/** A tiny DOM builder: elements from tag, attributes and children; text always as text nodes. */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Listener = (event: Event) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Listener>;

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? (child as Node) : document.createTextNode(String(child)));
  }
}

/**
 * `h('a', { href: '/cart', class: 'button' }, 'Cart')`. Props named `on<event>` holding a
 * function become listeners; `true` sets an empty (boolean) attribute; false/null/undefined skip it.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Text with <mark>ed parts (search highlights), as text nodes. */
export function marked(segments: readonly { text: string; mark: boolean }[]): Node[] {
  return segments.map((s) => (s.mark ? h('mark', null, s.text) : document.createTextNode(s.text)));
}
