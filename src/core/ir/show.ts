/**
 * A value of the user's (an IR field, an option, an input) as an error message quotes it:
 * JSON, cut short, and a missing key named as such rather than as "undefined".
 */
const LONGEST = 80;

export function shown(value: unknown): string {
  if (value === undefined) {
    return 'nothing (the key is missing)';
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > LONGEST ? `${text.slice(0, LONGEST - 3)}...` : text;
}
