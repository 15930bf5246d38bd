import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleBlocks } from '../src/lib/history.js';

test('samples spread over the span, end at the best block and never go below block 1', () => {
  assert.deepEqual(sampleBlocks(100, 10, 4), [91, 94, 97, 100]);
  assert.deepEqual(sampleBlocks(3, 240, 24), [1, 2, 3]);
  const many = sampleBlocks(1000, 240, 24);
  assert.ok(many.length <= 25 && many[0] === 761 && many.at(-1) === 1000);
});
