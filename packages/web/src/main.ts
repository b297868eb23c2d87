/**
 * Entry point of the Parley web app: rewrites path links (`/r/room`, `/test`) to their hash form
 * and starts the app.
 */
import { ParleyApp } from './app/app.ts';
import { normalizeLocation } from './app/router.ts';

normalizeLocation();
const root = document.getElementById('app');
if (root) new ParleyApp(root).start();
