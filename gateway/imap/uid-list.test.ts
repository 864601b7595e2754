import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { messageRange, UidList } from './uid-list.js';

// The engine's own function, as the module exports it before engine.ts replaces it.
const original = (createRequire(import.meta.url)('wildduck/imap-core/lib/imap-tools') as {
  getMessageRange(uidList: number[], range: string, isUid: boolean): number[];
}).getMessageRange;

describe('UidList', () => {
  it('answers like the array it replaces through push, splice and indexOf, without touching the snapshot', () => {
    const snapshot = Uint32Array.from([2, 3, 5, 8, 13]);
    const list = new UidList(snapshot);
    const array = [2, 3, 5, 8, 13];
    expect([list.length, list.indexOf(8), list.indexOf(4), list.has(13), list.max()]).toEqual([5, 3, -1, true, 13]);
    expect(list.push(21, 34)).toBe(array.push(21, 34));
    expect(list.splice(1, 1)).toEqual(array.splice(1, 1));
    expect(list.splice(-2, 1)).toEqual(array.splice(-2, 1));
    expect(list.splice(9, 1)).toEqual(array.splice(9, 1));
    expect([...list]).toEqual(array);
    expect(array.map((uid) => list.indexOf(uid))).toEqual(array.map((_, i) => i));
    expect(Array.from(snapshot)).toEqual([2, 3, 5, 8, 13]);
    // A second view of the same snapshot still sees it whole.
    expect(new UidList(snapshot).toArray()).toEqual([2, 3, 5, 8, 13]);
  });

  it('still finds every UID after an out-of-order push', () => {
    const list = new UidList(Uint32Array.from([10, 20, 30]));
    list.push(5);
    expect([list.indexOf(5), list.indexOf(30), list.max(), list.last()]).toEqual([3, 2, 30, 5]);
  });

  it('grows past its first copy', () => {
    const list = new UidList(new Uint32Array(0));
    for (let uid = 1; uid <= 1000; uid++) list.push(uid);
    expect([list.length, list.at(999), list.at(1000), list.indexOf(640)]).toEqual([1000, 1000, undefined, 639]);
  });
});

describe('messageRange', () => {
  const uids = [1, 2, 4, 7, 8, 9, 15, 100];
  const sets = ['1', '*', '1:*', '*:3', '3:5', '5:3', '2,4,6', '4:*,1', '7:8,1:2', '200', '200:*', '99:101', '1:2:3', '6,6,6', '8:9,9:8'];

  it.each(sets.flatMap((set) => [[set, false], [set, true]] as const))('reads %s (UID %s) as the engine does', (set, isUid) => {
    const expected = original([...uids], set, isUid);
    expect(messageRange(new UidList(Uint32Array.from(uids)), set, isUid)).toEqual(expected);
    expect(messageRange(uids, set, isUid)).toEqual(expected);
  });

  it.each(sets)('reads %s as the engine does after an out-of-order EXISTS', (set) => {
    const list = new UidList(Uint32Array.from(uids));
    list.push(3);
    for (const isUid of [false, true]) expect(messageRange(list, set, isUid)).toEqual(original([...uids, 3], set, isUid));
  });

  it('answers an empty mailbox with nothing', () => {
    expect([messageRange(new UidList(new Uint32Array(0)), '1:*', false), messageRange([], '*', true)]).toEqual([[], []]);
  });
});
