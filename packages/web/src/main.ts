/**
 * Entry point of the Parley web app: keeps an invitation token from the link's fragment (and
 * says why one in the query string is not used), rewrites path
 * links (`/r/room`, `/test`) to their hash form, and starts the app.
 */
import './zod-jitless.ts';
import { captureInviteToken, refusedQueryTokenNotice } from './app/invite.ts';
import { normalizeLocation } from './app/router.ts';
import { ParleyApp } from './controller/parley-app.ts';
import { toast } from './ui/announce.ts';

captureInviteToken();
normalizeLocation();
const root = document.getElementById('app');
if (root) new ParleyApp(root).start();
const refused = refusedQueryTokenNotice();
if (refused) toast(refused, 'warning', 20_000);
