/** The DOM helpers the widgets' panels share. */

/** A new element with a class and, optionally, its text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) {
    el.textContent = text;
  }
  return el;
}

/**
 * A wide table inside a box that scrolls sideways: in a narrow output it keeps its columns
 * and the panel keeps its width (the table never spills out of the widget).
 */
export function scrollBox(child: HTMLElement): HTMLElement {
  const box = element('div', 'tml-scroll');
  box.appendChild(child);
  return box;
}
