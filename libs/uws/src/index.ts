/**
 * The one import of uWebSockets.js in the codebase (the gateway's transport and the bench's
 * bare-uWS ceiling go through here), so changing the build is a one-line change.
 *
 * Which build, and why: upstream uWebSockets.js is published on GitHub only, and its builds
 * for Node 22+ need glibc ≥ 2.38. This image and CI run Node 20 on Debian 12 (glibc 2.36), so
 * the dependency is the unofficial repackaging `@trufflesuite/uws-js-unofficial@20.30.0`
 * (package.json aliases it as `uWebSockets.js`), which has Node ≤ 20 binaries. Node 20 is past
 * its end of life: the upgrade path (a glibc ≥ 2.38 base image, Node 22/24, upstream uWS or
 * `@btc-vision/uwebsockets.js`, and what to re-verify) is in deploy/README.md.
 */
import * as uWS from 'uWebSockets.js';

export { uWS };

/** uWS's listen option for a port of our own (LIBUS_LISTEN_EXCLUSIVE_PORT): no SO_REUSEPORT. */
const EXCLUSIVE_PORT = (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;

type ListenWithOptions = (host: string, port: number, options: number, done: (socket: uWS.us_listen_socket | false) => void) => void;

/**
 * `app.listen` with the options argument, which this build's binary takes but its typings
 * predate. uWS sets SO_REUSEPORT by default, so a second process on a taken port "listens"
 * and silently shares it; `exclusive` makes the second one fail instead.
 */
export function listenOn(
  app: uWS.TemplatedApp,
  host: string,
  port: number,
  exclusive: boolean,
  done: (socket: uWS.us_listen_socket | false) => void,
): void {
  (app.listen as unknown as ListenWithOptions).call(app, host, port, exclusive ? EXCLUSIVE_PORT : 0, done);
}
