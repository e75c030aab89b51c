import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused body may keep arriving (and is thrown away) after the answer went out. */
const LINGER_MS = 2000;

/**
 * Ends a connection whose request body was refused part way (an upload over the limit)
 * without reading the rest of it, and without losing the answer: closing a socket that
 * still has unread input makes the kernel send a reset, which can destroy the answer before
 * the client read it (it is still busy sending). So, like a web server's lingering close: the
 * answer goes out, our side is half-closed, further input is read and dropped for at most
 * LINGER_MS, then the socket is destroyed. Nothing is buffered.
 */
export function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  request.resume(); // drop what still arrives instead of letting it back up
  response.once('finish', () => {
    const socket = request.socket;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
