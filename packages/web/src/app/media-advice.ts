/**
 * How to allow a blocked camera and microphone, in the words of the browser the person uses:
 * where the setting is differs between Chromium-based browsers, Firefox and Safari. Chosen from
 * the user-agent string (only to pick a sentence; nothing depends on it otherwise).
 *
 * DOM-free, unit-tested in Node.
 */

/** The browser families whose settings we can describe. */
export type BrowserFamily = 'chromium' | 'firefox' | 'safari' | 'other';

/** The browser family of a user-agent string. */
export function browserFamily(userAgent: string): BrowserFamily {
  if (/Firefox\//.test(userAgent)) return 'firefox';
  if (/(Chrome|Chromium|CriOS|Edg)\//.test(userAgent)) return 'chromium';
  if (/Safari\//.test(userAgent) && /Version\//.test(userAgent)) return 'safari';
  return 'other';
}

/** One sentence: where to allow camera and microphone for this site in this browser. */
export function allowMediaAdvice(userAgent: string): string {
  switch (browserFamily(userAgent)) {
    case 'chromium':
      return 'To allow them, click the camera icon (or the site settings icon) at the left of the address bar, set Camera and Microphone to Allow, then Try again.';
    case 'firefox':
      return 'To allow them, click the crossed-out camera icon in the address bar, clear the blocks for Camera and Microphone, then Try again.';
    case 'safari':
      return 'To allow them, open Safari › Settings for This Website, set Camera and Microphone to Allow, then Try again.';
    case 'other':
      return 'To allow them, open this site’s permissions in your browser’s address bar or settings, allow Camera and Microphone, then Try again.';
  }
}
