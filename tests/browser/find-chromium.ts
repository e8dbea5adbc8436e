/** Where the browser tests find a Chromium to drive, or why there is none on this machine. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATE_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export type ChromiumLookup =
  { found: true; executablePath: string } | { found: false; reason: string };

function onPath(name: string): string | null {
  try {
    const resolved = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return resolved && existsSync(resolved) ? resolved : null;
  } catch {
    return null;
  }
}

export function findChromium(): ChromiumLookup {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    return existsSync(configured)
      ? { found: true, executablePath: configured }
      : { found: false, reason: `CHROMIUM_PATH is set to ${configured}, which does not exist` };
  }
  if (existsSync('/usr/bin/chromium')) return { found: true, executablePath: '/usr/bin/chromium' };
  for (const name of CANDIDATE_NAMES) {
    const resolved = onPath(name);
    if (resolved) return { found: true, executablePath: resolved };
  }
  return {
    found: false,
    reason: `no Chromium found (looked for /usr/bin/chromium and ${CANDIDATE_NAMES.join(', ')} on PATH; set CHROMIUM_PATH to use another)`,
  };
}

/** Flags for a quiet, deterministic headless Chromium in a container. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
