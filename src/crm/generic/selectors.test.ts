import { describe, expect, it } from 'vitest';
import { select, selectId, selectIds, selectNumber, selectString } from './selectors';

const answer = {
  data: [
    { id: 5, props: { ext: 'ct1-a', dur: '42' } },
    { id: '6', props: { ext: '' } },
  ],
  meta: { next: null },
};

describe('selectors', () => {
  it('pick ids, lists and values out of an answer', () => {
    expect(selectIds('data[].id', answer)).toEqual([5, '6']);
    expect(selectId('data[0].id', answer)).toBe(5);
    expect(selectId('data[5].id', answer)).toBeNull();
    expect(selectString('props.ext', answer.data[0])).toBe('ct1-a');
    expect(selectString('props.ext', answer.data[1])).toBeNull();
    expect(selectNumber('props.dur', answer.data[0])).toBe(42);
    expect(select('meta.next', answer)).toBeNull();
  });
});
