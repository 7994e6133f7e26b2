/**
 * The browser's side of the audit export (src/auditExport.ts): a sink that gathers the streamed output into a
 * Blob, the file's name, pages read of pages expected, and the download itself (object URL + <a download>).
 */
import type { ExportFormat, ExportProgress } from "../../../src/auditExport.js";

/** Text gathered before it is folded into a Blob part: the browser may then keep the parts out of the JS heap. */
const PART_CHARS = 1 << 20;

export const EXPORT_TYPES: Record<ExportFormat, string> = { csv: "text/csv;charset=utf-8", json: "application/json" };

/** The `write` of exportRecords into a Blob. */
export function blobSink(format: ExportFormat) {
  const parts: Blob[] = [];
  let pending: string[] = [];
  let pendingChars = 0;
  const fold = () => {
    if (pending.length === 0) return;
    parts.push(new Blob(pending));
    pending = [];
    pendingChars = 0;
  };
  return {
    async write(chunk: string): Promise<void> {
      pending.push(chunk);
      pendingChars += chunk.length;
      if (pendingChars >= PART_CHARS) fold();
    },
    blob(): Blob {
      fold();
      return new Blob(parts, { type: EXPORT_TYPES[format] });
    },
  };
}

export function exportFileName(fromBlock: number, toBlock: number, format: ExportFormat): string {
  return `gridledger-export-${fromBlock}-${toBlock}.${format}`;
}

/**
 * Pages read and pages expected after a page: the pages still to read are counted at the size of the last page,
 * since the export halves its pages when the node refuses one.
 */
export function pagesOf(progress: ExportProgress, pagesRead: number): { read: number; total: number } {
  const pageSize = progress.pageToBlock - progress.pageFromBlock + 1;
  const left = progress.blocksTotal - progress.blocksDone;
  return { read: pagesRead, total: pagesRead + Math.ceil(left / pageSize) };
}

/** Makes the browser save `blob` as `fileName`. */
export function saveBlob(blob: Blob, fileName: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob);
  const link = doc.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  doc.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by the time the click returns; a moment later it may be released.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
