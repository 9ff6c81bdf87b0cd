/** How error messages quote the user's values (src/core/ir/show.ts). */
import { clipped, shown } from '../../src/core/ir/show';

describe('shown', () => {
  it('names numbers JSON cannot write', () => {
    expect(shown(NaN)).toBe('not a number');
    expect(shown(-Infinity)).toBe('-Infinity');
    expect(shown(undefined)).toBe('nothing (the key is missing)');
  });

  it('closes a string it cuts, so the quoted text stays the input', () => {
    const text = shown(Array(40).fill('NaN'));
    expect(text.length).toBeLessThanOrEqual(81);
    expect(text.endsWith('"...')).toBe(true);
    expect(text.replace(/"(?:[^"\\]|\\.)*"/g, '')).not.toMatch(/NaN/);
    expect(shown(['a"b'.repeat(40)]).endsWith('"...')).toBe(true);
  });

  it('cuts long names', () => {
    expect(clipped('x'.repeat(500))).toHaveLength(80);
    expect(clipped('SVC')).toBe('SVC');
  });
});
