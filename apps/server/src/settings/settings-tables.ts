/**
 * The README tables of settings, generated from the declarations. Each README holds its table
 * between `<!-- settings-table:start -->` and `<!-- settings-table:end -->`;
 * `pnpm --filter @modeldock/server settings-tables` rewrites them and a test checks they match.
 */
import { SETTING_NAMES, declarationOf, defaultTextOf, environmentVariablesOf } from './settings';
import type { SettingName } from './settings';

export const TABLE_START = '<!-- settings-table:start -->';
export const TABLE_END = '<!-- settings-table:end -->';

function code(text: string): string {
  return `\`${text}\``;
}

function defaultCell(name: SettingName): string {
  const text = defaultTextOf(name);
  if (text === null) return '–';
  return declarationOf(name).defaultText ? text : code(text);
}

function namesCell(name: SettingName, withFlag: boolean): string {
  const declaration = declarationOf(name);
  const [variable, ...aliases] = environmentVariablesOf(name);
  const main = [withFlag ? declaration.flag : undefined, variable]
    .filter((item): item is string => item !== undefined)
    .map(code)
    .join(', ');
  return aliases.length > 0 ? `${main} (${aliases.map(code).join(', ')})` : main;
}

/** A Markdown table laid out as prettier lays it out, so formatting the README leaves it alone. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, 3, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** The server README's table: every setting with its flag, variables, default and meaning. */
export function serverSettingsTable(): string {
  return markdownTable(
    ['flag / variable', 'default', 'meaning'],
    SETTING_NAMES.map((name) => [
      namesCell(name, true),
      defaultCell(name),
      declarationOf(name).help,
    ]),
  );
}

/** The main README's short table: the settings declared `inMainReadme`. */
export function mainSettingsTable(): string {
  return markdownTable(
    ['variable', 'default', 'meaning'],
    SETTING_NAMES.filter((name) => declarationOf(name).inMainReadme).map((name) => [
      namesCell(name, false),
      defaultCell(name),
      declarationOf(name).help,
    ]),
  );
}

/** The table between a README's markers, or null when it has none. */
export function tableIn(readme: string): string | null {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) return null;
  return readme.slice(start + TABLE_START.length, end).trim();
}

/** The README with the table between its markers replaced. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end < start) {
    throw new Error(`the README has no ${TABLE_START} … ${TABLE_END} markers`);
  }
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
