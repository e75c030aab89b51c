import { EndpointPolicy, EndpointRefused, isPublicAddress, MAX_ENDPOINT_LENGTH } from './endpoint-policy';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
    '64:ff9b::a00:1', 'ff02::1', '2001:db8::1', 'not-an-ip',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '142.250.185.74', '172.32.0.1', '2606:4700::1111', '2a00:1450:4001:80b::200a'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('EndpointPolicy', () => {
  const resolving = (table: Record<string, string[]>) => async (host: string) => {
    if (!table[host]) throw new Error('ENOTFOUND');
    return table[host];
  };
  const strict = new EndpointPolicy(false, resolving({ 'push.example.com': ['203.0.114.7'], 'inside.example.com': ['93.184.216.34', '10.0.0.8'] }));

  it('accepts https endpoints on public addresses', async () => {
    await expect(strict.check('https://push.example.com/wpush/v2/abc')).resolves.toBeInstanceOf(URL);
  });

  it.each([
    ['http://push.example.com/x', /https/],
    ['not a url', /not a URL/],
    ['https://user:pw@push.example.com/x', /credentials/],
    ['https://127.0.0.1/x', /not a public address/],
    ['https://[::1]/x', /not a public address/],
    ['https://0x7f.1/x', /not a public address/], // the URL parser's 127.0.0.1
    ['https://169.254.169.254/latest/meta-data', /not a public address/],
    ['https://inside.example.com/x', /10\.0\.0\.8/], // one private address is enough to refuse
    ['https://nowhere.example.com/x', /does not resolve/],
    [`https://push.example.com/${'a'.repeat(MAX_ENDPOINT_LENGTH)}`, /longer than/],
  ])('refuses %s', async (endpoint, reason) => {
    await expect(strict.check(endpoint)).rejects.toThrow(EndpointRefused);
    await expect(strict.check(endpoint)).rejects.toThrow(reason);
  });

  it('with private endpoints allowed, takes http and loopback (tests, self-hosted push servers)', async () => {
    const open = new EndpointPolicy(true, resolving({}));
    await expect(open.check('http://127.0.0.1:9999/push/1')).resolves.toBeInstanceOf(URL);
    await expect(open.check('ftp://127.0.0.1/x')).rejects.toThrow(/https: or http:/);
  });

  it('refuses at connect time a name that resolves inside (DNS rebinding)', async () => {
    const lookedUp = await new Promise<{ err: Error | null }>((resolve) => strict.lookup('localhost', {}, (err) => resolve({ err })));
    expect(lookedUp.err).toBeInstanceOf(EndpointRefused);
  });
});
