/** `pnpm bench [--quick] [--rounds N] [--scenario id,…] [--tool name,…]`: what to run. */
import { SCENARIO_IDS } from './scenarios';
import type { ScenarioId } from './scenarios';
import { TOOL_NAMES } from './runners/runner-api';
import type { ToolName } from './runners/runner-api';

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  scenarios: ScenarioId[];
  tools: ToolName[];
  /** Write V8 CPU profiles of every engine child and server to .bench/profiles/. */
  cpuProfile: boolean;
}

export const USAGE = `Usage: pnpm bench [--quick] [--rounds N] [--scenario ${SCENARIO_IDS.join(',')}] [--tool ${TOOL_NAMES.join(',')}]
  --quick      one round, smaller files (256 MiB instead of 1 GiB, 200 small files), no 4 GiB memory run
  --rounds N   rounds per scenario (default 3; the median is reported)
  --scenario   only these scenarios (comma-separated)
  --tool       only these tools (comma-separated)
  --cpu-prof   write V8 CPU profiles of engine runs and servers to .bench/profiles/ (slows them a little)`;

function listOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T[] {
  if (value === undefined || value.trim() === '')
    throw new Error(`${flag} needs a value\n${USAGE}`);
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new Error(`${flag}: "${item}" is not one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions | 'help' {
  let quick = false;
  let rounds: number | null = null;
  let scenarios: ScenarioId[] | null = null;
  let tools: ToolName[] = [...TOOL_NAMES];
  let cpuProfile = false;
  for (let index = 0; index < argv.length; index++) {
    const [flag, inline] = argv[index]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++index];
    switch (flag) {
      case '--':
        break;
      case '--help':
      case '-h':
        return 'help';
      case '--quick':
        quick = true;
        break;
      case '--rounds': {
        const text = value();
        rounds = Number(text);
        if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
          throw new Error(`--rounds must be a whole number from 1 to 50, not "${text}"`);
        break;
      }
      case '--scenario':
        scenarios = listOf(value(), SCENARIO_IDS, '--scenario');
        break;
      case '--tool':
        tools = listOf(value(), TOOL_NAMES, '--tool');
        break;
      case '--cpu-prof':
        cpuProfile = true;
        break;
      default:
        throw new Error(`Unknown option "${flag}"\n${USAGE}`);
    }
  }
  const defaultScenarios = quick
    ? SCENARIO_IDS.filter((id) => id !== 'file-4g-memory')
    : [...SCENARIO_IDS];
  return {
    quick,
    rounds: rounds ?? (quick ? 1 : 3),
    scenarios: scenarios ?? defaultScenarios,
    tools,
    cpuProfile,
  };
}
