import { describe, expect, it } from 'vitest';
import type { PbxSource } from './core/source';
import { conversationSource, parsers, pbxSources, portablePulls, recordingSources, sourcesSharing, tentativeFinalSources } from './registry';
import { sourcesConfigSchema } from './sources-config';

const sources: readonly PbxSource[] = pbxSources;

describe('the PBX registry', () => {
  it('names each source once, and each part of a source by the same name', () => {
    const names = sources.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const source of sources) {
      expect(source.parser.name).toBe(source.name);
      if (source.pull) expect(source.pull.source).toBe(source.name);
      if (source.recordingLinks) expect(source.recordingLinks.source).toBe(source.name);
      if (source.recordingDownloads) expect(source.recordingDownloads.source).toBe(source.name);
    }
    expect(Object.keys(parsers)).toEqual(names);
  });

  it('gives every source with a section its key in `sources:`, in the registry’s order', () => {
    const withSection = sources.filter((s) => s.config).map((s) => s.name);
    expect(Object.keys(sourcesConfigSchema.parse({}))).toEqual(withSection);
    expect(withSection).toEqual(['asterisk', 'freepbx', 'freeswitch', 'zadarma', 'twilio', 'yeastar', 'mango']);
    expect(() => sourcesConfigSchema.parse({ generic: {} })).toThrow();
  });

  it('routes no path twice for the same method', () => {
    const routes = sources.flatMap((s) => (s.webhooks ?? []).map((w) => `${w.method} ${w.path}`));
    expect(new Set(routes).size).toBe(routes.length);
    expect(routes).toContain('get /v1/pbx/zadarma');
    // Mango's catch-all comes after its own notification paths, or it would answer them.
    expect(routes.indexOf('post /v1/pbx/mango/*')).toBeGreaterThan(routes.indexOf('post /v1/pbx/mango/events/recording'));
  });

  it('reads what each consumer needs from the descriptors', () => {
    expect([...tentativeFinalSources].sort()).toEqual(['asterisk', 'freepbx', 'freeswitch', 'twilio', 'yeastar']);
    expect(portablePulls.map((p) => p.source)).toEqual(['zadarma', 'twilio', 'mango']);
    expect(recordingSources.linkResolvers.map((r) => r.source)).toEqual(['zadarma']);
    expect(recordingSources.downloaders.map((d) => d.source).sort()).toEqual(['mango', 'yeastar']);
    expect(conversationSource('freepbx')).toBe('asterisk');
    expect(conversationSource('mango')).toBe('mango');
    expect(sourcesSharing('asterisk')).toEqual(['asterisk', 'freepbx']);
    expect(recordingSources.sourcesSharing('zadarma')).toEqual(['zadarma']);
  });
});
