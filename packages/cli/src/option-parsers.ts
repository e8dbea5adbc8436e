/** Option value parsers: a bad value is a usage error (exit 2) that names the option. */
import { InvalidArgumentError } from 'commander';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function integerOption(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) {
      throw new InvalidArgumentError(`${name} must be a whole number of 0 or more.`);
    }
    return Number(value);
  };
}

/** "running,queued" or repeated flags, each checked against the allowed values. */
export function choiceList<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string, previous: T[] = []): T[] => {
    const values = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of values) {
      if (!allowed.includes(item as T)) {
        throw new InvalidArgumentError(`${name} takes ${allowed.join(', ')} (got "${item}").`);
      }
    }
    return [...previous, ...(values as T[])];
  };
}
