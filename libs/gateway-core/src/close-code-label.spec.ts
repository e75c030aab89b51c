import { closeCodeLabel } from './close-code-label';

describe('closeCodeLabel', () => {
  it('names the codes the gateway and RFC 6455 use', () => {
    for (const code of [1000, 1001, 1006, 1009, 1012, 1013, 4001, 4008]) expect(closeCodeLabel(code)).toBe(String(code));
  });

  it('folds any other code a client may choose into one label', () => {
    expect(closeCodeLabel(4999)).toBe('other');
    expect(closeCodeLabel(3000)).toBe('other');
    expect(closeCodeLabel(0)).toBe('other');
  });
});
