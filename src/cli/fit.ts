/**
 * Column widths that fit `max` display columns with two spaces between columns: the widest column
 * gives way first, one column at a time, none below its minimum. May still exceed `max` when every
 * column is at its minimum.
 */
export function fitWidths(widths: number[], max: number, minimums: number[]): number[] {
  const fitted = [...widths];
  let excess = fitted.reduce((a, b) => a + b, 0) + 2 * (fitted.length - 1) - max;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < fitted.length; i++) {
      if (fitted[i]! > minimums[i]! && (widest === -1 || fitted[i]! > fitted[widest]!)) widest = i;
    }
    if (widest === -1) break;
    fitted[widest]! -= 1;
    excess -= 1;
  }
  return fitted;
}

/** `text` cut to `width` display columns, ending in an ellipsis when cut. */
export function truncate(text: string, width: number, widthOf: (s: string) => number): string {
  if (widthOf(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = widthOf(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}
