import { parseConfig } from '@chat/config';
import { clientConfigFor } from './client-config';

describe('clientConfigFor', () => {
  it('points at the gateway port on the host the request came to', () => {
    const config = parseConfig({ GATEWAY_PORT: '8081' });
    expect(clientConfigFor(config, 'chat.local')).toEqual({ wsUrl: 'ws://chat.local:8081/ws', guestLogin: true });
    expect(clientConfigFor(config, '[::1]').wsUrl).toBe('ws://[::1]:8081/ws');
    expect(clientConfigFor(config, '::1').wsUrl).toBe('ws://[::1]:8081/ws');
    expect(clientConfigFor(config, undefined).wsUrl).toBe('ws://localhost:8081/ws');
  });

  it('prefers PUBLIC_WS_URL and reports guest login', () => {
    const config = parseConfig({ PUBLIC_WS_URL: 'wss://chat.example.com/ws', GUEST_LOGIN: 'false' });
    expect(clientConfigFor(config, 'ignored')).toEqual({ wsUrl: 'wss://chat.example.com/ws', guestLogin: false });
  });
});
