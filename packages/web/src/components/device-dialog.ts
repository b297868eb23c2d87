/**
 * The device settings dialog: camera, microphone and speaker. A change applies at once (the call
 * swaps the track without renegotiating) and is remembered for next time.
 */
import { readPref } from '../app/prefs.ts';
import { canChooseSpeaker, listDevices } from '../media/local-media.ts';
import { openDialog } from '../ui/common.ts';
import { h } from '../ui/dom.ts';
import { icon } from '../ui/icons.ts';

/** Which device changed. */
export type DeviceKind = 'camera' | 'microphone' | 'speaker';

function select(
  id: string,
  label: string,
  devices: MediaDeviceInfo[],
  current: string | null,
  fallback: string,
  onChange: (deviceId: string) => void,
): HTMLElement {
  const el = h(
    'select',
    { class: 'select', id, onchange: () => onChange(el.value) },
    devices.length === 0
      ? h('option', { value: '' }, `No ${fallback} found`)
      : devices.map((d, i) =>
          h(
            'option',
            { value: d.deviceId, selected: d.deviceId === current },
            d.label || `${fallback} ${i + 1}`,
          ),
        ),
  );
  if (devices.length === 0) el.disabled = true;
  return h('div', { class: 'field' }, h('label', { for: id }, label), el);
}

/** The background blur switch, offered only where the browser can blur (media/background-blur.ts). */
export interface BlurOption {
  on: boolean;
  /** Resolves whether the change took. */
  set(on: boolean): Promise<boolean>;
}

function blurField(blur: BlurOption): HTMLElement {
  const box: HTMLInputElement = h('input', {
    type: 'checkbox',
    id: 'dev-blur',
    checked: blur.on,
    onchange: () => {
      const want = box.checked;
      void blur.set(want).then((ok) => {
        if (!ok) box.checked = !want;
      });
    },
  });
  return h(
    'div',
    { class: 'field check-field' },
    box,
    h('label', { for: 'dev-blur' }, 'Blur my background'),
    h('p', { class: 'field-hint' }, 'Done by your browser and system on this device; nothing leaves it.'),
  );
}

/**
 * Opens the dialog; `current` gives the ids in use (the track's settings); `blur`, where the
 * browser can blur the camera's background.
 */
export async function openDeviceDialog(
  current: Partial<Record<DeviceKind, string | null>>,
  onChange: (kind: DeviceKind, deviceId: string) => void,
  blur?: BlurOption,
): Promise<void> {
  const devices = await listDevices();
  const speakerField = canChooseSpeaker()
    ? select(
        'dev-speaker',
        'Speaker',
        devices.speakers,
        current.speaker ?? readPref('speaker'),
        'speaker',
        (id) => onChange('speaker', id),
      )
    : h(
        'div',
        { class: 'field' },
        h('span', { class: 'label' }, 'Speaker'),
        h(
          'p',
          { class: 'field-hint' },
          'This browser plays sound on the system’s default speaker; change it in your system settings.',
        ),
      );
  const dialog = openDialog({
    label: 'Devices',
    body: [
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', null, 'Devices'),
        h(
          'button',
          { class: 'icon-button', type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() },
          icon('cross'),
        ),
      ),
      select('dev-camera', 'Camera', devices.cameras, current.camera ?? readPref('camera'), 'camera', (id) =>
        onChange('camera', id),
      ),
      select(
        'dev-microphone',
        'Microphone',
        devices.microphones,
        current.microphone ?? readPref('microphone'),
        'microphone',
        (id) => onChange('microphone', id),
      ),
      speakerField,
      ...(blur ? [blurField(blur)] : []),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'button primary', type: 'button', onclick: () => dialog.close() }, 'Done'),
      ),
    ],
  });
}
