import { AttachmentStorage, LocalDiskStorage, S3Storage, StoredObjectMissing } from '@chat/attachments';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { TestS3Server } from '../support/s3-server';
import { SampleFiles } from '../support/sample-files';
import { waitFor } from '../support/wait-for';
import { guest, WsClient } from '../support/ws-client';

/**
 * Attachments end to end, on each storage backend: api, messages, presence and a gateway as
 * separate processes, the bytes on local disk under the stack's DATA_DIR or in an
 * S3-compatible server (s3rver on loopback, SigV4 checked). Upload → send → the other member
 * sees it live and in history → downloads it with the right headers; every refusal; the
 * orphan sweep run by a second api replica with a short TTL.
 */
const MAX_BYTES = 256 * 1024;

type Session = { token: string; user: { id: string; username: string } };
type Uploaded = { id: string; name: string; size: number; type: string; width?: number; height?: number };

const BACKENDS = [
  { name: 'local disk', s3: false },
  { name: 'S3-compatible storage', s3: true },
];

describe.each(BACKENDS)('attachments on $name', ({ s3 }) => {
  let stack: ChatStack;
  let s3Server: TestS3Server | undefined;
  let storage: AttachmentStorage;
  const open: WsClient[] = [];

  beforeAll(async () => {
    s3Server = s3 ? await TestS3Server.start() : undefined;
    stack = await startChatStack(s3 ? 'attach_s3' : 'attach_local', {
      gateways: 1,
      messages: 1,
      env: { UPLOAD_MAX_BYTES: String(MAX_BYTES), ...s3Server?.env() },
    });
    // The test's own view of where the bytes are, to see them come and go.
    storage = s3Server
      ? new S3Storage({
          endpoint: s3Server.endpoint,
          bucket: TestS3Server.BUCKET,
          region: 'us-east-1',
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          forcePathStyle: true,
        })
      : new LocalDiskStorage(join(stack.dataDir, 'attachments'));
  });

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await storage?.close();
    await stack?.teardown();
    await s3Server?.close();
  });

  async function connect(session: Session): Promise<WsClient> {
    const client = await WsClient.connect(stack.gatewayUrls[0], session.token);
    open.push(client);
    return client;
  }

  /** Two members of a fresh room, connected. */
  async function roomWithTwo() {
    const alice = await guest(stack.apiUrl, uniqueName('fa'));
    const bob = await guest(stack.apiUrl, uniqueName('fb'));
    const aliceWs = await connect(alice);
    const bobWs = await connect(bob);
    const { room } = await aliceWs.call('room.create', { name: 'files' });
    await bobWs.call('room.join', { roomId: room.id });
    return { alice, bob, aliceWs, bobWs, roomId: room.id as string };
  }

  function upload(token: string | undefined, bytes: Buffer, name = 'file.bin', clientType = 'application/octet-stream', field = 'file') {
    const form = new FormData();
    form.append('note', 'fields other than the file are ignored');
    form.append(field, new Blob([bytes], { type: clientType }), name);
    return fetch(`${stack.apiUrl}/api/uploads`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: form });
  }

  async function uploaded(token: string, bytes: Buffer, name?: string, clientType?: string): Promise<Uploaded> {
    const res = await upload(token, bytes, name, clientType);
    expect(res.status).toBe(201);
    return ((await res.json()) as { attachment: Uploaded }).attachment;
  }

  const download = (path: string, token?: string) => fetch(`${stack.apiUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  /**
   * An upload of `total` bytes written as fast as the server takes them, with or without a
   * Content-Length: resolves with the answer and how much had been written when it came.
   */
  function bigUpload(token: string, total: number, declareLength: boolean): Promise<{ status: number; body: any; written: number }> {
    const boundary = 'b0undary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    return new Promise((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = httpRequest(`${stack.apiUrl}/api/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          ...(declareLength ? { 'content-length': String(head.length + total + tail.length) } : {}),
        },
      });
      req.on('response', (res) => {
        answered = true;
        const at = written;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), written: at }));
      });
      // Once answered, the server hangs up on the rest of the body: writes after that fail.
      req.on('error', (err) => !answered && reject(err));
      req.write(head);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!answered && written < total) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end(tail);
      };
      pump();
    });
  }

  it('uploads, sends, delivers live and in history, and downloads with safe headers', async () => {
    const { alice, bob, aliceWs, bobWs, roomId } = await roomWithTwo();
    const png = Buffer.concat([SampleFiles.png(640, 480), Buffer.alloc(5000, 7)]);
    // The client's name and type are not trusted: the type comes from the bytes.
    const image = await uploaded(alice.token, png, '../../Ferien\u202efdp.png', 'text/html');
    expect(image).toEqual({ id: expect.stringMatching(/^f[a-z0-9]{16}$/), name: 'Ferienfdp.png', size: png.length, type: 'image/png', width: 640, height: 480 });
    const notes = await uploaded(alice.token, Buffer.from('<script>alert(1)</script> ünïcödé'), 'notes (v1) ü.html', 'text/html');
    expect(notes).toMatchObject({ type: 'text/plain; charset=utf-8', name: 'notes (v1) ü.html' });
    expect(notes.width).toBeUndefined();

    const created = bobWs.next((f) => f.type === 'message.created' && f.data.roomId === roomId, 15_000, 'message.created');
    const { message } = await aliceWs.call('message.send', { roomId, text: 'holiday pics', clientMsgId: 'p1', attachments: [image.id, notes.id] });
    const expected = [
      { ...image, url: `/api/attachments/${image.id}` },
      { ...notes, url: `/api/attachments/${notes.id}` },
    ];
    expect(message.attachments).toEqual(expected);
    expect((await created).data.attachments).toEqual(expected);

    const history = (await (await download(`/api/rooms/${roomId}/messages`, bob.token)).json()) as { messages: any[] };
    expect(history.messages.at(-1).attachments).toEqual(expected);
    expect((await bobWs.call('message.history', { roomId })).messages.at(-1).attachments).toEqual(expected);
    // A message without files keeps the empty list.
    expect((await aliceWs.call('message.send', { roomId, text: 'plain', clientMsgId: 'p2' })).message.attachments).toEqual([]);

    const res = await download(expected[0].url, bob.token);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(Object.fromEntries(['content-type', 'content-length', 'content-disposition', 'x-content-type-options', 'content-security-policy'].map((h) => [h, res.headers.get(h)]))).toEqual({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'content-disposition': `inline; filename="Ferienfdp.png"; filename*=UTF-8''Ferienfdp.png`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const text = await download(expected[1].url, bob.token);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toBe(
      `attachment; filename="notes (v1) _.html"; filename*=UTF-8''notes%20%28v1%29%20%C3%BC.html`,
    );
    expect(await text.text()).toBe('<script>alert(1)</script> ünïcödé');
  });

  it('serves a signed link without a token, to the user it was issued to, until it is tampered with', async () => {
    const { alice, bob, aliceWs, roomId } = await roomWithTwo();
    const file = await uploaded(alice.token, SampleFiles.gif(2, 2));
    await aliceWs.call('message.send', { roomId, text: 'gif', clientMsgId: 'g1', attachments: [file.id] });
    const linkRes = await download(`/api/attachments/${file.id}/link`, bob.token);
    expect(linkRes.status).toBe(200);
    const { url, expiresAt } = (await linkRes.json()) as { url: string; expiresAt: string };
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const viaLink = await download(url);
    expect(viaLink.status).toBe(200);
    expect(viaLink.headers.get('content-type')).toBe('image/gif');
    // Another first character (a signature that starts with A must not stay as it was).
    expect((await download(url.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`))).status).toBe(401);
    expect((await download(url.replace(bob.user.id, alice.user.id))).status).toBe(401);
    // Membership is checked at download: a member who left can no longer use their link.
    await (await connect(bob)).call('room.leave', { roomId });
    expect((await download(url)).status).toBe(403);
  });

  it('refuses bad uploads, each with its own status, code and message', async () => {
    const alice = await guest(stack.apiUrl, uniqueName('fr'));
    const expectError = async (res: Response, status: number, code: string, message: string | RegExp) => {
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error: { code, message: expect.stringMatching(message) } });
    };
    await expectError(await upload(undefined, Buffer.from('x')), 401, 'UNAUTHORIZED', /./);
    await expectError(await upload(alice.token, Buffer.alloc(0)), 400, 'BAD_REQUEST', /^the file is empty$/);
    await expectError(await upload(alice.token, Buffer.from('x'), 'a.txt', 'text/plain', 'document'), 400, 'BAD_REQUEST', /^no file in the field "file"$/);
    await expectError(
      await fetch(`${stack.apiUrl}/api/uploads`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: '{}' }),
      400,
      'BAD_REQUEST',
      /multipart\/form-data/,
    );
    // Just over the limit: read to the limit, then refused.
    await expectError(await upload(alice.token, Buffer.alloc(MAX_BYTES + 1, 1)), 413, 'TOO_LARGE', `the file is larger than ${MAX_BYTES} bytes`);
    expect((await upload(alice.token, Buffer.alloc(MAX_BYTES, 1))).status).toBe(201);
  });

  it('stops reading an oversized body: a declared length is refused before reading, a streamed one at the limit', async () => {
    const alice = await guest(stack.apiUrl, uniqueName('fz'));
    const total = 256 * 1024 * 1024;
    const declared = await bigUpload(alice.token, total, true);
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('TOO_LARGE');
    const streamed = await bigUpload(alice.token, total, false);
    expect(streamed.status).toBe(413);
    expect(streamed.body.error).toEqual({ code: 'TOO_LARGE', message: `the file is larger than ${MAX_BYTES} bytes` });
    // Answered long before the body could have been read to its end.
    expect(streamed.written).toBeLessThan(total / 4);
  });

  it('removes what was spooled of an upload the client abandons midway', async () => {
    const alice = await guest(stack.apiUrl, uniqueName('fx'));
    const spool = join(stack.dataDir, 'uploads-in-progress');
    const spooled = () => (existsSync(spool) ? readdirSync(spool) : []);
    const boundary = 'b0undary';
    const req = httpRequest(`${stack.apiUrl}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', () => undefined); // we cut it off ourselves
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
    req.write(Buffer.alloc(32 * 1024, 0x62));
    await waitFor(() => spooled().length === 1, { timeoutMs: 10_000, what: 'the upload to be spooled' });
    req.destroy();
    await waitFor(() => spooled().length === 0, { timeoutMs: 10_000, what: 'the abandoned spool file to be removed' });
  });

  it('refuses sends with unknown, foreign, used or too many attachments, and downloads by non-members or of unknown ids', async () => {
    const { alice, bob, aliceWs, roomId } = await roomWithTwo();
    const outsider = await guest(stack.apiUrl, uniqueName('fo'));
    const mine = await uploaded(alice.token, SampleFiles.pdf(), 'spec.pdf');
    const bobs = await uploaded(bob.token, SampleFiles.zip(), 'code.zip');
    expect(bobs.type).toBe('application/zip');
    const refusal = async (ids: string[]) => (await aliceWs.request('message.send', { roomId, text: 'x', clientMsgId: uniqueName('c'), attachments: ids })).error;

    expect(await refusal(['fnosuchupload000'])).toEqual({ code: 'NOT_FOUND', message: 'attachment fnosuchupload000 does not exist' });
    expect(await refusal([bobs.id])).toEqual({ code: 'FORBIDDEN', message: `attachment ${bobs.id} is not your upload` });
    expect((await refusal(Array.from({ length: 11 }, (_, i) => `f${i}`)))?.code).toBe('BAD_REQUEST');
    // Not yet sent: only its owner may read it.
    expect((await download(`/api/attachments/${mine.id}`, alice.token)).status).toBe(200);
    expect((await download(`/api/attachments/${mine.id}`, bob.token)).status).toBe(403);

    await aliceWs.call('message.send', { roomId, text: 'spec', clientMsgId: 'once', attachments: [mine.id] });
    expect(await refusal([mine.id])).toEqual({ code: 'CONFLICT', message: `attachment ${mine.id} is already used by another message` });
    // The same send again (a retry with its clientMsgId) is not a second use: the first message comes back.
    const retry = await aliceWs.call('message.send', { roomId, text: 'spec', clientMsgId: 'once', attachments: [mine.id] });
    expect(retry.message.attachments.map((a: Uploaded) => a.id)).toEqual([mine.id]);

    const pdf = await download(`/api/attachments/${mine.id}`, bob.token);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toMatch(/^attachment; filename="spec.pdf"/);
    const forbidden = await download(`/api/attachments/${mine.id}`, outsider.token);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await download(`/api/attachments/fnosuchupload000`, bob.token)).status).toBe(404);
    expect((await download(`/api/attachments/${mine.id}`)).status).toBe(401);
  });

  it('drops the files of a deleted message, and sweeps them and uploads never sent (a second api with a short TTL)', async () => {
    const { alice, bob, aliceWs, roomId } = await roomWithTwo();
    const sent = await uploaded(alice.token, Buffer.from('kept'));
    const deleted = await uploaded(alice.token, Buffer.from('deleted'));
    await aliceWs.call('message.send', { roomId, text: 'keep', clientMsgId: 'k', attachments: [sent.id] });
    const { message } = await aliceWs.call('message.send', { roomId, text: 'gone', clientMsgId: 'd', attachments: [deleted.id] });
    await aliceWs.call('message.delete', { messageId: message.id });
    expect((await download(`/api/attachments/${deleted.id}`, bob.token)).status).toBe(404);
    const history = (await (await download(`/api/rooms/${roomId}/messages`, bob.token)).json()) as { messages: any[] };
    expect(history.messages.find((m) => m.id === message.id).attachments).toEqual([]);

    const orphan = await uploaded(alice.token, Buffer.from('never sent'));
    await storage.get(orphan.id); // stored
    const sweeper = await stack.add('api', { UPLOAD_ORPHAN_TTL_MS: '1000', UPLOAD_SWEEP_INTERVAL_MS: '200' });
    try {
      await waitFor(async () => (await download(`/api/attachments/${orphan.id}`, alice.token)).status === 404, { timeoutMs: 15_000, what: 'the orphan to be swept' });
      await waitFor(async () => (await storage.get(deleted.id).then(() => false, (err) => err instanceof StoredObjectMissing)), { timeoutMs: 15_000, what: 'the deleted message\'s bytes to be removed' });
      await expect(storage.get(orphan.id)).rejects.toBeInstanceOf(StoredObjectMissing);
      // Sent and live: neither row nor bytes touched.
      const kept = await download(`/api/attachments/${sent.id}`, bob.token);
      expect(kept.status).toBe(200);
      expect(await kept.text()).toBe('kept');
    } finally {
      sweeper.kill();
      await sweeper.exited;
    }
  });
});
