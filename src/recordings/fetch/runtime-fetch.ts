/**
 * The FetchFor of a runtime that cannot see DNS answers (workerd): its own fetch, as is. The
 * URL-level policy in safeFetch still applies; where a name points is the platform's business —
 * Cloudflare's edge does not route to private networks, and workerd's default network allows
 * public addresses only.
 * @module
 */
import type { FetchFor } from './port';

export const runtimeFetchFor: FetchFor = () => (input, init) => fetch(input, init);
