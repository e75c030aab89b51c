// Web Push opt-in (docs/protocol.md "Push notifications"): the service worker /sw.js shows
// the pushes; this registers it, subscribes with the server's VAPID key and hands the
// subscription to the api. Signing out deletes it, so a shared browser stops notifying.

export const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** base64url → bytes, for applicationServerKey. */
function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function apiCall(path, token, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw Object.assign(new Error(body.error?.message ?? `HTTP ${res.status}`), { code: body.error?.code });
  }
  return res.status === 204 ? {} : res.json();
}

/** Whether this browser is subscribed now. */
export async function isSubscribed() {
  if (!supported()) return false;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return !!(reg && (await reg.pushManager.getSubscription()));
}

/** Asks for permission, registers /sw.js, subscribes and saves the subscription on the server. */
export async function subscribe(token) {
  if (!supported()) throw new Error('this browser has no Web Push');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('notifications are blocked for this site');
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  const { publicKey } = await apiCall('/api/push/vapid-public-key');
  const subscription =
    (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
  await apiCall('/api/push/subscriptions', token, { method: 'POST', body: JSON.stringify(subscription.toJSON()) });
}

/** Deletes this browser's subscription on the server and in the browser. */
export async function unsubscribe(token) {
  if (!supported()) return;
  const reg = await navigator.serviceWorker.getRegistration('/');
  const subscription = await reg?.pushManager.getSubscription();
  if (!subscription) return;
  await apiCall('/api/push/subscriptions', token, { method: 'DELETE', body: JSON.stringify({ endpoint: subscription.endpoint }) }).catch(() => undefined);
  await subscription.unsubscribe();
}
