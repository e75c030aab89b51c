// The web client's service worker: shows a Web Push (docs/protocol.md "Push notifications":
// the payload is {title, body, roomId, messageId, url}) and, on a click, focuses a tab of the
// client on that url, or opens one. Served from the web root so its scope is the whole client.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** Only our own pages: a payload's url is resolved against this origin and must stay on it. */
function safeUrl(url) {
  try {
    const u = new URL(String(url ?? '/'), self.location.origin);
    return u.origin === self.location.origin ? u.href : self.location.origin + '/';
  } catch {
    return self.location.origin + '/';
  }
}

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data?.text() ?? '' };
  }
  const title = String(payload.title ?? 'streamchat');
  event.waitUntil(
    self.registration.showNotification(title, {
      body: String(payload.body ?? ''),
      tag: payload.messageId ? String(payload.messageId) : undefined,
      data: { url: safeUrl(payload.url) },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = safeUrl(event.notification.data?.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const tab = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (tab) {
        // A tab this worker controls can be navigated; any other is asked to open the message itself.
        const moved = await tab.navigate(url).catch(() => null);
        if (!moved) tab.postMessage({ type: 'streamchat.open', url });
        return (moved ?? tab).focus().catch(() => undefined);
      }
      return self.clients.openWindow(url);
    })(),
  );
});
