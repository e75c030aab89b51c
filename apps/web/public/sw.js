// The web client's service worker: shows a Web Push (docs/protocol.md "Push notifications":
// the payload is {title, body, roomId, messageId, url}) and, on a click, brings a tab of the
// client to that url — an open tab is focused and told to open the message, else a new one
// opens. Served from the web root so its scope is the whole client.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** Only our own pages: a payload's url is resolved against this origin and must stay on it. */
function safeUrl(url) {
  try {
    const u = new URL(String(url ?? '/'), self.location.origin);
    return u.origin === self.location.origin ? u.href : `${self.location.origin}/`;
  } catch {
    return `${self.location.origin}/`;
  }
}

/** Keeps the worker alive for `work` (waitUntil refuses events that are not the browser's own). */
function keepAlive(event, work) {
  try {
    event.waitUntil(work);
  } catch {
    // a synthetic event: the work runs anyway
  }
}

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data?.text() ?? '' };
  }
  keepAlive(
    event,
    self.registration.showNotification(String(payload.title ?? 'streamchat'), {
      body: String(payload.body ?? ''),
      tag: payload.messageId ? String(payload.messageId) : undefined,
      data: { url: safeUrl(payload.url) },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = safeUrl(event.notification.data?.url);
  keepAlive(
    event,
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const tab = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (!tab) return self.clients.openWindow(url);
      tab.postMessage({ type: 'streamchat.open', url });
      return tab.focus().catch(() => undefined);
    })(),
  );
});
