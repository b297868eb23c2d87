/**
 * The person's own camera and microphone: asking for them, turning failures into something a
 * person can act on, listing devices, and switching them.
 */

/** What went wrong when asking for camera or microphone, in terms a person can act on. */
export type MediaProblem =
  | 'denied' // the person or the browser's settings refused
  | 'not-found' // no camera/microphone at all
  | 'in-use' // the device exists but cannot be opened (another app holds it)
  | 'insecure' // not https (nor localhost): the browser hides devices
  | 'unsupported'
  | 'other';

/** A failure to get media, with a message and what to do. */
export class MediaAccessError extends Error {
  override readonly name = 'MediaAccessError';
  readonly problem: MediaProblem;
  constructor(problem: MediaProblem, cause?: unknown) {
    super(describeMediaProblem(problem).title, { cause });
    this.problem = problem;
  }
}

/** Title and advice for a media problem. */
export function describeMediaProblem(problem: MediaProblem): { title: string; advice: string } {
  switch (problem) {
    case 'denied':
      return {
        title: 'Camera and microphone are blocked',
        advice:
          'Allow them in the address bar (the camera icon) and retry, or join without them: you will see and hear the others, and they can still chat with you.',
      };
    case 'not-found':
      return {
        title: 'No camera or microphone found',
        advice: 'Plug one in and retry, or join without them to watch, listen and chat.',
      };
    case 'in-use':
      return {
        title: 'The camera or microphone is busy',
        advice: 'Another app may be using it. Close that app and retry, or join without them.',
      };
    case 'insecure':
      return {
        title: 'This page is not secure',
        advice: 'Browsers only share cameras with https:// pages (or localhost). Open Parley over https.',
      };
    case 'unsupported':
      return {
        title: 'This browser cannot share a camera',
        advice: 'Use a current Chrome, Edge, Firefox or Safari.',
      };
    case 'other':
      return {
        title: 'Could not start camera or microphone',
        advice: 'Retry, pick another device in Settings, or join without them.',
      };
  }
}

function classify(err: unknown): MediaProblem {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'not-found';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'in-use';
    default:
      return 'other';
  }
}

/** Which devices to open. An empty id means the default device. */
export interface MediaChoice {
  audio: boolean;
  video: boolean;
  cameraId?: string | null;
  microphoneId?: string | null;
}

const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
};

/**
 * Opens camera and/or microphone. When both are asked for and only one is available (no camera,
 * say), returns what could be opened rather than nothing.
 */
export async function openUserMedia(choice: MediaChoice): Promise<MediaStream> {
  if (!window.isSecureContext) throw new MediaAccessError('insecure');
  if (!navigator.mediaDevices?.getUserMedia) throw new MediaAccessError('unsupported');
  const video: MediaTrackConstraints | false = choice.video
    ? { ...VIDEO_CONSTRAINTS, ...(choice.cameraId ? { deviceId: { exact: choice.cameraId } } : {}) }
    : false;
  const audio: MediaTrackConstraints | false = choice.audio
    ? {
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
        ...(choice.microphoneId ? { deviceId: { exact: choice.microphoneId } } : {}),
      }
    : false;
  if (!video && !audio) return new MediaStream();
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (err) {
    const problem = classify(err);
    // A remembered device that is gone: fall back to the default one.
    if (problem === 'not-found' && (choice.cameraId || choice.microphoneId)) {
      return openUserMedia({ ...choice, cameraId: null, microphoneId: null });
    }
    // One of the two kinds is missing or busy: try each alone so the other still works.
    if ((problem === 'not-found' || problem === 'in-use') && video && audio) {
      const alone = await Promise.allSettled([
        navigator.mediaDevices.getUserMedia({ video }),
        navigator.mediaDevices.getUserMedia({ audio }),
      ]);
      const tracks = alone.flatMap((r) => (r.status === 'fulfilled' ? r.value.getTracks() : []));
      if (tracks.length > 0) return new MediaStream(tracks);
    }
    throw new MediaAccessError(problem, err);
  }
}

/** Devices by kind; labels are empty until the person has granted access once. */
export interface DeviceList {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

/** Lists cameras, microphones and (where the browser exposes them) speakers. */
export async function listDevices(): Promise<DeviceList> {
  const all = navigator.mediaDevices?.enumerateDevices ? await navigator.mediaDevices.enumerateDevices() : [];
  return {
    cameras: all.filter((d) => d.kind === 'videoinput'),
    microphones: all.filter((d) => d.kind === 'audioinput'),
    speakers: all.filter((d) => d.kind === 'audiooutput'),
  };
}

/** True when the browser can route audio to a chosen speaker (`HTMLMediaElement.setSinkId`). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Routes a media element's sound to a speaker, when supported; failures are ignored. */
export async function applySpeaker(el: HTMLMediaElement, deviceId: string | null): Promise<void> {
  const withSink = el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
  if (!withSink.setSinkId) return;
  try {
    await withSink.setSinkId(deviceId ?? '');
  } catch (err) {
    console.warn('parley: could not switch speaker', err);
  }
}

/** Stops every track of a stream. */
export function stopStream(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** Asks to share a screen or window; null when the person cancels. */
export async function openScreen(): Promise<MediaStream | null> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new MediaAccessError('unsupported');
  try {
    return await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 15 } },
      audio: false,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotAllowedError') return null;
    throw err;
  }
}
