/**
 * Zadarma's notification bodies as name → value. They are HTML-form encoded
 * (application/x-www-form-urlencoded); some integrations report multipart/form-data bodies whose
 * boundary differs from the one in the Content-Type header, so a multipart body is split by the
 * boundary line it starts with, whatever the header says.
 * @module
 */

export type FormFields = ReadonlyMap<string, string>;

export function decodeForm(raw: string): FormFields {
  return raw.startsWith('--') ? decodeMultipart(raw) : new Map(new URLSearchParams(raw));
}

function decodeMultipart(raw: string): FormFields {
  const fields = new Map<string, string>();
  const firstLineEnd = raw.search(/\r?\n/);
  if (firstLineEnd < 0) return fields;
  const boundary = raw.slice(0, firstLineEnd).trim();
  for (const part of raw.split(boundary).slice(1)) {
    if (part.startsWith('--')) break; // the closing boundary
    const headerEnd = part.search(/\r?\n\r?\n/);
    if (headerEnd < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, headerEnd))?.[1];
    if (name === undefined) continue;
    const value = part
      .slice(headerEnd)
      .replace(/^\r?\n\r?\n/, '')
      .replace(/\r?\n$/, '');
    if (!fields.has(name)) fields.set(name, value);
  }
  return fields;
}
