import { describe, expect, it } from 'vitest';
import { suggest } from './suggest';

describe('suggest', () => {
  it('offers the closest name within two edits', () => {
    expect(suggest('phonee', ['phone', 'phone_raw'])).toBe('phone');
    expect(suggest('fileds', ['fields', 'source'])).toBe('fields');
    expect(suggest('batchsize', ['batch_size', 'source'])).toBe('batch_size');
    expect(suggest('enum', ['field_id', 'enum_code'])).toBe('enum_code');
  });

  it('offers nothing for a name that is no typo of any', () => {
    expect(suggest('caller_name', ['phone', 'extension'])).toBeNull();
    expect(suggest('x', [])).toBeNull();
    expect(suggest('en', ['enum_code'])).toBeNull();
  });
});
