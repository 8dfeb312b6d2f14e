/**
 * Text from outside (names and reasons from the cluster or the database server, event messages,
 * repository URLs, error messages of other programs) is shown with its control characters made
 * visible: an escape sequence could otherwise rewrite the terminal (colours, cursor, title,
 * clipboard) and a newline could forge a table row or a `fix:` line. JSON output needs none of
 * this: JSON.stringify escapes them itself.
 */
// C0 controls (ESC, CR, LF, TAB…), DEL, C1 controls (CSI, OSC…), line/paragraph separators and the
// bidirectional overrides and isolates ("Trojan Source").
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One line of outside text, safe for a terminal: every control character shown as an escape. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text spark composed over several lines (hints, fixes): its newlines kept, each line made printable. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

// JSON.stringify escapes C0 controls itself, but not DEL, C1 controls or the bidi characters.
const JSON_UNESCAPED = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `--json` output: the same JSON value, with every control character written as a \u escape. */
export function jsonText(data: unknown): string {
  return JSON.stringify(data, null, 2).replace(JSON_UNESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
