/**
 * Asking before something large or destructive. On a terminal the question goes to stderr and the
 * answer comes from stdin; without a terminal nobody can answer, so the command refuses (exit 2)
 * and says which flag confirms it.
 */
import { createInterface } from 'node:readline/promises';
import { usageError } from './exit-codes';

export async function confirm(question: string, flag: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw usageError(
      `${question.replace(/\?$/, '')}: standard input is not a terminal, so nobody can answer. Pass ${flag} to confirm.`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
