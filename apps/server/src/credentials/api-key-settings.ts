/**
 * Settings → API keys: list, set, validate, remove. A key is checked with its platform before it is
 * saved: a key the platform rejects is refused (INVALID_TOKEN) and nothing changes; a key that
 * cannot be checked because the platform is unreachable or limiting requests is saved unchecked
 * and checked again later (see key-recheck-schedule.ts). Changes reach downloads at once, through
 * the same StoredApiKeys the credential provider reads.
 */
import { ModeldockError, registerSecret } from '@modeldock/engine';
import type { Logger, TaskRunner } from '@modeldock/engine';
import { environmentVariablesOf } from '../env';
import { PLATFORM_NAMES } from './api-key-platforms';
import type { ApiKeyPlatform } from './api-key-platforms';
import type { ApiKeyView, EnvironmentKeyView } from './api-key-view';
import { createKeyRecheckSchedule } from './key-recheck-schedule';
import type { RecheckDelays } from './key-recheck-schedule';
import type { KeyCheckResult, PlatformKeyCheck } from './platform-key-check';
import type { StoredApiKeys, StoredKeyReading } from './stored-api-keys';

export interface ApiKeySettings {
  /** Saved keys, and the environment's tokens (used only where no readable key is saved). */
  list(): Promise<{ items: ApiKeyView[]; environment: EnvironmentKeyView[] }>;
  set(platform: ApiKeyPlatform, key: string): Promise<ApiKeyView>;
  validate(platform: ApiKeyPlatform): Promise<ApiKeyView>;
  remove(platform: ApiKeyPlatform): Promise<{ removed: boolean }>;
  /** Schedules a check of every saved key that was never checked (e.g. saved while offline). */
  start(): Promise<void>;
  /** Stops scheduled checks and aborts those under way. */
  close(): Promise<void>;
}

export interface ApiKeySettingsOptions {
  keys: StoredApiKeys;
  check: PlatformKeyCheck;
  logger: Logger;
  /** Where the checks of keys saved unchecked run (the server's background tasks). */
  tasks: TaskRunner;
  recheckDelays?: Partial<RecheckDelays>;
  now?: () => Date;
  /** Tokens from the server's environment, per platform (null: none). */
  environment?: Partial<Record<ApiKeyPlatform, string | null>>;
  /**
   * A saved key that was working (or never checked) was refused by its platform: the key.invalid
   * notification. Called once per saved version; never with the key.
   */
  onKeyRefused?: (refusal: { platform: ApiKeyPlatform; version: string; reason: string }) => void;
}

/** Where each platform's environment token is read from, as env.ts reads it. */
const ENVIRONMENT_VARIABLES: Record<ApiKeyPlatform, string> = {
  huggingface: environmentVariablesOf('huggingfaceToken').join(' or '),
  civitai: environmentVariablesOf('civitaiApiKey').join(' or '),
};

/** One change at a time per platform, so a slow check cannot mark a key that was replaced meanwhile. */
function createPlatformLocks() {
  const tails = new Map<ApiKeyPlatform, Promise<unknown>>();
  return function exclusively<T>(platform: ApiKeyPlatform, work: () => Promise<T>): Promise<T> {
    const result = (tails.get(platform) ?? Promise.resolve()).then(work);
    tails.set(
      platform,
      result.catch(() => undefined),
    );
    return result;
  };
}

function notSaved(platform: ApiKeyPlatform): ModeldockError {
  return new ModeldockError(
    'INVALID_STATE',
    `No ${PLATFORM_NAMES[platform]} API key is saved: add one in Settings first`,
  );
}

export function createApiKeySettings(options: ApiKeySettingsOptions): ApiKeySettings {
  const { keys, check, logger } = options;
  const now = options.now ?? (() => new Date());
  const exclusively = createPlatformLocks();
  const shutdown = new AbortController();
  /** Why a key saved unchecked is still unchecked, per saved version, from this process's last try. */
  const uncheckedReasons = new Map<ApiKeyPlatform, { version: string; message: string }>();

  function toView(reading: StoredKeyReading): ApiKeyView {
    const { summary } = reading;
    let valid = summary.valid;
    let message = summary.validationMessage;
    if (reading.key === null) {
      valid = false;
      message = keys.unreadableMessage(summary.platform);
    } else if (valid === null) {
      const reason = uncheckedReasons.get(summary.platform);
      message =
        reason?.version === reading.version
          ? reason.message
          : `Not checked with ${PLATFORM_NAMES[summary.platform]} yet: modeldock checks it shortly; press Validate to check now.`;
    }
    return {
      platform: summary.platform,
      last4: summary.last4,
      createdAt: summary.createdAt.toISOString(),
      validatedAt: summary.validatedAt?.toISOString() ?? null,
      valid,
      message,
    };
  }

  /** Records an accepted or rejected outcome, unless the key was replaced or removed meanwhile. */
  async function recordOutcome(
    platform: ApiKeyPlatform,
    version: string,
    result: KeyCheckResult & { outcome: 'accepted' | 'rejected' },
  ): Promise<StoredKeyReading | null> {
    return exclusively(platform, async () => {
      const current = await keys.read(platform);
      if (!current || current.version !== version) return current;
      const summary = await keys.markValidated(
        platform,
        { valid: result.outcome === 'accepted', message: result.message },
        now(),
      );
      if (result.outcome === 'rejected' && current.summary.valid !== false) {
        options.onKeyRefused?.({ platform, version, reason: result.message });
      }
      uncheckedReasons.delete(platform);
      rechecks.cancel(platform);
      logger.info(
        { platform, last4: current.summary.last4, valid: result.outcome === 'accepted' },
        'API key checked',
      );
      return summary ? { ...current, summary } : null;
    });
  }

  const rechecks = createKeyRecheckSchedule({
    delays: options.recheckDelays,
    tasks: options.tasks,
    async recheck(platform, version) {
      const reading = await keys.read(platform);
      if (!reading || reading.version !== version || reading.key === null) return 'done';
      if (reading.summary.valid !== null) return 'done';
      const result = await check(platform, reading.key, shutdown.signal);
      if (result.outcome === 'unchecked') {
        uncheckedReasons.set(platform, {
          version,
          message: uncheckedMessage(result, rechecks.nextDelayMs(platform)),
        });
        return 'again';
      }
      await recordOutcome(platform, version, result);
      return 'done';
    },
  });

  function uncheckedMessage(result: KeyCheckResult, delayMs: number | null): string {
    const when =
      delayMs === null
        ? 'modeldock checks it again later'
        : `modeldock checks it again in ${Math.max(1, Math.round(delayMs / 60_000))} min`;
    return `Saved, not checked yet: ${result.message}. ${when}; press Validate to check now.`;
  }

  return {
    async list() {
      const readings = await keys.list();
      const readableSaved = new Set(
        readings
          .filter((reading) => reading.key !== null)
          .map((reading) => reading.summary.platform),
      );
      const environment: EnvironmentKeyView[] = [];
      for (const [platform, token] of Object.entries(options.environment ?? {}) as [
        ApiKeyPlatform,
        string | null,
      ][]) {
        if (!token) continue;
        environment.push({
          platform,
          last4: token.slice(-4),
          variable: ENVIRONMENT_VARIABLES[platform],
          inUse: !readableSaved.has(platform),
        });
      }
      return { items: readings.map(toView), environment };
    },

    async set(platform, key) {
      registerSecret(key);
      const result = await check(platform, key, shutdown.signal);
      if (result.outcome === 'rejected') {
        throw new ModeldockError('INVALID_TOKEN', `${result.message}. The key was not saved.`);
      }
      return exclusively(platform, async () => {
        let reading = await keys.save(platform, key, now());
        if (result.outcome === 'accepted') {
          const summary = await keys.markValidated(
            platform,
            { valid: true, message: result.message },
            now(),
          );
          if (summary) reading = { ...reading, summary };
          uncheckedReasons.delete(platform);
          rechecks.cancel(platform);
        } else {
          rechecks.schedule(platform, reading.version);
          uncheckedReasons.set(platform, {
            version: reading.version,
            message: uncheckedMessage(result, rechecks.nextDelayMs(platform)),
          });
          logger.warn({ platform, reason: result.message }, 'API key saved without a check');
        }
        logger.info(
          { platform, last4: reading.summary.last4, valid: reading.summary.valid },
          'API key saved',
        );
        return toView(reading);
      });
    },

    async validate(platform) {
      const reading = await keys.read(platform);
      if (!reading) throw notSaved(platform);
      if (reading.key === null) return toView(reading);
      const result = await check(platform, reading.key, shutdown.signal);
      if (result.outcome === 'unchecked') {
        throw new ModeldockError(
          result.error.code,
          `Could not check the ${PLATFORM_NAMES[platform]} API key: ${result.message}. The key is kept as it was; try again in a minute.`,
          {
            cause: result.error,
            retryable: true,
            httpStatus: result.error.httpStatus,
            retryAfterMs: result.error.retryAfterMs,
          },
        );
      }
      const recorded = await recordOutcome(platform, reading.version, result);
      if (!recorded) throw notSaved(platform);
      return toView(recorded);
    },

    async remove(platform) {
      return exclusively(platform, async () => {
        const removed = await keys.remove(platform);
        rechecks.cancel(platform);
        uncheckedReasons.delete(platform);
        if (removed) logger.info({ platform }, 'API key removed');
        return { removed };
      });
    },

    async start() {
      for (const reading of await keys.list()) {
        if (reading.key !== null && reading.summary.valid === null) {
          rechecks.schedule(reading.summary.platform, reading.version, { immediately: true });
        }
      }
    },

    async close() {
      shutdown.abort(new ModeldockError('SHUTDOWN', 'modeldock is shutting down'));
      await rechecks.close();
    },
  };
}
