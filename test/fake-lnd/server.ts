// A fake LND for tests: a real gRPC server over TLS serving the `lightning` package's own
// .proto files (lnrpc.Lightning, invoicesrpc.Invoices, routerrpc.Router), with the macaroon
// checked on every call, invoices in memory (invoice-book.ts) and payments in payments.ts.
// The test drives the world through plain methods: pay an invoice, mine blocks, stop and
// start again on the same port (the invoices survive, as LND's database does).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { FakeTls } from './credentials.js';
import { InvoiceBook, RpcError, Status, type FakeInvoice } from './invoice-book.js';
import { sendPayment } from './payments.js';

const PROTOS = join(dirname(createRequire(import.meta.url).resolve('lightning/package.json')), 'grpc', 'protos');
/** How the `lightning` package loads them, so both sides agree on every field. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
/** Genesis block of regtest, as LND reports the best block hash before any is mined. */
const BLOCK_HASH = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';

export interface FakeLndOptions {
  tls: FakeTls;
  /** The binary macaroon every call must present (metadata `macaroon`, hex). */
  macaroon: Buffer;
  nodeKey: Uint8Array;
  height?: number;
  alias?: string;
  now?: () => number;
}

type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;
type Streaming = (call: grpc.ServerWritableStream<unknown, unknown>) => void;
interface ServiceCtor {
  service: grpc.ServiceDefinition;
}

function serviceOf(file: string, pkg: string, name: string): grpc.ServiceDefinition {
  const definition = loadSync(join(PROTOS, file), { ...LOADER_OPTIONS, includeDirs: [PROTOS] });
  const root = grpc.loadPackageDefinition(definition) as unknown as Record<string, Record<string, ServiceCtor>>;
  const ctor = root[pkg]?.[name];
  if (!ctor) throw new Error(`fake LND: no service ${pkg}.${name} in ${file}`);
  return ctor.service;
}

const SERVICES = {
  lightning: serviceOf('lightning.proto', 'lnrpc', 'Lightning'),
  invoices: serviceOf('invoices.proto', 'invoicesrpc', 'Invoices'),
  router: serviceOf('router.proto', 'routerrpc', 'Router'),
};

const hex = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('hex') : '');
const num = (value: unknown): number => Number(value ?? 0);

export class FakeLnd {
  readonly book: InvoiceBook;
  readonly #options: FakeLndOptions;
  readonly #macaroonHex: string;
  #server: grpc.Server | undefined;
  /** Cleanups of the open streams, run when the server stops. */
  readonly #streams = new Set<() => void>();
  port = 0;
  /** Every call's method name, in order (for tests of what the backend asks). */
  readonly calls: string[] = [];

  constructor(options: FakeLndOptions) {
    this.#options = options;
    this.#macaroonHex = options.macaroon.toString('hex');
    this.book = new InvoiceBook(options.nodeKey, options.height ?? 800, options.now ?? Date.now);
  }

  static async start(options: FakeLndOptions): Promise<FakeLnd> {
    const fake = new FakeLnd(options);
    await fake.start();
    return fake;
  }

  get socket(): string {
    return `127.0.0.1:${this.port}`;
  }

  get publicKey(): string {
    return this.book.publicKey;
  }

  /** Streams open now (subscriptions and payments), to see that a client ended its own. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Listens on 127.0.0.1: a new port the first time, the same one after stop(). */
  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(SERVICES.lightning, this.#lightning());
    server.addService(SERVICES.invoices, this.#invoices());
    server.addService(SERVICES.router, this.#router());
    const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(this.#options.tls.cert), private_key: Buffer.from(this.#options.tls.key) }], false);
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${this.port}`, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
    this.#server = server;
  }

  /** Goes away as a killed LND does: open streams fail, new connections are refused. */
  async stop(): Promise<void> {
    for (const cleanup of this.#streams) cleanup();
    this.#streams.clear();
    this.#server?.forceShutdown();
    this.#server = undefined;
  }

  // Test control: what the network or the chain does to the node.

  /** A payer's HTLC arrives for the invoice (by payment hash). */
  pay(paymentHash: string): FakeInvoice {
    return this.book.pay(paymentHash);
  }

  mineBlocks(count: number): void {
    this.book.mine(count);
  }

  #authorized(call: { metadata: grpc.Metadata }, method: string): RpcError | undefined {
    this.calls.push(method);
    const presented = call.metadata.get('macaroon');
    if (presented.length !== 1) return new RpcError(Status.UNAUTHENTICATED, `expected 1 macaroon, got ${presented.length}`);
    if (String(presented[0]) !== this.#macaroonHex) return new RpcError(Status.UNAUTHENTICATED, 'verification failed: signature mismatch');
    return undefined;
  }

  /** A unary handler: macaroon checked, RpcErrors become the gRPC status. */
  #unary(method: string, handle: (request: Record<string, unknown>) => unknown): Unary {
    return (call, callback) => {
      const refused = this.#authorized(call, method);
      if (refused) return callback({ code: refused.code, details: refused.details });
      try {
        callback(null, handle(call.request as Record<string, unknown>));
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        callback({ code: err.code, details: err.details });
      }
    };
  }

  #streaming(method: string, handle: (request: Record<string, unknown>, call: grpc.ServerWritableStream<unknown, unknown>, onClose: (cleanup: () => void) => void) => void): Streaming {
    return (call) => {
      const refused = this.#authorized(call, method);
      if (refused) return call.emit('error', { code: refused.code, details: refused.details });
      const onClose = (cleanup: () => void): void => {
        const once = (): void => {
          this.#streams.delete(once);
          cleanup();
        };
        this.#streams.add(once);
        call.on('cancelled', once);
        call.on('close', once);
      };
      try {
        handle(call.request as Record<string, unknown>, call, onClose);
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        call.emit('error', { code: err.code, details: err.details });
      }
    };
  }

  #lightning(): grpc.UntypedServiceImplementation {
    return {
      GetInfo: this.#unary('GetInfo', () => ({
        version: '0.18.4-beta commit=fake',
        identity_pubkey: this.book.publicKey,
        alias: this.#options.alias ?? 'fake-lnd',
        color: '#3399ff',
        num_active_channels: 1,
        num_peers: 1,
        block_height: this.book.height,
        block_hash: BLOCK_HASH,
        best_header_timestamp: String(Math.floor(Date.now() / 1000)),
        synced_to_chain: true,
        synced_to_graph: true,
        chains: [{ chain: 'bitcoin', network: 'regtest' }],
        uris: [],
        features: {},
      })),
      AddInvoice: this.#unary('AddInvoice', (r) => {
        const preimage = hex(r.r_preimage);
        const invoice = this.book.add({
          memo: String(r.memo ?? ''),
          valueMsat: BigInt(String(r.value_msat ?? '0')) || BigInt(String(r.value ?? '0')) * 1000n,
          expiry: num(r.expiry),
          cltvExpiry: num(r.cltv_expiry),
          ...(preimage ? { preimage } : {}),
        });
        return { r_hash: Buffer.from(invoice.hash, 'hex'), payment_request: invoice.request, add_index: String(invoice.addIndex), payment_addr: invoice.paymentAddr };
      }),
      LookupInvoice: this.#unary('LookupInvoice', (r) => this.book.toRpc(this.book.get(hex(r.r_hash)))),
    };
  }

  #invoices(): grpc.UntypedServiceImplementation {
    return {
      AddHoldInvoice: this.#unary('AddHoldInvoice', (r) => {
        const hash = hex(r.hash);
        if (hash.length !== 64) throw new RpcError(Status.INVALID_ARGUMENT, 'invalid hash');
        const invoice = this.book.add({
          hash,
          memo: String(r.memo ?? ''),
          valueMsat: BigInt(String(r.value_msat ?? '0')) || BigInt(String(r.value ?? '0')) * 1000n,
          expiry: num(r.expiry),
          cltvExpiry: num(r.cltv_expiry),
        });
        return { payment_request: invoice.request, add_index: String(invoice.addIndex), payment_addr: invoice.paymentAddr };
      }),
      SettleInvoice: this.#unary('SettleInvoice', (r) => {
        this.book.settle(hex(r.preimage));
        return {};
      }),
      CancelInvoice: this.#unary('CancelInvoice', (r) => {
        this.book.cancel(hex(r.payment_hash));
        return {};
      }),
      SubscribeSingleInvoice: this.#streaming('SubscribeSingleInvoice', (r, call, onClose) => {
        const hash = hex(r.r_hash);
        call.write(this.book.toRpc(this.book.get(hash)));
        const onUpdate = (changed: string): void => {
          if (changed === hash) call.write(this.book.toRpc(this.book.get(hash)));
        };
        this.book.on('update', onUpdate);
        onClose(() => this.book.off('update', onUpdate));
      }),
    };
  }

  #router(): grpc.UntypedServiceImplementation {
    return {
      SendPaymentV2: this.#streaming('SendPaymentV2', (r, call, onClose) => sendPayment(this.book, String(r.payment_request ?? ''), call, onClose)),
    };
  }
}
