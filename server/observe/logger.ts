import * as fs from 'node:fs';
import * as path from 'node:path';
import { visible, visibleLines } from '../../shared/visible';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

/** A field's value: numbers, flags and words of AIL's own (tiers, outcomes, codes). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where a front end shows log lines: stderr for the CLI and the HTTP service, the editor's output for the language server. */
export type LogSink = (level: LogLevel, line: string) => void;

export interface LoggerOptions {
  level: LogLevel;
  /** Also append every line at or above `level` to this file, rotated by size. */
  file?: string;
  sink?: LogSink;
  /**
   * Whether the sink also gets the line of every answered request (an access log: the HTTP service's
   * stderr) or only the file does (an editor's output, where a line per hover would drown the rest).
   */
  sinkRequests?: boolean;
  /** Rotation: the file is renamed `.1` (and older ones moved up) past this size; `files` are kept in all. */
  maxBytes?: number;
  files?: number;
}

/**
 * AIL's log: a level (`AIL_LOG_LEVEL`), a sink, and a file (`AIL_LOG_FILE`) rotated at 10 MB with 10
 * files kept. The privacy rule is the callers': at INFO and above a line carries timings, tiers, outcomes
 * and codes, never a question, file contents, an answer or a token; what identifies code (paths, lines,
 * questions) is logged only at DEBUG, which says so when it is switched on.
 */
export class Logger {
  private level: LogLevel;
  private file: RotatingFile | undefined;

  constructor(private options: LoggerOptions) {
    this.level = options.level;
    this.file = options.file ? new RotatingFile(options.file, options.maxBytes ?? 10 * 1024 * 1024, options.files ?? 10) : undefined;
    this.announceDebug();
  }

  /** A changed AIL_LOG_LEVEL or AIL_LOG_FILE applies to the next line. */
  configure(level: LogLevel, file: string | undefined): void {
    const wasDebug = this.level === 'DEBUG';
    this.level = level;
    if (file !== this.file?.path) {
      this.file?.close();
      this.file = file ? new RotatingFile(file, this.options.maxBytes ?? 10 * 1024 * 1024, this.options.files ?? 10) : undefined;
    }
    if (!wasDebug) this.announceDebug();
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(event: string, fields?: LogFields): void {
    this.write('DEBUG', event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.write('INFO', event, fields);
  }

  /** The INFO line of one answered request: always in the file, in the sink when `sinkRequests`. */
  request(event: string, fields?: LogFields): void {
    this.write('INFO', event, fields, this.options.sinkRequests === false && this.level !== 'DEBUG');
  }

  warn(event: string, fields?: LogFields): void {
    this.write('WARNING', event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.write('ERROR', event, fields);
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }

  /**
   * One line: the time, the level, the event, then `key=value` fields (logfmt; a value with spaces or
   * quotes is quoted). Control characters are made visible, so a path cannot forge a line.
   */
  private write(level: LogLevel, event: string, fields?: LogFields, fileOnly = false): void {
    if (!this.enabled(level)) return;
    const parts = [event];
    for (const [key, value] of Object.entries(fields ?? {})) if (value !== undefined) parts.push(`${key}=${logfmt(value)}`);
    const line = visible(parts.join(' '));
    if (!fileOnly) this.options.sink?.(level, line);
    this.file?.write(`${new Date().toISOString()} ${level} ${line}\n`);
  }

  private announceDebug(): void {
    if (this.level === 'DEBUG') this.write('DEBUG', 'debug logging is on: lines now include file paths, line numbers and question text; set AIL_LOG_LEVEL=INFO to keep them out');
  }
}

function logfmt(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * A log file rotated by size: past `maxBytes` the file becomes `.1`, `.1` becomes `.2`, and so on, the
 * oldest of `files` dropped. Written synchronously (a line is a few hundred bytes), so lines keep their
 * order and nothing is lost when the process ends; a file that cannot be written is reported once on
 * stderr and then left alone, never thrown at a question.
 */
export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  private failed = false;

  constructor(readonly path: string, private readonly maxBytes: number, private readonly files: number) {}

  write(text: string): void {
    if (this.failed) return;
    try {
      const bytes = Buffer.byteLength(text);
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      fs.writeSync(this.fd!, text);
      this.size += bytes;
    } catch (error) {
      this.failed = true;
      process.stderr.write(`ail: cannot write the log file ${visibleLines(this.path)}: ${visibleLines(error instanceof Error ? error.message : String(error))}\n`);
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    fs.mkdirSync(path.dirname(this.path), { recursive: true });
    this.fd = fs.openSync(this.path, 'a', 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    fs.rmSync(`${this.path}.${this.files - 1}`, { force: true });
    for (let n = this.files - 2; n >= 1; n--) if (fs.existsSync(`${this.path}.${n}`)) fs.renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    if (this.files > 1) fs.renameSync(this.path, `${this.path}.1`);
    else fs.rmSync(this.path, { force: true });
    this.open();
  }
}
