/**
 * A value of the user's (an IR field, an option, an input) as an error message quotes it:
 * JSON, cut short, and a missing key named as such rather than as "undefined".
 */
const LONGEST = 80;

export function shown(value: unknown): string {
  if (value === undefined) {
    return 'nothing (the key is missing)';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    // JSON would say null
    return Number.isNaN(value) ? 'not a number' : String(value);
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const cut = clipped(text);
  // a JSON string cut inside its quotes is closed, so that what is quoted stays the input's own
  return cut !== text && insideString(cut.slice(0, -3)) ? `${cut.slice(0, -3)}"...` : cut;
}

/** Whether JSON text ends inside a string (an opening quote not closed). */
function insideString(json: string): boolean {
  let inside = false;
  for (let i = 0; i < json.length; i++) {
    if (json[i] === '\\' && inside) {
      i++; // the escaped character
    } else if (json[i] === '"') {
      inside = !inside;
    }
  }
  return inside;
}

/** Text of the user's (a name) cut to LONGEST characters, as a message quotes it. */
export function clipped(text: string): string {
  return text.length > LONGEST ? `${text.slice(0, LONGEST - 3)}...` : text;
}
