/** A Logger that keeps every line, so tests can assert on structured fields and on what never appears. */
import type { Logger } from '@modeldock/engine';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];

  debug(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'debug', fields, message });
  }
  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'error', fields, message });
  }

  /** Everything logged, as one string: for "this secret never appears" checks. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields)}`).join('\n');
  }

  find(message: string): LogLine | undefined {
    return this.lines.find((line) => line.message === message);
  }
}
