/**
 * Click-to-call: asking the PBX to ring a rep's phone and, once the rep picks up, the customer.
 * Each source that can do it gives a PbxOriginator (its descriptor's `originate`); the HTTP door
 * (`POST /v1/originate`) checks who asks and for whom, then hands the request here. Sources that
 * speak HTTP (Zadarma, Mango, Twilio, Yeastar) run on every runtime; the ones reached over a TCP
 * session (Asterisk AMI, FreeSWITCH's event socket) are added by the Node entry
 * (AppDeps.originators), as FreePBX's pull is.
 *
 * An originator never throws for the vendor's answers: a refusal comes back as `refused` with the
 * vendor's reason, worded for the rep who clicked, so the CRM widget can show it.
 * @module
 */

export interface OriginateRequest {
  /** Our id of this attempt (returned to the caller; vendors that take one get it as their own id). */
  id: string;
  /** The rep's extension: rung first. */
  extension: string;
  /** The customer's number, E.164 when we could normalize it: rung once the rep answers. */
  phone: string;
  /** The number to show the customer (our line), when configured. */
  callerId?: string | null;
}

export type OriginateResult =
  /** The PBX took the request; `vendorRef` is its id of the call when it gives one. */
  | { status: 'requested'; vendorRef: string | null }
  /**
   * The PBX refused: `reason` says why in words fit for the rep; `retryable` when trying again
   * later may help (the PBX was unreachable or busy), false when the request itself is wrong
   * (unknown extension, number not allowed, no money on the account).
   */
  | { status: 'refused'; reason: string; retryable: boolean };

/** What an originator reads: the environment's secrets and the source's config, and a fetch. */
export interface OriginateDeps<Secrets = unknown, Sources = unknown> {
  settings: { secrets: Secrets };
  config: { sources: Sources };
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface PbxOriginator<Deps = OriginateDeps> {
  /** The source it belongs to (its name in `sources:` and in the secrets). */
  source: string;
  /** Credentials present: this PBX can be asked to dial. */
  enabled(deps: Deps): boolean;
  /** How to enable it, for the refusal when it is not: "set ZADARMA_API_KEY and …". */
  enableHint: string;
  originate(request: OriginateRequest, deps: Deps): Promise<OriginateResult>;
}

/** A refusal: the reason in words for the rep, and whether trying again later may help. */
export const refused = (reason: string, retryable: boolean): OriginateResult => ({ status: 'refused', reason, retryable });

/** A vendor API's answer: its status and body text. */
export interface VendorAnswer {
  status: number;
  text: string;
}

/**
 * One request to a vendor's API for a click-to-call (redirects not followed, a timeout): its
 * answer, or the retryable refusal that `vendor` could not be reached.
 */
export async function askVendor(
  deps: Pick<OriginateDeps, 'fetch'>,
  vendor: string,
  url: string,
  init: RequestInit,
  timeoutMs = 10_000,
): Promise<VendorAnswer | OriginateResult> {
  try {
    const response = await (deps.fetch ?? fetch)(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text().catch(() => '') };
  } catch {
    return refused(`${vendor} could not be reached; try again in a minute`, true);
  }
}

/** askVendor's answer was a refusal. */
export const isRefusal = (answer: VendorAnswer | OriginateResult): answer is OriginateResult => 'reason' in answer;
