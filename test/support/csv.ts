/**
 * Splits RFC 4180 CSV (CRLF-terminated records, quoted fields with doubled quotes, CRLF inside quotes) into records
 * of fields. Text that does not end with a complete record is refused: every export ends its last record.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(field), (field = ""));
    else if (c === "\r" && text[i + 1] === "\n") (row.push(field), rows.push(row), (row = []), (field = ""), i++);
    else field += c;
  }
  if (quoted || field !== "" || row.length > 0) throw new Error(`CSV ends inside a record: ${JSON.stringify(text.slice(-40))}`);
  return rows;
}
