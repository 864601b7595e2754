import { describe, expect, it } from 'vitest';
import { receivedHeader, rfc5322Date } from './trace-headers.js';

const base = { hostname: 'mx.example.test', queueId: '0123456789ab', date: new Date(Date.UTC(2024, 10, 5, 8, 2, 3)) } as const;

describe('receivedHeader', () => {
  it('names HELO, IP, host, protocol, id, the one recipient and the date', () => {
    expect(receivedHeader({ ...base, helo: 'client.remote.test', remoteAddress: '192.0.2.7', protocol: 'ESMTPS', recipients: ['u@example.test'] })).toBe(
      'Received: from client.remote.test ([192.0.2.7])\r\n\tby mx.example.test with ESMTPS id 0123456789ab\r\n\tfor <u@example.test>;\r\n\tTue, 05 Nov 2024 08:02:03 +0000\r\n',
    );
  });

  it('marks IPv6, leaves out several recipients and replaces an unsafe HELO', () => {
    expect(receivedHeader({ ...base, helo: 'bad (name)', remoteAddress: '2001:db8::1', protocol: 'ESMTP', recipients: ['a@x.test', 'b@x.test'] })).toBe(
      'Received: from unknown ([IPv6:2001:db8::1])\r\n\tby mx.example.test with ESMTP id 0123456789ab;\r\n\tTue, 05 Nov 2024 08:02:03 +0000\r\n',
    );
  });
});

describe('rfc5322Date', () => {
  it('pads and uses UTC', () => {
    expect(rfc5322Date(new Date(Date.UTC(2025, 0, 1, 0, 0, 0)))).toBe('Wed, 01 Jan 2025 00:00:00 +0000');
  });
});
