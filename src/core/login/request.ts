// The login core's typed request and result: what every front (RADIUS, HTTP) translates
// its protocol to and from.
import type { NasContext } from '../model.js';
import type { RelayedAttribute } from '../ports.js';

export interface AuthRequest {
  /** The user name as the client sent it, possibly `user@realm`. */
  readonly username: string;
  readonly password: string;
  /** The transaction id from an earlier challenge (RADIUS State), if any. */
  readonly transactionId?: string;
  /** With a transaction id: the user asks for the SMS again instead of answering. */
  readonly resend?: boolean;
  /**
   * privacyIDEA's `serial`: only this token is checked. The user name may then be empty (the
   * token names its owner); when given, it must be able to mean the owner.
   */
  readonly serial?: string;
  readonly client: {
    readonly name: string;
    readonly address: string;
    /** This client's challenge prompt, over the site's sms_challenge_text. */
    readonly challengePrompt?: string;
    /**
     * Who asked, where `name` does not tell callers apart (every HTTP caller is the client
     * `http`): the same challenge is repeated only to the same caller. Absent: the name.
     */
    readonly caller?: string;
  };
  /**
   * The front names an unknown user (privacyIDEA's ERR904 over HTTP): a reject then carries a
   * `refusal` when the login name means nobody, at the cost of the reads that tell. RADIUS leaves
   * it out, so its rejects cost no extra read and take no time that depends on whether a user exists.
   */
  readonly namesUnknownUsers?: boolean;
  /** What the NAS told about the session, for the audit trail. */
  readonly nas?: Partial<NasContext>;
  /** Epoch ms after which nobody waits for the answer (the NAS has given up): work then stops. */
  readonly deadline?: number;
  /**
   * Epoch ms by which the caller needs the challenge (a RADIUS client's sms_deadline, below its
   * NAS's timeout): an SMS gateway that has not answered by then gets the rest of the
   * challenge's validity in the background, and the challenge is answered at once.
   */
  readonly smsDeadline?: number;
  /**
   * The debug trace of this request (src/core/debug-trace.ts), when it is on for it: the core
   * tells its decisions here in plain lines, never a PIN, OTP or secret. Absent: no line is built.
   */
  readonly trace?: (line: string) => void;
}

/**
 * privacyIDEA's /validate/triggerchallenge: the SMS goes out without a first factor, to the
 * user's tokens or to the one token named. Whoever may ask for it (an administrator's key)
 * has checked the first factor itself; the front decides that, not the core.
 */
export interface TriggerRequest {
  /** The user name as the client sent it, possibly `user@realm`; '' with a serial. */
  readonly username: string;
  readonly serial?: string;
  readonly client: AuthRequest['client'];
  readonly nas?: Partial<NasContext>;
  readonly deadline?: number;
  readonly namesUnknownUsers?: boolean;
  readonly trace?: (line: string) => void;
}

export type AuthResult =
  | {
      readonly outcome: 'accept';
      readonly message: string;
      readonly serial: string;
      readonly username: string;
      readonly realm: string;
      /**
       * A login forwarded to another RADIUS server (passthru=radius:NAME): what its Accept
       * carried (Class, Filter-Id, vendor attributes), for the NAS instead of ours.
       */
      readonly attributes?: readonly RelayedAttribute[];
      /**
       * `Name[:tag]=value` of the authorization policies' reply_attribute actions, tags filled:
       * RADIUS adds them to the Access-Accept, HTTP shows them in privacyIDEA's `detail`.
       */
      readonly replyAttributes?: readonly string[];
    }
  | {
      readonly outcome: 'challenge';
      readonly message: string;
      readonly transactionId: string;
      readonly expiresAt: number;
      readonly serials: readonly string[];
    }
  | {
      readonly outcome: 'reject';
      readonly message: string;
      /**
       * Why, for a front that may say more than the message: `unknown_user` when the login
       * name means nobody (LoginService.withRefusal says who exists). RADIUS ignores it, so that a NAS
       * cannot tell an unknown name from a known one; the HTTP front answers privacyIDEA's
       * ERR904, as privacyIDEA does.
       */
      readonly refusal?: Refusal;
    };

/** A reject's machine-readable reason, with the user the login name was taken for. */
export interface Refusal {
  readonly reason: 'unknown_user';
  /** The first user the login name could mean (its realm the default one where none was named). */
  readonly username: string;
  readonly realm: string;
}
