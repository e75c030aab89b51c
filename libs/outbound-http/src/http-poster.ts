import { request as httpRequest, Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { EndpointPolicy } from './endpoint-policy';

/** What an endpoint answered a POST: its status and headers (the body is drained, not kept). */
export interface PostAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * POSTs to URLs users handed us (push endpoints, webhooks): the endpoint policy's `lookup`
 * vets the address actually connected to (DNS rebinding), keep-alive agents reuse
 * connections, and a request unanswered within `timeoutMs` fails. Rejects on network
 * errors, timeouts and refused addresses (EndpointRefused); any HTTP status resolves.
 */
export class HttpPoster {
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly policy: EndpointPolicy,
    private readonly timeoutMs: number,
  ) {}

  post(url: URL, headers: Record<string, string>, body: Buffer | string): Promise<PostAnswer> {
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        lookup: this.policy.lookup,
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.once('error', reject);
      req.once('response', (res) => {
        res.resume(); // the body says nothing we act on; drain it so the connection is reused
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.once('error', reject);
      });
      req.end(body);
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
