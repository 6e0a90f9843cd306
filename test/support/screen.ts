/**
 * A minimal terminal screen for tests: replays what a program wrote to a pseudo-terminal (text, CR, LF, and the
 * cursor and erase sequences log-update uses) into the lines a person would see. No scrolling region, no colours.
 */
export function renderScreen(output: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    const line = (lines[row] ?? "").padEnd(col, " ");
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  const ESC = String.fromCharCode(27);
  const sequence = new RegExp(`^${ESC}\\[(\\??)(\\d*)([A-Za-z])`);
  for (let i = 0; i < output.length;) {
    const m = output[i] === ESC ? sequence.exec(output.slice(i, i + 16)) : null;
    if (m) {
      i += m[0].length;
      const [, priv, arg, op] = m;
      const n = arg === "" ? 1 : Number(arg);
      if (priv === "?") continue; // cursor visibility, synchronized output
      if (op === "A") row = Math.max(0, row - n);
      else if (op === "B") row += n;
      else if (op === "G") col = arg === "" ? 0 : n - 1;
      else if (op === "K") lines[row] = arg === "2" ? "" : (lines[row] ?? "").slice(0, col);
      else if (op === "J") lines.splice(row + 1);
      else throw new Error(`renderScreen: unknown sequence ${JSON.stringify(m[0])}`);
      while (lines.length <= row) lines.push("");
      continue;
    }
    const ch = output[i]!;
    i++;
    if (ch === "\r") col = 0;
    else if (ch === "\n") {
      row++;
      while (lines.length <= row) lines.push("");
    } else put(ch);
  }
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines;
}
