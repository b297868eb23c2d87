/**
 * The self-test page (`/#/test`): camera and microphone preview with a level meter, then each
 * check with pass/fail and what to do. Runs by itself on arrival; "Run again" repeats it. The
 * preview is self-test-preview.ts; the checks themselves are selftest/.
 *
 * A screen: may import selftest/, media/ and ui/.
 */
import { stopStream } from '../media/local-media.ts';
import {
  CHECKS,
  type Check,
  type CheckContext,
  type CheckResult,
  resetIceCache,
} from '../selftest/checks.ts';
import { summarize } from '../selftest/reach.ts';
import { announce } from '../ui/announce.ts';
import { chip, setChip, topbar } from '../ui/common.ts';
import { Disposer, h, replaceChildren } from '../ui/dom.ts';
import { type IconName, icon } from '../ui/icons.ts';
import { selfTestPreview } from './self-test-preview.ts';

const STATUS_TEXT = {
  pending: 'Waiting',
  running: 'Checking',
  pass: 'Pass',
  fail: 'Fail',
  skip: 'Not configured',
};
const STATUS_ICON: Record<keyof typeof STATUS_TEXT, IconName> = {
  pending: 'more',
  running: 'refresh',
  pass: 'check',
  fail: 'cross',
  skip: 'info',
};

interface Row {
  check: Check;
  el: HTMLElement;
  set(status: keyof typeof STATUS_TEXT, result?: CheckResult): void;
}

function checkRow(check: Check): Row {
  const iconBox = h('span', { class: 'check-icon' });
  const detail = h('p', { class: 'check-detail' }, check.description);
  const advice = h('p', { class: 'check-advice', hidden: true });
  const status = h('span', { class: 'check-status' });
  const el = h(
    'li',
    { class: 'check', 'data-check': check.id },
    iconBox,
    h('div', null, h('h3', { class: 'check-title' }, check.title), detail, advice),
    status,
  );
  const row: Row = {
    check,
    el,
    set(s, result) {
      el.dataset.status = s;
      replaceChildren(iconBox, icon(STATUS_ICON[s]));
      status.textContent = STATUS_TEXT[s];
      detail.textContent = result?.detail ?? check.description;
      advice.textContent = result?.advice ? result.advice : '';
      advice.hidden = !result?.advice || result.status === 'pass';
    },
  };
  row.set('pending');
  return row;
}

/** Renders the self-test page into `root`; returns a clean-up function. */
export function renderSelfTest(root: HTMLElement): () => void {
  const disposer = new Disposer();
  const preview = selfTestPreview();
  const summaryChip = chip('Running…', 'warn');
  const summaryText = h(
    'p',
    { class: 'muted' },
    'Checking your browser, devices and the connection to this server.',
  );
  const rerun = h('button', { class: 'button', type: 'button' }, icon('refresh'), 'Run again');
  const rows = CHECKS.map(checkRow);
  const list = h(
    'ol',
    { class: 'checks', 'aria-label': 'Checks' },
    rows.map((r) => r.el),
  );

  const main = h(
    'main',
    { class: 'page', id: 'main', tabindex: '-1' },
    h(
      'div',
      { class: 'selftest' },
      h(
        'div',
        { class: 'stack' },
        h('h1', null, 'Check your setup'),
        h(
          'p',
          { class: 'muted' },
          'Run this before an important call, or when a call does not connect. Nothing you see here leaves your browser, except a test login to this server.',
        ),
      ),
      h(
        'div',
        { class: 'selftest-top' },
        preview.el,
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'summary-h' },
          h('div', { class: 'card-header' }, h('h2', { id: 'summary-h' }, 'Summary'), summaryChip),
          summaryText,
          h(
            'div',
            { class: 'input-row' },
            rerun,
            h('a', { class: 'button ghost', href: '#/' }, 'Back to Parley'),
          ),
        ),
      ),
      list,
    ),
  );
  replaceChildren(
    root,
    topbar(
      h('h1', null, 'Self-test'),
      h('a', { class: 'button ghost', href: '#/' }, icon('arrowLeft'), 'Home'),
    ),
    main,
  );

  let run: AbortController | null = null;
  let ctx: CheckContext | null = null;
  const stopPreview = () => {
    preview.stop();
    stopStream(ctx?.stream);
  };

  const start = async () => {
    run?.abort();
    stopPreview();
    resetIceCache();
    const controller = new AbortController();
    run = controller;
    ctx = { stream: null, signal: controller.signal };
    rerun.disabled = true;
    setChip(summaryChip, 'Running…', 'warn');
    summaryText.textContent = 'Checking your browser, devices and the connection to this server.';
    announce('Self-test started');
    for (const row of rows) row.set('pending');
    const results: CheckResult[] = [];
    for (const row of rows) {
      if (controller.signal.aborted) return;
      row.set('running');
      let result: CheckResult;
      try {
        result = await row.check.run(ctx);
      } catch (err) {
        if (controller.signal.aborted) return;
        result = {
          status: 'fail',
          detail: `The check stopped with an error: ${err instanceof Error ? err.message : String(err)}.`,
          advice: 'Reload the page and run it again.',
        };
      }
      if (controller.signal.aborted) return;
      results.push(result);
      row.set(result.status, result);
      if (row.check.id === 'media') preview.show(ctx.stream);
    }
    rerun.disabled = false;
    const summary = summarize(results);
    setChip(summaryChip, summary.label, summary.tone);
    summaryText.textContent = summary.text;
    announce(summary.announcement);
  };
  rerun.addEventListener('click', () => void start());
  void start();

  disposer.add(() => {
    run?.abort();
    stopPreview();
  });
  return () => disposer.dispose();
}
