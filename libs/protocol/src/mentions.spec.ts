import { MAX_MENTIONS, mentionedNames } from './mentions';

describe('mentionedNames', () => {
  it('finds @usernames, lower-cased, each once', () => {
    expect(mentionedNames('hi @Bob and @alice_1, @bob again')).toEqual({ names: ['bob', 'alice_1'], room: false });
  });

  it('ignores e-mail addresses and a lone @', () => {
    expect(mentionedNames('mail bob@example.com or @ me')).toEqual({ names: [], room: false });
  });

  it('tries a name that ends a sentence with and without its dot', () => {
    expect(mentionedNames('thanks @bob.')).toEqual({ names: ['bob.', 'bob'], room: false });
    expect(mentionedNames('ask @j.doe now').names).toEqual(['j.doe']);
  });

  it('treats @room as the room mention, not a user', () => {
    expect(mentionedNames('@room standup!')).toEqual({ names: [], room: true });
    expect(mentionedNames('@ROOM.')).toEqual({ names: [], room: true });
    expect(mentionedNames('@roomba').names).toEqual(['roomba']);
  });

  it('skips names too short or too long to be usernames', () => {
    expect(mentionedNames('@a @' + 'x'.repeat(33)).names).toEqual([]);
  });

  it(`resolves at most ${MAX_MENTIONS} names`, () => {
    const text = Array.from({ length: 80 }, (_, i) => `@user${i}`).join(' ');
    expect(mentionedNames(text).names).toHaveLength(MAX_MENTIONS);
  });
});
