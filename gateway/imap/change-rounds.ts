// One change query per mailbox for all the sessions that ask in the same turn of the event
// loop. A change event reaches every session with the mailbox selected at once, and each used
// to read the changes since its own modseq: 20 sessions on one mailbox made 20 identical
// round trips per change. Now the requests of one turn share a query from the lowest modseq
// asked for, started after all of them were made (so none can miss a change it was told of),
// and each session keeps the rows past its own modseq: what its own query would have returned.
import type { MessageMeta, MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';

export interface MailboxChanges {
  /** Messages whose flags changed or that arrived after the modseq, in UID order. */
  readonly changed: readonly MessageMeta[];
  /** UIDs removed after the modseq, each with the modseq of its removal. */
  readonly expunged: ReadonlyArray<{ uid: number; modseq: number }>;
}

interface Round {
  since: number;
  readonly accounts: UnlockedAccount[];
  readonly result: Promise<MailboxChanges>;
}

type Messages = Pick<MessageService, 'list' | 'expungedSince' | 'rewrapArrivals'>;

export class ChangeRounds {
  readonly #messages: Messages;
  /** Rounds not started yet, by mailbox id. */
  readonly #waiting = new Map<number, Round>();

  constructor(messages: Messages) {
    this.#messages = messages;
  }

  /** The changes of `mailboxId` after `since`, as of a read started after this call. */
  async since(account: UnlockedAccount, mailboxId: number, since: number): Promise<MailboxChanges> {
    const round = this.#waiting.get(mailboxId) ?? this.#open(mailboxId, since);
    round.since = Math.min(round.since, since);
    round.accounts.push(account);
    const { changed, expunged } = await round.result;
    return { changed: changed.filter((m) => m.modseq > since), expunged: expunged.filter((e) => e.modseq > since) };
  }

  #open(mailboxId: number, since: number): Round {
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    const round: Round = { since, accounts: [], result: started.then(() => this.#read(mailboxId, round)) };
    this.#waiting.set(mailboxId, round);
    setImmediate(() => {
      this.#waiting.delete(mailboxId);
      start();
    });
    return round;
  }

  async #read(mailboxId: number, round: Round): Promise<MailboxChanges> {
    // Every session on a mailbox is its owner's; any one still unlocked reads for all.
    const account = round.accounts.find((a) => !a.locked) ?? round.accounts[0]!;
    await this.#messages.rewrapArrivals(account);
    const [changed, expunged] = await Promise.all([
      this.#messages.list(account, mailboxId, { changedSince: round.since }),
      this.#messages.expungedSince(account, mailboxId, round.since),
    ]);
    return { changed, expunged };
  }
}
