import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import proxyAddress from 'proxy-addr';
import { clientAddressMemo } from '../src/fast-lane.ts';

const request = (peer: string, forwarded?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

/** The trust function the lane is given: the one Express compiles from `trust proxy` (create-app.ts). */
const trust = express().set('trust proxy', ['127.0.0.0/8', '::1/128', '10.0.0.0/16']).get('trust proxy fn') as (address: string, hop: number) => boolean;

const cases: [string, string | undefined][] = [
  ['127.0.0.1', '203.0.113.7'],
  ['127.0.0.1', undefined],
  ['127.0.0.1', ''],
  ['198.51.100.9', '203.0.113.7'], // an untrusted peer: its header is ignored
  ['127.0.0.1', '203.0.113.7, 10.0.0.5'], // a trusted front hop
  ['127.0.0.1', '203.0.113.7, 198.51.100.1'], // an untrusted hop stops the walk
  ['::1', '2001:db8::1'],
  ['::ffff:127.0.0.1', '203.0.113.8'],
  ['127.0.0.1', 'not-an-address'],
];

describe('the fast lane’s client-address memo', () => {
  it('when asked twice for each peer and X-Forwarded-For, then it answers what proxy-addr answers, every time', () => {
    const memo = clientAddressMemo(trust);
    for (let round = 0; round < 2; round++) {
      for (const [peer, forwarded] of cases) expect(memo(request(peer, forwarded))).toBe(proxyAddress(request(peer, forwarded), trust));
    }
  });

  it('when the same header comes from another peer, then the answer is that peer’s, not the remembered one', () => {
    const memo = clientAddressMemo(trust);
    expect(memo(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(memo(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
  });

  it('when a client sends a new or an over-long X-Forwarded-For each time, then every answer is still right', () => {
    const memo = clientAddressMemo(trust);
    for (let i = 0; i < 10_000; i++) {
      const forwarded = `203.0.${(i >> 8) & 255}.${i & 255}`;
      expect(memo(request('127.0.0.1', forwarded))).toBe(forwarded);
    }
    const long = `${'198.51.100.1, '.repeat(40)}203.0.113.9`;
    expect(memo(request('127.0.0.1', long))).toBe(proxyAddress(request('127.0.0.1', long), trust));
  });
});
