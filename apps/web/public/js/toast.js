// Small notices in the corner. Every failed op ends up here (the brief: never fail silently).

const LIFETIME_MS = { info: 4000, error: 7000 };

/** @param {'info'|'error'} kind */
export function toast(text, kind = 'info') {
  // Errors also go to the console, where tests (and people debugging) collect them.
  if (kind === 'error') console.warn(`[toast] ${text}`);
  const box = document.getElementById('toasts');
  if (!box) return;
  // The same notice twice at once (a burst of failures) says nothing new.
  if ([...box.children].some((c) => c.dataset.text === text)) return;
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.dataset.text = text;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.append(Object.assign(document.createElement('span'), { textContent: text }));
  const close = document.createElement('button');
  close.className = 'toast-close';
  close.setAttribute('aria-label', 'dismiss');
  close.textContent = '×';
  close.onclick = () => el.remove();
  el.append(close);
  box.append(el);
  // Keep the stack short when many things fail at once (e.g. the backend is down).
  while (box.children.length > 5) box.firstElementChild.remove();
  setTimeout(() => el.remove(), LIFETIME_MS[kind] ?? 5000);
}

const FRIENDLY = {
  BAD_REQUEST: 'That was not accepted',
  UNAUTHORIZED: 'Your session is not valid',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  TOO_LARGE: 'Too large',
  ROOM_FULL: 'That room is full',
  UNAVAILABLE: 'The server is busy right now',
  INTERNAL: 'Something went wrong on the server',
  TIMEOUT: 'No answer from the server',
  DISCONNECTED: 'The connection dropped',
};

/** A person-readable line for a failed op (a RequestError or any Error). */
export function describeError(err, what) {
  const prefix = what ? `${what}: ` : '';
  if (err?.code === 'RATE_LIMITED') {
    const secs = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
    return `${prefix}easy there — please wait ${secs} s and try again.`;
  }
  const label = FRIENDLY[err?.code];
  const detail = err?.message && err.message !== label ? err.message : '';
  return `${prefix}${label ?? 'failed'}${detail ? ` (${detail})` : ''}`;
}
