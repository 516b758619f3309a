// Picks a renderer by format name or by a file's extension.

import { UsageError } from '../errors.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';

export const REPORT_FORMATS = ['html', 'markdown', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const BY_EXTENSION: Record<string, ReportFormat> = { '.html': 'html', '.htm': 'html', '.md': 'markdown', '.markdown': 'markdown', '.xml': 'junit' };

export function renderReport(report: Report, format: ReportFormat): string {
  return format === 'html' ? renderHtml(report) : format === 'junit' ? renderJunit(report) : renderMarkdown(report);
}

/** The format a report file's name asks for; an unknown extension needs an explicit format. */
export function reportFormatOf(file: string): ReportFormat {
  const dot = file.lastIndexOf('.');
  const format = dot > file.lastIndexOf('/') ? BY_EXTENSION[file.slice(dot).toLowerCase()] : undefined;
  if (!format) throw new UsageError(`--report ${file}: cannot tell the format from the extension (.html, .md or .xml); give --report-format html|markdown|junit`);
  return format;
}
