// The postage worker: creates pending invoices (and queues their auto-replies), then applies
// the recipients' decisions, deadlines and expiry (PostageService.reconcile), once per tick
// and whenever kicked. Passes never overlap; a failing pass is logged and retried next tick.
import type { PostageService } from '../../services/postage-service.js';
import type { Logger } from '../log.js';

/** How often the worker looks, without a kick. */
export const POSTAGE_TICK_MS = 1000;

export interface PostageWorker {
  /** Runs a pass soon (a case was opened, a mailbox changed). */
  kick(): void;
  /** Resolves after the pass in progress, if any, ends. */
  close(): Promise<void>;
}

export function startPostageWorker(postage: PostageService, logger: Logger, tickMs = POSTAGE_TICK_MS): PostageWorker {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const pass = async () => {
    try {
      while (!closed && (await postage.issuePending()) > 0);
      if (!closed) await postage.reconcile();
    } catch (err) {
      logger.warn('postage pass failed', { err });
    }
  };
  const run = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };
  void postage.resume().catch((err: unknown) => logger.warn('postage subscriptions not resumed', { err }));
  const timer = setInterval(run, tickMs);
  timer.unref();
  run();
  return {
    kick: run,
    async close() {
      closed = true;
      clearInterval(timer);
      postage.close();
      await running;
    },
  };
}
