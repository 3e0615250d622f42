import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory';
import { describeStorageContract, pattern } from './testing/contract';

describeStorageContract('memory', () => new MemoryStorage());

describe('MemoryStorage', () => {
  it('counts what it holds', async () => {
    const storage = new MemoryStorage();
    await storage.put('a.wav', pattern(3), 'audio/wav');
    await storage.put('b.wav', pattern(3), 'audio/wav');
    await storage.delete('a.wav');
    expect(storage.count).toBe(1);
  });
});
