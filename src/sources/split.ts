/** Splits one line into fields. With quoting off, a quote character is plain data. */
export function splitLine(line: string, delimiter: string, quote: boolean): string[] {
  if (!quote || line.indexOf('"') === -1) return line.split(delimiter);
  return splitQuoted(line, delimiter);
}

/** RFC 4180 fields: "a ""b"" c" -> a "b" c; the line may contain newlines inside quotes. */
function splitQuoted(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          value += line.slice(i);
          i = n;
          break;
        }
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Text after the closing quote up to the delimiter is kept, as lenient readers do.
      const d = line.indexOf(delimiter, i);
      const end = d === -1 ? n : d;
      out.push(value + line.slice(i, end));
      if (d === -1) return out;
      i = d + delimiter.length;
    } else {
      const d = line.indexOf(delimiter, i);
      if (d === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, d));
      i = d + delimiter.length;
    }
  }
}

/** True while a quoted field is still open at the end of the text (its record continues on the next line). */
export function hasOpenQuote(text: string): boolean {
  let open = false;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) open = !open;
  return open;
}
