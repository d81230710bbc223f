const SVG = "http://www.w3.org/2000/svg";

type Attrs = Record<string, string | number | null | undefined>;

function set(el: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
}

/** An HTML element; children are nodes or text (text is never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  set(el, attrs);
  el.append(...children.filter((c): c is Node | string => c !== null));
  return el;
}

export function s(tag: string, attrs: Attrs = {}, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  set(el, attrs);
  el.append(...children);
  return el;
}
