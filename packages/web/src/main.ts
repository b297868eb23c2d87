/**
 * Entry point of the Parley web app: keeps an invitation token from the link, rewrites path
 * links (`/r/room`, `/test`) to their hash form, and starts the app.
 */
import { ParleyApp } from './app/app.ts';
import { captureInviteToken } from './app/invite.ts';
import { normalizeLocation } from './app/router.ts';

captureInviteToken();
normalizeLocation();
const root = document.getElementById('app');
if (root) new ParleyApp(root).start();
