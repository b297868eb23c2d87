/** The clipboard, with a fallback for browsers or pages where its API is unavailable. */
import { h } from './dom.ts';

/** Copies text to the clipboard, falling back to a selection when the API is unavailable. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { value: text, style: 'position:fixed;opacity:0' });
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}
