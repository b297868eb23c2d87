/**
 * A tiny element builder: enough to write components as plain functions that return DOM nodes,
 * without a framework. Attributes starting with `on` become listeners; `class`, `data-*` and
 * `aria-*` are set as attributes; `style` through the CSSOM (`style.cssText`), which the app's
 * Content-Security-Policy allows where a `style` attribute would be refused; everything else as
 * a property when the element has it.
 */

type Child = Node | string | number | null | undefined | false;
/** Children of {@link h}: nodes, text, or (nested) arrays of them. */
export type Children = Child | Children[];
type Listener = (event: Event) => void;

/** Attributes and listeners for {@link h}. */
export type Props = Record<string, unknown>;

/** Creates an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el: HTMLElement, props: Props): void {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value as Listener);
    } else if (key === 'style') {
      el.style.cssText = String(value);
    } else if (key === 'class' || key === 'for' || key.includes('-') || key === 'role') {
      el.setAttribute(key, value === true ? '' : String(value));
    } else if (key in el) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** Appends children, flattening arrays and skipping empty values. */
export function append(el: Node, children: Children[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else
      el.appendChild(
        typeof child === 'string' || typeof child === 'number'
          ? document.createTextNode(String(child))
          : child,
      );
  }
}

/** Replaces every child of `el`. */
export function replaceChildren(el: Element, ...children: Children[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Creates an inline SVG element from markup we own (icons). */
export function svg(markup: string, className = 'icon'): SVGElement {
  const template = document.createElement('template');
  template.innerHTML = markup.trim();
  const el = template.content.firstElementChild as SVGElement;
  el.setAttribute('class', className);
  el.setAttribute('aria-hidden', 'true');
  el.setAttribute('focusable', 'false');
  return el;
}

/** Listens until the returned function is called; components collect these to clean up. */
export function listen<K extends keyof WindowEventMap>(
  target: Window,
  type: K,
  fn: (e: WindowEventMap[K]) => void,
): () => void;
export function listen<K extends keyof DocumentEventMap>(
  target: Document,
  type: K,
  fn: (e: DocumentEventMap[K]) => void,
): () => void;
export function listen(target: EventTarget, type: string, fn: Listener): () => void;
export function listen(target: EventTarget, type: string, fn: Listener): () => void {
  target.addEventListener(type, fn);
  return () => target.removeEventListener(type, fn);
}

/** A bag of clean-up functions, run once and in reverse order. */
export class Disposer {
  #fns: (() => void)[] = [];
  #done = false;
  add(fn: () => void): void {
    if (this.#done) fn();
    else this.#fns.push(fn);
  }
  dispose(): void {
    if (this.#done) return;
    this.#done = true;
    for (const fn of this.#fns.reverse()) {
      try {
        fn();
      } catch (err) {
        console.error('parley: clean-up failed', err);
      }
    }
    this.#fns = [];
  }
}
