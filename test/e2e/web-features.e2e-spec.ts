import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { SampleFiles } from '../support/sample-files';
import { waitFor } from '../support/wait-for';

/**
 * What the web client offers beyond chatting (issue 11), in a real Chromium against one stack
 * (one gateway, with the search service): a live room list (new public rooms, invites, DMs),
 * people found by name, safe rich text (links, markdown subset, mentions and their completion),
 * XSS attempts staying text, date separators, the "new messages" line and the unread count in
 * the tab title, search with highlights that jump to the message, moderation from the member
 * list, notification levels and the Web Push opt-in with its service worker, a phone-sized
 * layout, and uploads by drag-and-drop and paste with a progress bar.
 * Screenshots of the main screens go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
// The functions given to page.evaluate run in the browser; the repository's typecheck has no
// DOM lib, so the few browser names they use are declared loosely here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, navigator: any, self: any, DataTransfer: any, DragEvent: any, ClipboardEvent: any, PushManager: any;
type Notification = any;
type PushSubscription = any;
type ServiceWorkerRegistration = any;
type HTMLImageElement = any;

const UI_TIMEOUT_MS = 15_000;
// The committed screenshots are refreshed on request (UPDATE_SCREENSHOTS=1 npx jest test/e2e/web-features…);
// other runs write theirs to a temporary folder, so a test run leaves the checkout clean.
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'web-shots-'));

describe('web client features in a browser', () => {
  let stack: ChatStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  afterEach(() => {
    if (pageErrors.length) console.log(`page errors:\n${pageErrors.join('\n')}`);
  });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    stack = await startChatStack('webfeat', { gateways: 1, messages: 1, search: 1 });
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await stack?.teardown();
  });

  interface Person {
    page: Page;
    context: BrowserContext;
    name: string;
  }

  async function person(prefix: string, viewport = { width: 1280, height: 800 }): Promise<Person> {
    const context = await browser.newContext({ viewport, ...(viewport.width < 500 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
    contexts.push(context);
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    await context.route('**/api/config', async (route) => {
      const response = await route.fetch();
      const config = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...config, wsUrl: stack.gatewayUrls[0] } });
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${prefix}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'warning' && msg.text().startsWith('[toast]')) pageErrors.push(`${prefix}: ${msg.text()}`);
      if (msg.type() === 'error' && msg.text().includes('Content Security Policy')) pageErrors.push(`${prefix}: ${msg.text()}`);
    });
    // Any alert()/confirm() not expected by a test is an injection that ran.
    page.on('dialog', (d) => {
      dialogs.push(`${prefix}: ${d.type()} ${d.message()}`);
      void d.accept();
    });
    await page.goto(`${stack.apiUrl}/`);
    const name = uniqueName(prefix);
    await page.getByRole('textbox', { name: 'Username' }).fill(name);
    await page.getByRole('button', { name: 'Join the chat' }).click();
    await online(page);
    return { page, context, name };
  }

  const online = (page: Page) => page.locator('#conn-status[data-state="online"]').waitFor();
  const roomTitle = (page: Page, room: string) => page.locator('#room-title', { hasText: room }).waitFor();
  const message = (page: Page, text: string): Locator =>
    page.locator('#message-list li.msg:not(.pending)').filter({ has: page.locator('.msg-text', { hasText: text }) });

  async function send(page: Page, text: string): Promise<void> {
    await page.locator('#composer-input').fill(text);
    await page.locator('#composer-input').press('Enter');
  }

  async function createRoom(page: Page, room: string, isPrivate = false): Promise<void> {
    await page.getByRole('button', { name: '+ New room' }).click();
    await page.getByLabel('Name', { exact: true }).fill(room);
    if (isPrivate) await page.getByLabel('Private (invite only)').check();
    await page.getByRole('button', { name: 'Create' }).click();
    await roomTitle(page, room);
  }

  /** The user picker: type a name, pick the person (never an id). */
  async function pick(page: Page, name: string): Promise<void> {
    await page.getByLabel('Find someone by name').fill(name);
    await page.getByRole('button', { name: `pick ${name}` }).click();
  }

  let alice: Person;
  let bob: Person;
  let carol: Person;
  let room: string;

  it('keeps the room list live: a new public room, an invite and a DM appear without a reload; people are found by name', async () => {
    alice = await person('alice');
    bob = await person('bob');
    carol = await person('carol');
    expect(await alice.page.locator('text=/^id /').count()).toBe(0); // no user ids on screen

    // A public room alice creates shows up in bob's "to join" list at once (room.created).
    room = uniqueName('lobby');
    await createRoom(alice.page, room);
    await bob.page.locator('#public-rooms li', { hasText: room }).waitFor({ timeout: 5_000 });
    await bob.page.getByRole('button', { name: `join ${room}` }).click();
    await roomTitle(bob.page, room);
    await carol.page.locator('#public-rooms li', { hasText: room }).waitFor({ timeout: 5_000 });
    await carol.page.getByRole('button', { name: `join ${room}` }).click();
    await roomTitle(carol.page, room);

    // An invite, by name: the private room appears in bob's list at once.
    const secret = uniqueName('secret');
    await createRoom(alice.page, secret, true);
    await alice.page.getByRole('button', { name: 'Invite' }).click();
    await pick(alice.page, bob.name);
    await bob.page.locator('#my-rooms li', { hasText: secret }).waitFor();

    // A DM, by name: carol starts it; alice's sidebar shows it.
    await carol.page.getByRole('button', { name: 'DM a user' }).click();
    await pick(carol.page, alice.name);
    await roomTitle(carol.page, alice.name);
    await send(carol.page, 'psst');
    await alice.page.locator('#dm-rooms li', { hasText: carol.name }).waitFor();

    // An unknown name is said to be nobody.
    await alice.page.getByRole('button', { name: 'DM a user' }).click();
    await alice.page.getByLabel('Find someone by name').fill('nobody_here_zz');
    await alice.page.locator('#user-pick-results', { hasText: 'Nobody is called' }).waitFor();
    await alice.page.keyboard.press('Escape');
    expect(pageErrors).toEqual([]);
  });

  it('shows links, a markdown subset and mentions; completes @names; user text never becomes markup', async () => {
    await alice.page.locator('#my-rooms').getByRole('button', { name: room }).click();
    await roomTitle(alice.page, room);
    await bob.page.locator('#my-rooms').getByRole('button', { name: room }).click();
    await roomTitle(bob.page, room);

    // Completion: "@" and the start of bob's name offers him; Tab takes it.
    const input = alice.page.locator('#composer-input');
    await input.fill('');
    await input.pressSequentially(`hey @${bob.name.slice(0, 4)}`, { delay: 10 });
    await alice.page.locator('#mention-list li', { hasText: `@${bob.name}` }).waitFor();
    await input.press('Tab');
    expect(await input.inputValue()).toBe(`hey @${bob.name} `);
    await input.pressSequentially('see **this** and *that*, `npm start` at https://example.com/docs?a=1.', { delay: 2 });
    await input.press('Enter');

    const rich = message(bob.page, 'see this and that');
    await rich.waitFor();
    const text = rich.locator('.msg-text');
    expect(await text.locator('strong').textContent()).toBe('this');
    expect(await text.locator('em').textContent()).toBe('that');
    expect(await text.locator('code').textContent()).toBe('npm start');
    const link = text.locator('a');
    expect(await link.getAttribute('href')).toBe('https://example.com/docs?a=1');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    // The server found the mention; bob sees his name highlighted, and the message marked for him.
    expect(await text.locator('.mention.mention-self').textContent()).toBe(`@${bob.name}`);
    expect(await rich.getAttribute('class')).toContain('mentions-me');

    // Drawn again from scratch (a reload), every message keeps its formatting.
    await send(alice.page, 'another **bold** one ending in https://example.org/x).');
    await message(bob.page, 'another bold one').locator('a[href="https://example.org/x"]').waitFor();
    await bob.page.reload();
    await online(bob.page);
    await roomTitle(bob.page, room);
    expect(await message(bob.page, 'see this and that').locator('strong').textContent()).toBe('this');
    expect(await message(bob.page, 'another bold one').locator('strong').textContent()).toBe('bold');

    await send(alice.page, '```\nconst x = "<b>1</b>";\n```');
    await bob.page.locator('#message-list pre.code-block code', { hasText: 'const x = "<b>1</b>";' }).waitFor();

    // Injection attempts: shown as the text they are, nothing runs, nothing is inserted.
    await send(alice.page, '<img src=x onerror=alert(1)>');
    await send(alice.page, 'click javascript:alert(1) or [me](javascript:alert(2)) or <a href="javascript:alert(3)">x</a>');
    const img = message(bob.page, '<img src=x onerror=alert(1)>');
    await img.waitFor();
    const js = message(bob.page, 'click javascript:alert(1)');
    await js.waitFor();
    expect(await img.locator('.msg-text').textContent()).toBe('<img src=x onerror=alert(1)>');
    expect(await bob.page.locator('#message-list img').count()).toBe(0);
    expect(await js.locator('a').count()).toBe(0);
    expect(await bob.page.locator('a[href^="javascript:"]').count()).toBe(0);
    await bob.page.waitForTimeout(300);
    expect(dialogs).toEqual([]);

    // A date separator heads the day.
    await bob.page.locator('#message-list li.date-sep', { hasText: 'Today' }).waitFor();
    await bob.page.screenshot({ path: join(SHOTS, 'desktop-chat.png') });
    expect(pageErrors).toEqual([]);
  });

  it('draws a "new messages" line at the first unread and counts unread messages in the tab title', async () => {
    // Bob looks at another room; alice writes two messages in the lobby.
    await bob.page.locator('#dm-rooms, #my-rooms').locator('button.room-link').filter({ hasNotText: room }).first().click();
    await send(alice.page, 'unread one');
    await send(alice.page, 'unread two');
    await waitFor(async () => (await bob.page.title()).startsWith('(2) '), { what: 'the tab title to count 2 unread', timeoutMs: UI_TIMEOUT_MS });
    await bob.page.locator('#my-rooms').getByRole('button', { name: room }).click();
    const line = bob.page.locator('#message-list li.new-line');
    await line.waitFor();
    // The line sits right above the first unread message.
    const next = await line.evaluate((el) => el.nextElementSibling?.querySelector('.msg-text')?.textContent);
    expect(next).toBe('unread one');
    await waitFor(async () => !(await bob.page.title()).startsWith('('), { what: 'the tab title to drop the count once read', timeoutMs: UI_TIMEOUT_MS });
  });

  it('searches with highlighted results that jump to the message', async () => {
    const word = `zebra${Date.now().toString(36)}`;
    await send(alice.page, `the ${word} crossed <b>here</b> today`);
    await message(alice.page, word).waitFor();
    for (let i = 0; i < 12; i++) await send(alice.page, `filler ${i}`);
    await message(alice.page, 'filler 11').waitFor();
    // The index follows the commits: ask until the hit is there.
    await waitFor(
      async () => {
        await bob.page.getByLabel('search messages').fill(word);
        await bob.page.getByLabel('search messages').press('Enter');
        await bob.page.locator('#search-title', { hasNotText: 'Searching' }).waitFor();
        return (await bob.page.locator('#search-results mark').count()) > 0;
      },
      { what: 'the search to find the message', timeoutMs: 20_000 },
    );
    const hit = bob.page.locator('#search-results li').first();
    expect(await hit.locator('mark').first().textContent()).toBe(word);
    // The highlight is text: the message's <b> shows as written, never as markup.
    expect(await hit.locator('b').count()).toBe(0);
    expect(await hit.textContent()).toContain('crossed <b>here</b>');
    await bob.page.screenshot({ path: join(SHOTS, 'search-results.png') });

    // Jump: from another room, the click opens the room at the message.
    await bob.page.locator('#my-rooms, #dm-rooms').locator('button.room-link').filter({ hasNotText: room }).first().click();
    await hit.getByRole('button').click();
    await roomTitle(bob.page, room);
    const target = message(bob.page, word);
    await target.waitFor();
    expect(await target.locator('.msg-text').textContent()).toBe(`the ${word} crossed <b>here</b> today`);
    await waitFor(async () => target.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const list = document.getElementById('messages')!.getBoundingClientRect();
      return box.top >= list.top && box.bottom <= list.bottom;
    }), { what: 'the message to be scrolled into view', timeoutMs: UI_TIMEOUT_MS });
    expect(pageErrors).toEqual([]);
  });

  it('lets the owner moderate from the member list: mute, make moderator, kick, ban and unban', async () => {
    if (await bob.page.getByRole('button', { name: 'close search' }).isVisible()) await bob.page.getByRole('button', { name: 'close search' }).click();
    const members = alice.page.locator('#member-list');
    await members.locator('li', { hasText: carol.name }).waitFor();
    // Members see no moderation; the owner does.
    expect(await bob.page.getByRole('button', { name: `moderate ${alice.name}` }).count()).toBe(0);
    await alice.page.getByRole('button', { name: `moderate ${bob.name}` }).click();
    const menu = alice.page.getByRole('menu', { name: `moderate ${bob.name}` });
    await menu.waitFor();
    await alice.page.screenshot({ path: join(SHOTS, 'moderation-menu.png') });
    await menu.getByRole('menuitem', { name: 'Mute 10 minutes' }).click();
    await members.locator('li', { hasText: bob.name }).locator('.muted-tag').waitFor();
    await bob.page.locator('#member-list li', { hasText: bob.name }).locator('.muted-tag').waitFor();
    await bob.page.locator('#composer-input[placeholder^="You are muted here until"]').waitFor();
    // After a reload the mute still shows: the member list carries mutedUntil.
    await alice.page.reload();
    await roomTitle(alice.page, room);
    await members.locator('li', { hasText: bob.name }).locator('.muted-tag').waitFor();

    await alice.page.getByRole('button', { name: `moderate ${bob.name}` }).click();
    await menu.getByRole('menuitem', { name: 'Unmute' }).click();
    await members.locator('li', { hasText: bob.name }).locator('.muted-tag').waitFor({ state: 'detached' });
    await alice.page.getByRole('button', { name: `moderate ${bob.name}` }).click();
    await menu.getByRole('menuitem', { name: 'Make moderator' }).click();
    await members.locator('li', { hasText: bob.name }).locator('.role', { hasText: 'moderator' }).waitFor();
    // Bob, now a moderator, may moderate carol but not the owner.
    await bob.page.getByRole('button', { name: `moderate ${carol.name}` }).waitFor();
    expect(await bob.page.getByRole('button', { name: `moderate ${alice.name}` }).count()).toBe(0);

    // Kick (confirmed): carol's list loses the room's membership.
    await alice.page.getByRole('button', { name: `moderate ${carol.name}` }).click();
    await alice.page.getByRole('menu', { name: `moderate ${carol.name}` }).getByRole('menuitem', { name: 'Kick' }).click();
    await members.locator('li', { hasText: carol.name }).waitFor({ state: 'detached' });
    await carol.page.locator('#my-rooms li', { hasText: room }).waitFor({ state: 'detached' });
    // Carol comes back; alice bans her; the banned list shows her; unban lifts it.
    await carol.page.getByRole('button', { name: `join ${room}` }).click();
    await members.locator('li', { hasText: carol.name }).waitFor();
    await alice.page.getByRole('button', { name: `moderate ${carol.name}` }).click();
    await alice.page.getByRole('menu', { name: `moderate ${carol.name}` }).getByRole('menuitem', { name: 'Ban' }).click();
    await alice.page.locator('#banned-list li', { hasText: carol.name }).waitFor();
    // And so does the ban: moderators load the room's bans (room.bans).
    await alice.page.reload();
    await roomTitle(alice.page, room);
    await alice.page.locator('#banned-list li', { hasText: carol.name }).waitFor();
    await alice.page.getByRole('button', { name: `unban ${carol.name}` }).click();
    await alice.page.locator('#banned-list li', { hasText: carol.name }).waitFor({ state: 'detached' });
    await carol.page.getByRole('button', { name: `join ${room}` }).click();
    await roomTitle(carol.page, room);
    // The confirms were ours (kick, ban), nothing else.
    expect(dialogs.every((d) => d.includes('confirm'))).toBe(true);
    dialogs.length = 0;
    expect(pageErrors.filter((e) => !e.includes('kicked') && !e.includes('banned'))).toEqual([]);
    pageErrors.length = 0;
  });

  it('sets a per-room notification level and opts in to Web Push with a service worker that shows and opens pushes', async () => {
    const page = alice.page;
    await page.locator('#my-rooms').getByRole('button', { name: room }).click();
    await roomTitle(page, room);
    // The server default for a room is "mentions"; choose "none", and it survives a reload (room.list's notify).
    await waitFor(async () => (await page.getByLabel('notifications for this room').inputValue()) === 'mentions', { what: 'the default level', timeoutMs: UI_TIMEOUT_MS });
    await page.getByLabel('notifications for this room').selectOption('none');
    await page.waitForTimeout(300);
    await page.reload();
    await online(page);
    await roomTitle(page, room);
    await waitFor(async () => (await page.getByLabel('notifications for this room').inputValue()) === 'none', { what: 'the level after a reload', timeoutMs: UI_TIMEOUT_MS });

    // Headless Chromium reaches no push service, so pushManager.subscribe is stood in for
    // (everything else is real: permission, the service worker's registration, the api calls).
    await alice.context.grantPermissions(['notifications'], { origin: stack.apiUrl });
    const endpoint = 'https://push.example.test/send/abc';
    await page.evaluate((ep) => {
      const fake = {
        endpoint: ep,
        toJSON: () => ({ endpoint: ep, expirationTime: null, keys: { p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg' } }),
        unsubscribe: async () => {
          (window as unknown as { __sub?: unknown }).__sub = undefined;
          return true;
        },
      };
      const w = window as unknown as { __sub?: unknown };
      PushManager.prototype.subscribe = async function () {
        w.__sub = fake;
        return fake as unknown as PushSubscription;
      };
      PushManager.prototype.getSubscription = async function () {
        return (w.__sub ?? null) as PushSubscription | null;
      };
    }, endpoint);
    const saved: unknown[] = [];
    const deleted: unknown[] = [];
    await page.route('**/api/push/subscriptions', async (route) => {
      const req = route.request();
      (req.method() === 'POST' ? saved : deleted).push({ body: req.postDataJSON(), auth: req.headers().authorization });
      await route.fulfill(req.method() === 'POST' ? { status: 201, json: { endpoint } } : { status: 204 });
    });
    await page.getByRole('button', { name: /Notify me/ }).click();
    await page.getByRole('button', { name: /Notifications on/ }).waitFor();
    expect(saved).toEqual([{ body: expect.objectContaining({ endpoint, keys: expect.objectContaining({ auth: 'tBHItJI5svbpez7KI4CCXg' }) }), auth: expect.stringMatching(/^Bearer /) }]);
    const script = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/'))?.active?.scriptURL);
    expect(script).toBe(`${stack.apiUrl}/sw.js`);

    // The service worker's handlers, with synthetic events: a push shows its title and body,
    // a click brings the client to the message.
    const worker = alice.context.serviceWorkers().find((w) => w.url().endsWith('/sw.js')) ?? (await alice.context.waitForEvent('serviceworker'));
    const roomId = await page.evaluate<string>('window.streamchat.state.currentRoomId');
    await send(page, 'a message to be notified of');
    const firstId = await message(page, 'a message to be notified of').getAttribute('data-id');
    const shown = await worker.evaluate(async ({ roomId, messageId }) => {
      const sw = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const data = JSON.stringify({ title: 'carol in #lobby', body: 'hello <b>there</b>', roomId, messageId, url: `/?room=${roomId}&message=${messageId}` });
      const PushEventCtor = (self as unknown as { PushEvent: new (type: string, init: { data: string }) => Event }).PushEvent;
      // Dispatched again if nothing shows within 2 s (a freshly activated worker has, rarely,
      // dropped the first synthetic event here); what happened is returned when it never shows.
      const trace: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          trace.push(`dispatched: ${sw.dispatchEvent(new PushEventCtor('push', { data }))}`);
        } catch (e) {
          trace.push(`dispatch threw: ${(e as Error).message}`);
        }
        for (let i = 0; i < 20; i++) {
          const list = await sw.registration.getNotifications();
          if (list.length) return list.map((n: any) => ({ title: n.title, body: n.body, url: (n.data as { url: string }).url }));
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return [{ trace: trace.join('; '), active: sw.registration.active?.state }];
    }, { roomId, messageId: firstId! });
    expect(shown).toEqual([{ title: 'carol in #lobby', body: 'hello <b>there</b>', url: `${stack.apiUrl}/?room=${roomId}&message=${firstId}` }]);

    // Alice is elsewhere; the click brings her tab to the message's room.
    await page.locator('#dm-rooms').getByRole('button', { name: carol.name }).click();
    await roomTitle(page, carol.name);
    await worker.evaluate(async () => {
      const sw = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const [n] = await sw.registration.getNotifications();
      const Ctor = (self as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event }).NotificationEvent;
      sw.dispatchEvent(new Ctor('notificationclick', { notification: n }));
    });
    await roomTitle(page, room);

    // Signing out deletes the subscription on the server.
    await page.getByRole('button', { name: 'Log out' }).click();
    await waitFor(async () => deleted.length === 1, { what: 'the DELETE at sign-out', timeoutMs: UI_TIMEOUT_MS });
    expect(deleted[0]).toEqual({ body: { endpoint }, auth: expect.stringMatching(/^Bearer /) });
    expect(pageErrors).toEqual([]);
  });

  it('works on a phone: the sidebar is a drawer, the composer stays usable', async () => {
    const phone = await person('dave', { width: 390, height: 844 });
    const sidebar = phone.page.locator('nav.sidebar');
    const inView = async (loc: Locator) => {
      const box = await loc.boundingBox();
      return !!box && box.x >= 0 && box.x + box.width <= 391 && box.y >= 0 && box.y + box.height <= 845;
    };
    await waitFor(async () => !(await inView(sidebar)), { what: 'the drawer to start closed', timeoutMs: UI_TIMEOUT_MS });
    await phone.page.getByRole('button', { name: 'rooms menu' }).click();
    await waitFor(() => inView(sidebar), { what: 'the drawer to open', timeoutMs: UI_TIMEOUT_MS });
    await phone.page.locator('#public-rooms li', { hasText: room }).waitFor();
    await phone.page.screenshot({ path: join(SHOTS, 'phone-drawer.png') });
    await phone.page.getByRole('button', { name: `join ${room}` }).click();
    await roomTitle(phone.page, room);
    await waitFor(async () => !(await inView(sidebar)), { what: 'the drawer to close on opening a room', timeoutMs: UI_TIMEOUT_MS });
    const composer = phone.page.locator('#composer-input');
    expect(await inView(composer)).toBe(true);
    expect(await inView(phone.page.getByRole('button', { name: 'Send', exact: true }))).toBe(true);
    await send(phone.page, 'from my phone');
    await message(bob.page, 'from my phone').waitFor();
    // Nothing is wider than the screen.
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: join(SHOTS, 'phone-chat.png') });
    expect(pageErrors).toEqual([]);
  });

  it('uploads dropped and pasted files with a progress bar; images inline within a size cap', async () => {
    const page = bob.page;
    await page.locator('#my-rooms').getByRole('button', { name: room }).click();
    await roomTitle(page, room);
    // Slow the upload's answer, so the progress bar can be seen.
    await page.route('**/api/uploads', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    const png = SampleFiles.decodablePng(900, 600).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'wide.png', { type: 'image/png' }));
      const zone = document.getElementById('room-view')!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, png);
    await page.locator('#composer-files li.uploading progress[aria-label="uploading wide.png"]').waitFor();
    await page.locator('#composer-files li.ready', { hasText: 'wide.png' }).waitFor();

    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['pasted words'], 'clip.txt', { type: 'text/plain' }));
      document.getElementById('composer-input')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    await page.locator('#composer-files li.ready', { hasText: 'clip.txt' }).waitFor();
    await send(page, 'dropped and pasted');

    const seen = message(carol.page, 'dropped and pasted');
    await carol.page.locator('#my-rooms').getByRole('button', { name: room }).click();
    await seen.waitFor();
    const img = seen.locator('img[alt="wide.png"]');
    await img.waitFor();
    await waitFor(async () => (await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)) === 900, { what: 'the image to load', timeoutMs: UI_TIMEOUT_MS });
    const box = (await img.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(320);
    expect(box.height).toBeLessThanOrEqual(240);
    await seen.getByRole('button', { name: '📎 clip.txt (12 B)' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
