import { ChatError, ErrorCode } from '@chat/protocol';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { attachmentPath } from '@chat/protocol';

/** The query of a signed attachment link. */
export interface LinkSignature {
  user: string;
  expires: number;
  sig: string;
}

/**
 * Short-lived signed links to attachments, for where a header cannot be set (`<img src>`,
 * a plain download link). Preferred over `?token=<JWT>`: a URL ends up in logs, history and
 * screenshots, and a leaked link opens one file for a few minutes where a leaked session
 * token opens the whole account for days. A link names the user it was issued to, and the
 * download still checks that user's membership, so leaving the room ends it too.
 * The key is derived from the JWT secret (every api replica has it).
 */
export class AttachmentLinks {
  private readonly key: Buffer;

  constructor(
    jwtSecret: string,
    private readonly ttlMs: number,
  ) {
    this.key = createHmac('sha256', jwtSecret).update('attachment-links/v1').digest();
  }

  /** A link valid for the TTL, relative to the api. */
  issue(id: string, userId: string, now = Date.now()): { url: string; expiresAt: string } {
    const expires = Math.ceil((now + this.ttlMs) / 1000);
    const query = new URLSearchParams({ user: userId, expires: String(expires), sig: this.sign(id, userId, expires) });
    return { url: `${attachmentPath(id)}?${query}`, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** The user a link was issued to; UNAUTHORIZED when its signature is wrong or it expired. */
  verify(id: string, link: LinkSignature, now = Date.now()): string {
    const expected = Buffer.from(this.sign(id, link.user, link.expires));
    const given = Buffer.from(link.sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ChatError(ErrorCode.UNAUTHORIZED, 'bad attachment link signature');
    }
    if (link.expires * 1000 <= now) throw new ChatError(ErrorCode.UNAUTHORIZED, 'attachment link expired');
    return link.user;
  }

  private sign(id: string, userId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${id}\n${userId}\n${expires}`).digest('base64url');
  }
}
