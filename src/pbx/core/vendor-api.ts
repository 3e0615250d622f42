/**
 * The HTTP client a source's pull uses to ask the vendor's cloud API (Zadarma, Twilio, Mango):
 * every status is read by the caller (vendors explain failures in the body), redirects are not
 * followed (credentials go with the request), the body is kept as text.
 * @module
 */
import axios, { type AxiosInstance } from 'axios';

export function vendorApi(baseURL: string, timeoutMs: number, headers: Record<string, string> = {}): AxiosInstance {
  return axios.create({
    baseURL,
    adapter: 'fetch',
    timeout: timeoutMs,
    responseType: 'text',
    validateStatus: () => true,
    maxRedirects: 0,
    headers,
  });
}

/** A body's JSON, or undefined when it is none (an error page, an empty answer). */
export function jsonOrUndefined(text: string, parse: (text: string) => unknown = JSON.parse): unknown {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}
