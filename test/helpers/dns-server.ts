// A small authoritative DNS server on loopback UDP for tests and benchmarks, so a gateway
// process can be pointed at it with LNMP_DNS_SERVERS=127.0.0.1:<port>. Names not in the
// zone get NXDOMAIN; a known name without records of the asked type gets an empty answer.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface Zone {
  readonly [name: string]: {
    readonly TXT?: readonly string[];
    readonly A?: readonly string[];
    readonly MX?: ReadonlyArray<{ readonly exchange: string; readonly preference: number }>;
  };
}

export interface DnsServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, as LNMP_DNS_SERVERS takes it. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const lookup = new Map(Object.entries(zone).map(([name, records]) => [name.toLowerCase(), records]));
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const records = lookup.get(question.name.toLowerCase());
    const answers: dnsPacket.Answer[] = [];
    if (records && question.type === 'TXT') for (const data of records.TXT ?? []) answers.push({ type: 'TXT', name: question.name, ttl: 60, data });
    if (records && question.type === 'A') for (const data of records.A ?? []) answers.push({ type: 'A', name: question.name, ttl: 60, data });
    if (records && question.type === 'MX') for (const mx of records.MX ?? []) answers.push({ type: 'MX', name: question.name, ttl: 60, data: mx });
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (records ? 0 : 3),
      questions: [question],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
